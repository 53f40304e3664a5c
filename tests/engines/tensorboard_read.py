"""Reads a log directory written by cajal::tensorboard::Logger with
TensorBoard's own readers and prints what they found as JSON; with the
test's inputs, also what tensorboardX (the library under ANNarchy's Logger)
writes for the same calls, as ANNarchy's Logger makes them.

usage: python tensorboard_read.py LOGDIR INPUTS.json

Floats are given as their bits (f32: simple values; f64: histograms,
parameters, wall times) so that the Rust test compares them exactly.
"""

import io
import json
import os
import struct
import sys
import tempfile

import numpy as np
from google.protobuf import json_format
from PIL import Image
from tensorboard.backend.event_processing import event_accumulator, event_file_loader
from tensorboard.compat.proto import summary_pb2
from tensorboard.plugins.hparams import plugin_data_pb2


def f32bits(x):
    return struct.unpack("<I", struct.pack("<f", x))[0]


def f64bits(x):
    return struct.unpack("<Q", struct.pack("<d", x))[0]


def value(v):
    """One Summary.Value as the test compares it."""
    d = {"tag": v.tag}
    kind = v.WhichOneof("value")
    if kind == "simple_value":
        d["simple_value"] = f32bits(v.simple_value)
    elif kind == "image":
        im = Image.open(io.BytesIO(v.image.encoded_image_string))
        d["image"] = {
            "height": v.image.height,
            "width": v.image.width,
            "colorspace": v.image.colorspace,
            "format": im.format,
            "mode": im.mode,
            "size": list(im.size),
            "pixels": im.convert("RGB").tobytes().hex(),
        }
    elif kind == "histo":
        h = v.histo
        d["histo"] = {
            "min": f64bits(h.min),
            "max": f64bits(h.max),
            "num": f64bits(h.num),
            "sum": h.sum,
            "sum_squares": h.sum_squares,
            "bucket_limit": [f64bits(x) for x in h.bucket_limit],
            "bucket": [f64bits(x) for x in h.bucket],
        }
    elif kind is not None:
        d["other"] = kind
    if v.HasField("metadata"):
        pd = v.metadata.plugin_data
        d["plugin"] = pd.plugin_name
        if pd.plugin_name == "hparams":
            data = plugin_data_pb2.HParamsPluginData.FromString(pd.content)
            d["hparams"] = json_format.MessageToDict(data, preserving_proto_field_name=True)
    return d


def summary(tbx_summary):
    """A tensorboardX Summary, read with TensorBoard's own proto."""
    s = summary_pb2.Summary.FromString(tbx_summary.SerializeToString())
    return [value(v) for v in s.value]


def hparams_tags(acc):
    try:
        return sorted(acc.PluginTagToContent("hparams").keys())
    except KeyError:  # no hparams summary in this run
        return []


def read_logdir(logdir):
    runs = {}
    for root, _, files in sorted(os.walk(logdir)):
        names = sorted(f for f in files if ".out.tfevents." in f)
        if not names:
            continue
        run = os.path.relpath(root, logdir)
        events = []
        for name in names:
            loader = event_file_loader.LegacyEventFileLoader(os.path.join(root, name))
            for e in loader.Load():
                ev = {"file": name, "wall_time": e.wall_time, "step": e.step}
                what = e.WhichOneof("what")
                if what == "file_version":
                    ev["file_version"] = e.file_version
                elif what == "summary":
                    ev["values"] = [value(v) for v in e.summary.value]
                else:
                    ev["other"] = what
                events.append(ev)
        acc = event_accumulator.EventAccumulator(
            root, size_guidance={"scalars": 0, "images": 0, "histograms": 0, "tensors": 0}
        )
        acc.Reload()
        tags = acc.Tags()
        runs[run] = {
            "events": events,
            "accumulator": {
                "scalars": {
                    t: [[s.step, f32bits(s.value)] for s in acc.Scalars(t)] for t in tags["scalars"]
                },
                "images": {
                    t: [[s.step, s.width, s.height] for s in acc.Images(t)] for t in tags["images"]
                },
                "histograms": {
                    t: [[s.step, s.histogram_value.num] for s in acc.Histograms(t)]
                    for t in tags["histograms"]
                },
                "hparams": hparams_tags(acc),
            },
        }
    return runs


def hparams_sessions(logdir):
    """The HPARAMS tab's table, from the hparams plugin's own backend: each
    session group's parameters and metric values."""
    from tensorboard import context
    from tensorboard.backend.event_processing import data_provider
    from tensorboard.backend.event_processing import plugin_event_multiplexer
    from tensorboard.plugins import base_plugin
    from tensorboard.plugins.hparams import api_pb2, backend_context, list_session_groups

    mux = plugin_event_multiplexer.EventMultiplexer().AddRunsFromDirectory(logdir)
    mux.Reload()
    provider = data_provider.MultiplexerDataProvider(mux, logdir)
    tb = base_plugin.TBContext(data_provider=provider, multiplexer=mux, logdir=logdir)
    request = api_pb2.ListSessionGroupsRequest(
        allowed_statuses=[api_pb2.STATUS_SUCCESS, api_pb2.STATUS_UNKNOWN],
        start_index=0,
        slice_size=100,
    )
    handler = list_session_groups.Handler(
        context.RequestContext(), backend_context.Context(tb), "", request
    )
    groups = []
    for g in handler.run().session_groups:
        groups.append(
            {
                "hparams": {k: json_format.MessageToDict(v) for k, v in g.hparams.items()},
                "metrics": {m.name.tag: f64bits(m.value) for m in g.metric_values},
                "status": [s.status for s in g.sessions],
            }
        )
    return groups


def array(spec):
    dtype = {"f32": (np.uint32, np.float32), "f64": (np.uint64, np.float64), "u8": (np.uint8, np.uint8)}
    raw, real = dtype[spec["dtype"]]
    return np.array(spec["values"], dtype=raw).view(real).reshape(spec["shape"])


def annarchy_image(tbx, tag, img, equalize):
    """ANNarchy's Logger.add_image (np.float is float64)."""
    if img.ndim == 2:
        if equalize:
            img = img.astype(np.float64)
            img = (img - img.min()) / (img.max() - img.min())
        return tbx.image(tag, img, dataformats="HW")
    if equalize:
        img = np.array(img).astype(np.float64)
        img = (img - img.min()) / (img.max() - img.min())
    return tbx.image(tag, img, dataformats="HWC")


def annarchy_images(tbx, tag, img, equalize, equalize_per_image):
    """ANNarchy's Logger.add_images."""
    if img.ndim == 3:
        img = np.expand_dims(img, axis=3)
    if equalize:
        img = np.array(img).astype(np.float64)
        if not equalize_per_image:
            img = (img - img.min()) / (img.max() - img.min())
        else:
            for i in range(img.shape[0]):
                img[i, ...] = (img[i, ...] - img[i, ...].min()) / (
                    img[i, ...].max() - img[i, ...].min()
                )
    return tbx.image(tag, img, dataformats="NHWC")


def reference(inputs):
    """What tensorboardX writes for the test's calls, as ANNarchy makes them."""
    import tensorboardX
    from tensorboardX import summary as tbx

    out = {"images": [], "histograms": [], "hparams": None}
    for spec in inputs["images"]:
        img = array(spec)
        if spec["kind"] == "image":
            s = annarchy_image(tbx, spec["tag"], img, spec["equalize"])
        elif spec["kind"] == "images":
            s = annarchy_images(tbx, spec["tag"], img, spec["equalize"], spec["equalize_per_image"])
        else:  # ANNarchy's add_figure: the HWC pixels moved to CHW, tensorboardX's default
            s = tbx.image(spec["tag"], np.moveaxis(img[:, :, 0:3], 2, 0))
        out["images"].append(summary(s))
    with tempfile.TemporaryDirectory() as tmp:
        writer = tensorboardX.SummaryWriter(logdir=tmp)
        bins = writer.default_bins
        writer.close()
    for spec in inputs["histograms"]:
        values = np.array(spec["values"], dtype=np.uint64).view(np.float64)
        out["histograms"].append(summary(tbx.histogram(spec["tag"], values, bins)))
    params = {}
    for name, kind, v in inputs["hparams"]["params"]:
        params[name] = struct.unpack("<d", struct.pack("<Q", v))[0] if kind == "number" else v
    metrics = {name: v for name, v in inputs["hparams"]["metrics"]}
    exp, ssi, sei = tbx.hparams(params, metrics)
    out["hparams"] = [summary(exp), summary(ssi), summary(sei)]
    return out


def main():
    logdir, inputs = sys.argv[1], sys.argv[2]
    with open(inputs) as f:
        inputs = json.load(f)
    print(
        json.dumps(
            {
                "runs": read_logdir(logdir),
                "sessions": hparams_sessions(logdir),
                "reference": reference(inputs),
            }
        )
    )


if __name__ == "__main__":
    main()
