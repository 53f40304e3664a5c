# ANNarchy 5.0.4.1 runs of the PyNN/Brian notebook's networks, with the
# notebook's models and parameters: IF_cond_exp driven by two
# SpikeSourceArrays (deterministic: spike steps), the 4000-neuron EIF
# network with Poisson inputs written `if t < 200.0 : 2000.0 else : 0.0`
# (random: total spikes in 500 ms, three seeds), AdEx regular spiking under
# a 1 nA step (deterministic: spike steps), and the 4000-neuron STP network
# (random: total spikes in 1000 ms, three seeds). The NMDA synapse part (a
# psp with pre_spike events) is not here: cajal refuses it. Writes pynn.json.
import json
import numpy as np
import ANNarchy as ann

out = {}

# IF_cond_exp
net = ann.Network(dt=0.1)
spike_sourceE = net.create(ann.SpikeSourceArray(spike_times=[float(i) for i in range(5, 105, 10)]))
spike_sourceI = net.create(ann.SpikeSourceArray(spike_times=[float(i) for i in range(155, 255, 10)]))
ifcell = net.create(1, ann.IF_cond_exp)
ifcell.set({'i_offset': 0.1, 'tau_refrac': 3.0, 'v_thresh': -51.0, 'tau_syn_E': 2.0,
            'tau_syn_I': 5.0, 'v_reset': -70.0, 'e_rev_E': 0., 'e_rev_I': -80.0})
connE = net.connect(spike_sourceE, ifcell, 'exc')
connE.connect_all_to_all(weights=0.006, delays=2.0)
connI = net.connect(spike_sourceI, ifcell, 'inh')
connI.connect_all_to_all(weights=0.02, delays=4.0)
m = net.monitor(ifcell, ['spike', 'v'])
net.compile(directory='annarchy_pynn_ifcond')
net.simulate(200.0)
v = np.asarray(m.get('v'))[:, 0]
out["if_cond_exp"] = {"v_min": float(v.min()), "v_max": float(v.max()), "v_end": float(v[-1])}

# AdEx
net = ann.Network(dt=0.1)
pop = net.create(1, ann.EIF_cond_exp_isfa_ista)
pop.tau_w, pop.a, pop.b, pop.v_reset = 144.0, 4.0, 0.0805, -70.6
m = net.monitor(pop, ['spike'])
net.compile(directory='annarchy_pynn_adex')
net.simulate(20.0)
pop.i_offset = 1.0
net.simulate(100.0)
pop.i_offset = 0.0
net.simulate(20.0)
out["adex_spikes"] = [int(s) for s in m.get('spike')[0]]

EIF = ann.Neuron(
    parameters="""
        v_rest = -70.0 : population
        cm = 0.2 : population
        tau_m = 10.0 : population
        tau_syn_E = 5.0 : population
        tau_syn_I = 10.0 : population
        e_rev_E = 0.0 : population
        e_rev_I = -80.0 : population
        delta_T = 3.0 : population
        v_thresh = -55.0 : population
        v_reset = -70.0 : population
        v_spike = -20.0 : population
    """,
    equations="""
        dv/dt = (v_rest - v +  delta_T * exp( (v-v_thresh)/delta_T) )/tau_m + ( g_exc * (e_rev_E - v) + g_inh * (e_rev_I - v) )/cm

        tau_syn_E * dg_exc/dt = - g_exc
        tau_syn_I * dg_inh/dt = - g_inh
    """,
    spike="v > v_spike",
    reset="v = v_reset",
    refractory=2.0,
)
out["eif_total_spikes"] = []
for seed in [1, 2, 3]:
    np.random.seed(seed)
    net = ann.Network(dt=0.1, seed=seed)
    i_exc = net.create(ann.PoissonPopulation(geometry=200, rates="if t < 200.0 : 2000.0 else : 0.0"))
    i_inh = net.create(ann.PoissonPopulation(geometry=200, rates="if t < 100.0 : 2000.0 else : 0.0"))
    P = net.create(geometry=4000, neuron=EIF)
    Pe = P[:3200]
    Pi = P[3200:]
    we = 1.5 / 1000.0
    wi = 2.5 * we
    Ce = net.connect(Pe, P, 'exc')
    Ce.connect_fixed_probability(weights=we, probability=0.05)
    Ci = net.connect(Pi, P, 'inh')
    Ci.connect_fixed_probability(weights=wi, probability=0.05)
    Ie = net.connect(i_exc, P[:200], 'exc')
    Ie.connect_one_to_one(weights=we)
    Ii = net.connect(i_inh, P[3200:3400], 'exc')
    Ii.connect_one_to_one(weights=we)
    P.v = -70.0 + 10.0 * np.random.rand(P.size)
    P.g_exc = (np.random.randn(P.size) * 2.0 + 5.0) * we
    P.g_inh = (np.random.randn(P.size) * 2.0 + 5.0) * wi
    m = net.monitor(P, 'spike')
    net.compile(directory=f'annarchy_pynn_eif_{seed}')
    net.simulate(500.0)
    out["eif_total_spikes"].append(int(sum(len(s) for s in m.get('spike').values())))

LIF = ann.Neuron(
    parameters="""
        tau_m = 20.0 : population
        tau_e = 5.0 : population
        tau_i = 10.0 : population
        E_rest = -49.0 : population
        E_thresh = -50.0 : population
        E_reset = -60.0 : population
    """,
    equations="""
        tau_m * dv/dt = E_rest -v + g_exc - g_inh
        tau_e * dg_exc/dt = -g_exc
        tau_i * dg_inh/dt = -g_inh
    """,
    spike="v > E_thresh",
    reset="v = E_reset",
)
STP = ann.Synapse(
    parameters="""
        tau_rec = 200.0 : projection
        tau_facil = 20.0 : projection
        U = 0.2 : projection
    """,
    equations="""
        dx/dt = (1 - x)/tau_rec : init = 1.0, event-driven
        du/dt = (U - u)/tau_facil : init = 0.2, event-driven
    """,
    pre_spike="""
        g_target += w * u * x
        x *= (1 - u)
        u += U * (1 - u)
    """,
)
out["stp_total_spikes"] = []
for seed in [1, 2, 3]:
    net = ann.Network(dt=0.1, seed=seed)
    P = net.create(geometry=4000, neuron=LIF)
    P.v = ann.Uniform(-60.0, -50.0)
    Pe = P[:3200]
    Pi = P[3200:]
    con_e = net.connect(pre=Pe, post=P, target='exc', synapse=STP)
    con_e.connect_fixed_probability(weights=1.62, probability=0.02)
    con_i = net.connect(pre=Pi, post=P, target='inh')
    con_i.connect_fixed_probability(weights=9.0, probability=0.02)
    m = net.monitor(P, 'spike')
    net.compile(directory=f'annarchy_pynn_stp_{seed}')
    net.simulate(1000.0)
    out["stp_total_spikes"].append(int(sum(len(s) for s in m.get('spike').values())))

json.dump(out, open('pynn.json', 'w'), indent=1)
print(out)
