"""Shared by the Python tests: a fresh default network per test, plots off
screen, and running ANNarchy's notebooks (tests/python/notebooks/) as
scripts with a chosen seed."""

import json
import os
import pathlib
import runpy

import numpy as np
import pytest

os.environ.setdefault("MPLBACKEND", "Agg")

import cajal as ann  # noqa: E402

HERE = pathlib.Path(__file__).resolve().parent
REPO = HERE.parent.parent
REFERENCE = REPO / "tests" / "data" / "annarchy" / "notebooks"


@pytest.fixture(autouse=True)
def fresh():
    """Every test starts from an empty default network with ANNarchy's
    default settings."""
    ann.clear()
    ann._SETTINGS.update({"dt": 1.0, "seed": None, "backend": "cpu"})
    yield
    ann.clear()
    try:
        import matplotlib.pyplot as plt

        plt.close("all")
    except ImportError:
        pass


def run_notebook(name: str, seed: int) -> dict:
    """Runs notebook `name` as a script with `seed` for cajal's draws and
    numpy's; returns the script's global variables."""
    ann.clear()
    ann._SETTINGS.update({"dt": 1.0, "seed": seed, "backend": os.environ.get("CAJAL_PY_BACKEND", "cpu")})
    np.random.seed(seed)
    return runpy.run_path(str(HERE / "notebooks" / f"{name}.py"), run_name="__main__")


def reference(name: str) -> dict:
    """ANNarchy 5.0.4.1's output for a notebook (tests/data/annarchy/notebooks)."""
    with open(REFERENCE / name / f"{name}.json") as f:
        return json.load(f)


def within_seeds(what: str, values, runs: list, key: str):
    """cajal's seeds and ANNarchy's (``runs``, one dictionary a seed)
    measure the same quantity: their means differ by at most three
    standard errors of the difference (Welch), or by 0.1 % of ANNarchy's
    mean where both spreads are tiny. Each side's seeds are fixed, so the
    test gives the same answer every time."""
    a = np.array([r[key] for r in runs], dtype=float)
    c = np.array(values, dtype=float)
    se = np.sqrt(c.var(ddof=1) / len(c) + a.var(ddof=1) / len(a))
    diff = abs(c.mean() - a.mean())
    bound = max(3.0 * se, 1e-3 * abs(a.mean()))
    assert diff <= bound, (
        f"{what}: cajal {c.mean():.4f} (seeds {np.round(c, 4).tolist()}) against ANNarchy "
        f"{a.mean():.4f} (seeds {np.round(a, 4).tolist()}): difference {diff:.4f} > {bound:.4f}"
    )
