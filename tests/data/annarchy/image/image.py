"""ANNarchy 5.0.4.1 reference for cajal's image populations
(tests/engines/image.rs): ImagePopulation.set_image on pictures made
here (a PNG with an RGB pattern, its JPEG, a grey PNG) into populations
of several sizes, grey and colour, resized or not. Writes the pictures
and image.json (per case the levels, r * 255, in row-major order) beside
this script.
"""
import json, os
import numpy as np
from PIL import Image
import ANNarchy as ann
from ANNarchy.extensions.image import ImagePopulation

here = os.path.dirname(os.path.abspath(__file__))
h, w = 23, 37
y, x = np.mgrid[0:h, 0:w]
rgb = np.stack([
    (x * 7 + y * 3) % 256,
    (x * x + 5 * y) % 256,
    ((x - 18) ** 2 + (y - 11) ** 2) * 2 % 256,
], axis=-1).astype(np.uint8)
Image.fromarray(rgb, "RGB").save(os.path.join(here, "pattern.png"))
Image.fromarray(rgb, "RGB").save(os.path.join(here, "pattern.jpg"), quality=90)
grey = ((x * 11 + y * 5) % 256).astype(np.uint8)
Image.fromarray(grey, "L").save(os.path.join(here, "grey.png"))

cases = [
    ("pattern.png", (23, 37, 3)),   # same size, colour
    ("pattern.png", (23, 37)),      # same size, grey
    ("pattern.png", (10, 16, 3)),   # smaller, colour
    ("pattern.png", (9, 14)),       # smaller, grey
    ("pattern.png", (40, 50, 3)),   # larger, colour
    ("pattern.png", (23, 20, 3)),   # narrower only
    ("pattern.png", (12, 37)),      # shorter only, grey
    ("grey.png", (11, 18)),         # a grey picture, smaller
    ("pattern.jpg", (23, 37, 3)),   # JPEG, colour
    ("pattern.jpg", (8, 12)),       # JPEG, smaller, grey
]
net = ann.Network()
pops = [net.create(ImagePopulation(geometry=g)) for _, g in cases]
net.compile(directory=os.environ.get("ANN_DIR", "annarchy"))
out = []
for (f, g), p in zip(cases, pops):
    p.set_image(os.path.join(here, f))
    r = np.asarray(p.r).reshape(-1)
    levels = np.rint(r * 255.0)
    assert np.array_equal(levels / 255.0, r)  # r holds level / 255
    out.append({"file": f, "geometry": list(g), "levels": levels.astype(int).tolist()})
with open(os.path.join(here, "image.json"), "w") as fh:
    json.dump(out, fh)
print(len(out), "cases")
