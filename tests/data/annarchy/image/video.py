"""Frames for cajal's video populations (tests/engines/image.rs): three
12 x 8 RGB frames of four colours each (so that a GIF palette holds them
exactly), as separate PNG files (frames/), an animated GIF and an
animated PNG, written with Pillow.
"""
import os
import numpy as np
from PIL import Image

here = os.path.dirname(os.path.abspath(__file__))
os.makedirs(os.path.join(here, "frames"), exist_ok=True)
colours = np.array([[0, 0, 0], [255, 0, 0], [40, 200, 90], [250, 250, 250]], np.uint8)
frames = []
for k in range(3):
    y, x = np.mgrid[0:8, 0:12]
    index = (x // 3 + y // 2 + k) % 4
    frames.append(Image.fromarray(colours[index], "RGB"))
for k, f in enumerate(frames):
    f.save(os.path.join(here, "frames", f"{k:03}.png"))
frames[0].save(os.path.join(here, "anim.gif"), save_all=True, append_images=frames[1:], duration=100, loop=0)
frames[0].save(os.path.join(here, "anim.png"), save_all=True, append_images=frames[1:], duration=100, loop=0)
