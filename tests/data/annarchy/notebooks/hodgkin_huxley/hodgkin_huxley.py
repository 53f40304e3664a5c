"""ANNarchy 5.0.4.1 reference: the Hodgkin-Huxley notebook: one HH neuron
(midpoint method, dt = 0.01 ms), 100 ms at rest, a 200 uA/cm2 pulse for
1 ms, 100 ms more.

Run: python hodgkin_huxley.py (writes hodgkin_huxley.json next to this
file). Deterministic: compared to float precision.
"""
import json
import os

import numpy as np
import ANNarchy as ann

HERE = os.path.dirname(os.path.abspath(__file__))
dt = 0.01

HH = ann.Neuron(
    parameters="""
    C = 1.0 # Capacitance
    VL = -59.387 # Leak voltage
    VK = -82.0 # Potassium reversal voltage
    VNa = 45.0 # Sodium reveral voltage
    gK = 36.0 # Maximal Potassium conductance
    gNa = 120.0 # Maximal Sodium conductance
    gL = 0.3 # Leak conductance
    vt = 30.0 # Threshold for spike emission
    I = 0.0 # External current
    """,
    equations="""
    # Previous membrane potential
    prev_V = V

    # Voltage-dependency parameters
    an = 0.01 * (V + 60.0) / (1.0 - exp(-0.1* (V + 60.0) ) )
    am = 0.1 * (V + 45.0) / (1.0 - exp (- 0.1 * ( V + 45.0 )))
    ah = 0.07 * exp(- 0.05 * ( V + 70.0 ))

    bn = 0.125 * exp (- 0.0125 * (V + 70.0))
    bm = 4.0 *  exp (- (V + 70.0) / 80.0)
    bh = 1.0/(1.0 + exp (- 0.1 * ( V + 40.0 )) )

    # Alpha/Beta functions
    dn/dt = an * (1.0 - n) - bn * n : init = 0.3, midpoint
    dm/dt = am * (1.0 - m) - bm * m : init = 0.0, midpoint
    dh/dt = ah * (1.0 - h) - bh * h : init = 0.6, midpoint

    # Membrane equation
    C * dV/dt = gL * (VL - V ) + gK * n**4 * (VK - V) + gNa * m**3 * h * (VNa - V) + I : midpoint

    """,
    spike="""
    # Spike is emitted when the membrane potential crosses the threshold from below
    (V > vt) and (prev_V <= vt)
    """,
    reset="""
    # Nothing to do, it is built-in...
    """,
)

net = ann.Network(dt=dt)
pop = net.create(neuron=HH, geometry=1)
pop.V = -50.0
m = net.monitor(pop, ["spike", "V", "n", "m", "h"])
net.compile(directory="/tmp/annarchy_nb/hodgkin_huxley")
net.simulate(100.0)
pop.I = 200.0
net.simulate(1.0)
pop.I = 0.0
net.simulate(100.0)
V = m.get("V")[:, 0]
n = m.get("n")[:, 0]
spikes = m.get("spike").get(0, [])
after = int(100.0 / dt)  # the pulse starts at step 10000
out = {
    "spike_steps": [int(s) for s in spikes],
    "V_at_100ms_mv": float(V[after - 1]),
    "V_peak_after_pulse_mv": float(V[after:].max()),
    "V_peak_step": int(after + V[after:].argmax()),
    "V_min_after_pulse_mv": float(V[after:].min()),
    "V_min_step": int(after + V[after:].argmin()),
    "n_peak_after_pulse": float(n[after:].max()),
    "V_final_mv": float(V[-1]),
}
print(json.dumps(out))
with open(os.path.join(HERE, "hodgkin_huxley.json"), "w") as f:
    json.dump(out, f, indent=1)
