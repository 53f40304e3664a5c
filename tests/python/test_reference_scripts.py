"""The scripts that produced ANNarchy 5.0.4.1's reference numbers
(tests/data/annarchy/notebooks/<name>/<name>.py, written against ANNarchy
5's Network API) run under cajal with only `import ANNarchy as ann`
changed to `import cajal as ann`; each writes its JSON beside itself (here
a temporary directory), compared with ANNarchy's.

This is how the Neural field and Bar learning notebooks are checked (their
notebook files could not be read where the tests were written: these
scripts transcribe them), and it checks ANNarchy 5's API on scripts that
ANNarchy itself ran."""

import json
import shutil
import subprocess
import sys

import numpy as np
import pytest

from conftest import REFERENCE, within_seeds


def run_script(name: str, tmp_path, *args) -> dict:
    text = (REFERENCE / name / f"{name}.py").read_text()
    assert "import ANNarchy as ann" in text
    script = tmp_path / f"{name}.py"
    script.write_text(text.replace("import ANNarchy as ann", "import cajal as ann"))
    subprocess.run(
        [sys.executable, str(script), *map(str, args)], cwd=tmp_path, check=True, capture_output=True, text=True
    )
    with open(tmp_path / f"{name}.json") as f:
        return json.load(f)


def reference(name: str) -> dict:
    with open(REFERENCE / name / f"{name}.json") as f:
        return json.load(f)


def compare_seeds(name: str, out: dict, in_range=()):
    """Each quantity as conftest.within_seeds judges it; those named in
    `in_range` (small counts that take two or three values, where a
    standard error says little) must lie, seed by seed, within the range of
    ANNarchy's seeds."""
    ref = reference(name)["runs"]
    for k in out["runs"][0]:
        if k == "seed":
            continue
        values = [r[k] for r in out["runs"]]
        if k in in_range:
            lo, hi = min(r[k] for r in ref), max(r[k] for r in ref)
            assert all(lo <= v <= hi for v in values), f"{name}: {k}: cajal {values}, ANNarchy [{lo}, {hi}]"
        else:
            within_seeds(f"{name}: {k}", values, ref, k)


def test_neural_field(tmp_path):
    compare_seeds("neural_field", run_script("neural_field", tmp_path, 1, 2, 3, 4, 5))


def test_bar_learning(tmp_path):
    # 10 000 trials a seed (about 8 s each here): three seeds.
    # bars_covered is 15 or 16 of the 16 bars in ANNarchy's seeds.
    compare_seeds("bar_learning", run_script("bar_learning", tmp_path, 1, 2, 3), in_range=("bars_covered",))


def test_izhikevich_with_annarchy5s_api(tmp_path):
    compare_seeds("izhikevich", run_script("izhikevich", tmp_path, 1, 2, 3, 4, 5))


def close(a, b, rtol, atol, where=""):
    """Every number of `a` within tolerance of `b`'s, integers equal."""
    if isinstance(b, dict):
        assert set(a) == set(b), where
        for k in b:
            close(a[k], b[k], rtol, atol, f"{where}.{k}")
    elif isinstance(b, list):
        assert len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b)):
            close(x, y, rtol, atol, f"{where}[{i}]")
    elif isinstance(b, bool) or b is None or isinstance(b, str):
        assert a == b, where
    elif isinstance(b, int):
        assert a == b, f"{where}: {a} != {b}"
    else:
        assert abs(a - b) <= atol + rtol * abs(b), f"{where}: {a} against ANNarchy's {b}"


# Deterministic models: ANNarchy computes in double precision, cajal in
# single; the tolerances are those of single precision carried through
# the runs (the integers, spike steps and counts, are exact).
@pytest.mark.parametrize(
    "name, rtol, atol",
    [
        ("bcm", 1e-4, 1e-6),
        ("gap_junctions", 1e-4, 1e-6),
        ("hodgkin_huxley", 1e-4, 1e-4),
        ("synaptic_transmission", 1e-4, 1e-5),
    ],
)
def test_deterministic_scripts(tmp_path, name, rtol, atol):
    close(run_script(name, tmp_path), reference(name), rtol, atol, name)


def test_multiple_networks_with_parallel_run(tmp_path):
    # ANNarchy 5's parallel_run on a Network subclass: 8 copies, each
    # drawing its own parameters; the runs' statistics against ANNarchy's.
    out = run_script("multiple_networks", tmp_path, 1)
    assert out["summary"]["distinct_spike_counts"] == 8
    ref = reference("multiple_networks")["runs"]
    for k in out["runs"][0]:
        within_seeds(f"multiple_networks: {k}", [r[k] for r in out["runs"]], ref, k)
