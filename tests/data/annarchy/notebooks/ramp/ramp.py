# ANNarchy 5.0.4.1 runs of the Ramp notebook (homeostatic STDP, Carlson et
# al. 2013), with the notebook's model strings, for three seeds: the mean
# firing rate r of the neuron without and with homeostasis over 1000 s,
# and the mean final weight of each. Writes ramp.json. The notebook uses
# ANNarchy's global network, which compiles once a process: each seed runs
# in a process of its own (`python ramp.py SEED` prints one JSON line).
import json
import subprocess
import sys

if len(sys.argv) == 1:
    keys = ["mean_r_without", "mean_r_with", "mean_w_without", "mean_w_with"]
    out = {"seeds": [1, 2, 3], **{k: [] for k in keys}}
    for seed in out["seeds"]:
        line = subprocess.run([sys.executable, __file__, str(seed)], check=True,
                              capture_output=True, text=True).stdout.strip().splitlines()[-1]
        run = json.loads(line)
        for k in keys:
            out[k].append(run[k])
        print(seed, run)
    json.dump(out, open("ramp.json", "w"), indent=1)
    sys.exit(0)

import numpy as np
import ANNarchy as ann

out = {}
for seed in [int(sys.argv[1])]:
    ann.setup(seed=seed)
    RSNeuron = ann.Neuron(
        parameters = """
            a = 0.02 : population
            b = 0.2 : population
            c = -65. : population
            d = 8. : population
            tau_ampa = 5. : population
            tau_nmda = 150. : population
            vrev = 0.0 : population
        """ ,
        equations="""
            # Inputs
            I = g_ampa * (vrev - v) + g_nmda * nmda(v, -80.0, 60.0) * (vrev -v)  
            # Membrane potential and recovery variable are solved using the midpoint method for stability     
            dv/dt = (0.04 * v + 5.0) * v + 140.0 - u + I : init=-65., midpoint
            du/dt = a * (b*v - u) : init=-13., midpoint
            # AMPA and NMDA conductances
            tau_ampa * dg_ampa/dt = -g_ampa : exponential
            tau_nmda * dg_nmda/dt = -g_nmda : exponential
        """ , 
        spike = """
            v >= 30.
        """, 
        reset = """
            v = c
            u += d
        """,
        functions = """
            nmda(v, t, s) = ((v-t)/(s))^2 / (1.0 + ((v-t)/(s))^2)
        """
    )
    
    # Input population
    inp = ann.PoissonPopulation(100, rates=np.linspace(0.2, 20., 100))
    
    # RS neuron without homeostatic mechanism
    pop1 = ann.Population(1, RSNeuron)
    
    # RS neuron with homeostatic mechanism
    pop2 = ann.Population(1, RSNeuron)
    
    nearest_neighbour_stdp = ann.Synapse(
        parameters="""
            tau_plus = 20. : projection
            tau_minus = 60. : projection
            A_plus = 0.0002 : projection
            A_minus = 0.000066 : projection
            w_max = 0.03 : projection
        """,
        equations = """
            # Traces
            tau_plus  * dltp/dt = -ltp : exponential
            tau_minus * dltd/dt = -ltd : exponential
            # Nearest-neighbour
            w += if t_post >= t_pre: ltp else: - ltd : min=0.0, max=w_max
        """,
        pre_spike="""
            g_target += w
            ltp = A_plus
        """,         
        post_spike="""
            ltd = A_minus 
        """
    )
    
    homeo_stdp = ann.Synapse(
        parameters="""
            # STDP
            tau_plus = 20. : projection
            tau_minus = 60. : projection
            A_plus = 0.0002 : projection
            A_minus = 0.000066 : projection
            w_min = 0.0 : projection
            w_max = 0.03 : projection
    
            # Homeostatic regulation
            alpha = 0.1 : projection
            beta = 1.0 : projection
            gamma = 50. : projection
            Rtarget = 35. : projection
            T = 5000. : projection
        """,
        equations = """
            # Traces
            tau_plus  * dltp/dt = -ltp : exponential
            tau_minus * dltd/dt = -ltd : exponential
            # Homeostatic values
            R = post.r : postsynaptic
            K = R/(T*(1.+fabs(1. - R/Rtarget) * gamma)) : postsynaptic
            # Nearest-neighbour
            stdp = if t_post >= t_pre: ltp else: - ltd 
            w += (alpha * w * (1- R/Rtarget) + beta * stdp ) * K : min=w_min, max=w_max
        """,
        pre_spike="""
            g_target += w
            ltp = A_plus
        """,         
        post_spike="""
            ltd = A_minus 
        """ 
    )
    
    pop1.compute_firing_rate(5000.)
    pop2.compute_firing_rate(5000.)
    # Projection without homeostatic mechanism
    proj1 = ann.Projection(inp, pop1, ['ampa', 'nmda'], synapse=nearest_neighbour_stdp)
    proj1.connect_all_to_all(ann.Uniform(0.01, 0.03))
    
    # Projection with homeostatic mechanism
    proj2 = ann.Projection(inp, pop2, ['ampa', 'nmda'], synapse=homeo_stdp)
    proj2.connect_all_to_all(weights=ann.Uniform(0.01, 0.03))
    ann.compile(directory=f"annarchy_ramp_{seed}")
    m1 = ann.Monitor(pop1, 'r')
    m2 = ann.Monitor(pop2, 'r')
    ann.simulate(1000 * 1000.0)
    out["mean_r_without"] = float(np.mean(m1.get('r')[:, 0]))
    out["mean_r_with"] = float(np.mean(m2.get('r')[:, 0]))
    out["mean_w_without"] = float(np.mean(proj1.w))
    out["mean_w_with"] = float(np.mean(proj2.w))
print(json.dumps(out))
