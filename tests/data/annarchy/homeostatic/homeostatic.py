# ANNarchy 5.0.4.1 reference for spiking synapses whose equations run every
# step (the Ramp notebook's homeostatic nearest-neighbour STDP): t_pre and
# t_post, post.r of a population computing its firing rate, a projection
# onto one target ('ampa') and onto two (['ampa', 'nmda']), continuous traces (exponential) and a
# weight updated every step with bounds. Deterministic inputs (a
# SpikeSourceArray) drive one Izhikevich RS neuron. Writes homeostatic.json.
import json
import numpy as np
import ANNarchy as ann

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

N = 20
T_SIM = 3000.0
# Input i fires regularly with period 20 + 7 i ms, from 3 + i ms.
times = [list(np.arange(3.0 + i, T_SIM, 20.0 + 7.0 * i)) for i in range(N)]

def run(targets, directory):
    net = ann.Network(dt=1.0)
    inp = net.create(ann.SpikeSourceArray(spike_times=times))
    pop = net.create(geometry=1, neuron=RSNeuron)
    pop.compute_firing_rate(500.)
    proj = net.connect(inp, pop, targets, synapse=homeo_stdp)
    proj.connect_all_to_all(weights=0.02)
    net.compile(directory=directory)
    # Initial weights 0.01 .. 0.03 over the pre ranks (after compile: set
    # before, ANNarchy 5.0.4.1 leaves the connector's 0.02).
    proj.w = [np.linspace(0.01, 0.03, N).tolist()]
    m = net.monitor(pop, ['spike', 'r', 'g_ampa', 'g_nmda', 'v'])
    mw = net.monitor(proj[0], ['w', 'ltp', 'ltd', 'stdp'], period=100.0)
    net.simulate(T_SIM)
    spikes = m.get('spike')
    return {
        "post_spikes": [int(s) for s in spikes[0]],
        "r": np.asarray(m.get('r'))[:, 0].round(6).tolist(),
        "v_first_200": np.asarray(m.get('v'))[:200, 0].round(6).tolist(),
        "g_nmda_first_200": np.asarray(m.get('g_nmda'))[:200, 0].round(8).tolist(),
        "w_every_100ms": np.array(mw.get('w'), dtype=float).round(9).tolist(),
        "ltp_every_100ms": np.array(mw.get('ltp'), dtype=float).round(9).tolist(),
        "stdp_every_100ms": np.array(mw.get('stdp'), dtype=float).round(9).tolist(),
        "w_final": np.asarray(proj.w[0]).round(9).tolist(),
    }

out = {
    "ampa": run('ampa', 'annarchy_homeo_ampa'),
    "ampa_nmda": run(['ampa', 'nmda'], 'annarchy_homeo'),
}
json.dump(out, open('homeostatic.json', 'w'))
for k, v in out.items():
    print(k, "post spikes", len(v["post_spikes"]), "final w", v["w_final"][:5])
