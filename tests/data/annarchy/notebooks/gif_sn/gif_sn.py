"""ANNarchy 5.0.4.1's run of the GIF_SN notebook (examples/annarchy/gif_sn.rs):
500 unconnected GIF_curr(u_r=25, u_th=10, c=10, delta_u=5, I_ext=0,
current=""), u set to 15, I_ext = (15 - u_r)/R for 300 ms then
(30 - u_r)/R for 300 ms, dt = 1 ms (the default); the population's mean
rate in each half and neuron 15's mean v in each half, for 20 seeds.
Writes gif_sn.json.
"""
import json, os
import numpy as np
import ANNarchy as ann

d = os.environ.get("ANN_DIR", "annarchy")
out = {"rate_low_hz": [], "rate_high_hz": [], "v15_low": [], "v15_high": []}
for seed in range(1, 21):
    net = ann.Network(seed=seed)
    mod_GIF = ann.GIF_curr(u_r=25.0, u_th=10.0, c=10.0, delta_u=5.0, I_ext=0.0, current="")
    P = net.create(500, neuron=mod_GIF)
    P.u = 15.0
    m = net.monitor(P[15], ["u", "v", "spike"])
    m2 = net.monitor(P, "spike")
    net.compile(directory=d)
    P.I_ext = (15 - P.u_r) / P.R
    net.simulate(300)
    P.I_ext = (30 - P.u_r) / P.R
    net.simulate(300)
    t, n = m2.raster_plot()
    t = np.asarray(t)
    out["rate_low_hz"].append(float(np.sum(t < 300.0)) / 500 / 0.3)
    out["rate_high_hz"].append(float(np.sum(t >= 300.0)) / 500 / 0.3)
    v = np.ravel(m.get("v"))
    out["v15_low"].append(float(np.mean(v[:300])))
    out["v15_high"].append(float(np.mean(v[300:])))
json.dump(out, open("gif_sn.json", "w"), indent=1)
print(out)
