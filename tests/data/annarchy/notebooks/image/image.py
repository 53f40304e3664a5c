"""ANNarchy 5.0.4.1: the Image notebook (convolutions and pooling on a
picture) on the picture cajal bundles, examples/data/grace_hopper.jpg
(Grace Hopper's official US Navy portrait, public domain; 512 x 600, so
ImagePopulation resizes it to 640 x 480 as the notebook's population
asks). Writes image.json: per population and channel the mean, min and
max of r after 4 steps, and a few values.
"""
import json, os
import numpy as np
import ANNarchy as ann
from ANNarchy.extensions.image import ImagePopulation
from ANNarchy.extensions.convolution import Convolution, Pooling

here = os.path.dirname(os.path.abspath(__file__))
picture = os.path.join(here, "..", "..", "..", "..", "..", "examples", "data", "grace_hopper.jpg")

net = ann.Network()
image = net.create(ImagePopulation(geometry=(480, 640, 3)))
LinearNeuron = ann.Neuron(equations="r=sum(exc): min=0.0")
pooled = net.create(geometry=(48, 64, 3), neuron=LinearNeuron)
pool_proj = net.connect(Pooling(pre=image, post=pooled, target='exc', operation='mean'))
pool_proj.pooling()
smoothed = net.create(geometry=(48, 64, 3), neuron=LinearNeuron)
box_filter = np.ones((3, 3, 1)) / 9.
smooth_proj = net.connect(Convolution(pre=pooled, post=smoothed, target='exc'))
smooth_proj.connect_filter(weights=box_filter)
filtered = net.create(geometry=(48, 64, 3), neuron=LinearNeuron)
filter_bank = np.array([
    [[[2.0, -1.0, -1.0]]],
    [[[-1.0, 2.0, -1.0]]],
    [[[-1.0, -1.0, 2.0]]],
])
filter_proj = net.connect(Convolution(pre=smoothed, post=filtered, target='exc'))
filter_proj.connect_filters(weights=filter_bank)
net.compile(directory=os.environ.get("ANN_DIR", "annarchy"))
image.set_image(picture)
net.simulate(4.0)

out = {}
for name, pop in [("image", image), ("pooled", pooled), ("smoothed", smoothed), ("filtered", filtered)]:
    r = np.asarray(pop.r)
    out[name] = {
        "mean": r.mean(axis=(0, 1)).tolist(),
        "min": r.min(axis=(0, 1)).tolist(),
        "max": r.max(axis=(0, 1)).tolist(),
        "samples": {f"{y},{x}": r[y, x].tolist() for y, x in [(0, 0), (5, 7), (24, 32), (47, 63)]}
        if name != "image" else {f"{y},{x}": r[y, x].tolist() for y, x in [(0, 0), (100, 200), (240, 320), (479, 639)]},
    }
with open(os.path.join(here, "image.json"), "w") as f:
    json.dump(out, f, indent=1)
print(json.dumps({k: v["mean"] for k, v in out.items()}))
