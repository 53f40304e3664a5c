# ANNarchy 5.0.4.1 reference for compute_firing_rate: neuron i spikes every
# period_i steps (c += 1, spike c >= period, reset c = 0); r and spikes are
# recorded at every step, for two (dt, window) pairs. Writes firing_rate.json.
import json
import numpy as np
import ANNarchy as ann

PERIODS = [1.0, 2.0, 3.0, 7.0, 40.0]
clockwork = ann.Neuron(
    parameters="period = 3.0",
    equations="c += 1.0",
    spike="c >= period",
    reset="c = 0.0",
)
out = {}
for dt, window in [(1.0, 10.0), (0.5, 2.55)]:
    net = ann.Network(dt=dt)
    pop = net.create(geometry=len(PERIODS), neuron=clockwork)
    pop.period = np.array(PERIODS)
    pop.compute_firing_rate(window)
    m = net.monitor(pop, ['spike', 'r'])
    net.compile(directory=f'annarchy_fr_{dt}')
    net.simulate(60 * dt)
    spikes = m.get('spike')
    out[f"dt={dt},window={window}"] = {
        "r": np.asarray(m.get('r')).round(6).tolist(),
        "spikes": {str(k): [int(s) for s in v] for k, v in spikes.items()},
    }
json.dump(out, open('firing_rate.json', 'w'))
print("ok")
