"""ANNarchy 5.0.4.1: the BOLD monitoring notebooks I (balloon_RN) and II
(the Davis model beside the balloon model), five independent copies of
each protocol in one network (noise draws differ between copies: five
seeds' worth). Writes bold.json: per copy the peak of BOLD (and of
BOLD_Davis) in % and its time, and the undershoot after it, in s from
the start of recording.
"""
import json, os
import numpy as np
import ANNarchy as ann
import ANNarchy.extensions.bold as bold

davis = bold.BoldModel(
    parameters="""
        phi       = 1.0         ;   kappa     = 1/1.54
        gamma     = 1/2.46      ;   E_0       = 0.34
        tau       = 0.98        ;   alpha     = 0.33
        V_0       = 0.02        ;   v_0       = 40.3
        TE        = 40/1000.    ;   epsilon   = 1.43
        r_0       = 25.         ;   second    = 1000.0
        M         = 0.062       ;   alpha2    = 0.14
        beta      = 0.91
    """,
    equations="""
        # CBF input
        I_CBF          = sum(I_CBF)
        ds/dt          = (phi * I_CBF - kappa * s - gamma * (f_in - 1))/second
        df_in/dt       = s / second                                                : init=1, min=0.01

        # Balloon model
        E              = 1 - (1 - E_0)**(1 / f_in)                                 : init=0.3424
        dq/dt          = (f_in * E / E_0 - (q / v) * f_out)/(tau*second)           : init=1, min=0.01
        dv/dt          = (f_in - f_out)/(tau*second)                               : init=1, min=0.01
        f_out          = v**(1 / alpha)                                            : init=1, min=0.01

        # Revised coefficients
        k_1            = 4.3 * v_0 * E_0 * TE
        k_2            = epsilon * r_0 * E_0 * TE
        k_3            = 1.0 - epsilon

        # Non-linear BOLD equation
        BOLD           = V_0 * (k_1 * (1 - q) + k_2 * (1 - (q / v)) + k_3 * (1 - v))

        # Davis model
        r = f_in * E / E_0                                                         : init=1, min=0.01
        BOLD_Davis =  M * (1 - f_in**alpha2 * (r / f_in)**beta)
    """,
    inputs=['I_CBF'],
)

COPIES = 5
net = ann.Network(dt=1.0, seed=1)
sets = []
for nb in ("I", "II"):
    for k in range(COPIES):
        pop0 = net.create(100, neuron=ann.Izhikevich)
        pop1 = net.create(100, neuron=ann.Izhikevich)
        pop0.noise = 5.0
        pop1.noise = 5.0
        pop0.compute_firing_rate(window=100.0)
        pop1.compute_firing_rate(window=100.0)
        if nb == "I":
            m = net.boldmonitor([pop0, pop1], bold.balloon_RN(), {'I_CBF': 'r'}, normalize_input=2000, recorded_variables=["I_CBF", "BOLD"])
        else:
            m = net.boldmonitor([pop0, pop1], davis, {'I_CBF': 'r'}, normalize_input=2000, recorded_variables=["I_CBF", "BOLD", "BOLD_Davis"])
        sets.append((nb, pop0, m))
net.compile(directory=os.environ.get("ANN_DIR", "annarchy"))
net.simulate(1000)
for _, _, m in sets:
    m.start()
net.simulate(5000)
for _, p0, _ in sets:
    p0.noise = 7.5
net.simulate(5000)
for _, p0, _ in sets:
    p0.noise = 5.0
net.simulate(10000)

def extremes(x):
    x = np.asarray(x).reshape(-1) * 100.0
    peak = int(np.argmax(x))
    low = peak + int(np.argmin(x[peak:]))
    return {"peak": float(x[peak]), "peak_s": peak / 1000.0, "undershoot": float(x[low]), "undershoot_s": low / 1000.0}

out = {"I": [], "II": [], "II_davis": []}
for nb, _, m in sets:
    out[nb].append(extremes(m.get("BOLD")))
    if nb == "II":
        out["II_davis"].append(extremes(m.get("BOLD_Davis")))
with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "bold.json"), "w") as f:
    json.dump(out, f, indent=1)
print(json.dumps(out))
