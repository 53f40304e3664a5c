"""The same network built from Python and from Rust
(examples/python_twin.rs) gives the same spikes, bit for bit, on the CPU
engine: the Python layer adds nothing of its own to a model or a run."""

import json
import os
import pathlib
import subprocess

import numpy as np

import cajal as ann

REPO = pathlib.Path(__file__).resolve().parent.parent.parent


def rust_spikes(seed: int):
    # Where cargo builds it: CARGO_TARGET_DIR if set (as tests/mpi/run).
    target = pathlib.Path(os.environ.get("CARGO_TARGET_DIR", REPO / "target"))
    exe = target / "release" / "examples" / "python_twin"
    if not exe.exists():
        subprocess.run(
            ["cargo", "build", "--release", "--example", "python_twin"], cwd=REPO, check=True
        )
    out = subprocess.run([str(exe), str(seed)], check=True, capture_output=True, text=True)
    return [[tuple(x) for x in json.loads(line)] for line in out.stdout.splitlines()]


def python_spikes(seed: int):
    net = ann.Network(dt=0.1, seed=seed)
    lif = ann.Neuron(
        parameters="""
            tau = 20.0 : population
            tau_exc = 5.0 : population
            tau_inh = 10.0 : population
            El = -60.0 : population
            Vt = -50.0 : population
            Vr = -60.0 : population
            I = 20.0
        """,
        equations="""
            tau * dv/dt = (El - v) + g_exc * (0.0 - v) + g_inh * (-80.0 - v) + I + Normal(0.0, 0.5)
            tau_exc * dg_exc/dt = - g_exc
            tau_inh * dg_inh/dt = - g_inh
        """,
        spike="v > Vt",
        reset="v = Vr",
        refractory=5.0,
    )
    pop = net.create(1000, lif, name="pop")
    noise = net.create(ann.PoissonPopulation(200, rates=20.0, name="noise"))
    pop.v = ann.Normal(-55.0, 5.0)
    pop.I = ann.Uniform(15.0, 25.0)
    net.connect(pop[:800], pop, "exc").connect_fixed_probability(0.05, weights=ann.Uniform(0.2, 0.8))
    net.connect(pop[800:], pop, "inh").connect_fixed_probability(
        0.05, weights=6.0, delays=ann.Uniform(0.5, 2.0)
    )
    net.connect(noise, pop, "exc").connect_fixed_number_pre(10, weights=0.5)
    m = net.monitor(pop, "spike")
    mn = net.monitor(noise, "spike")
    net.compile()
    net.simulate(200.0)
    out = []
    for mon in (m, mn):
        spikes = mon.get("spike")
        out.append(sorted((int(s), int(r)) for r, ts in spikes.items() for s in ts))
    return out


def test_python_and_rust_give_the_same_spikes():
    for seed in (7, 8):
        rust = rust_spikes(seed)
        py = python_spikes(seed)
        assert len(rust[0]) > 1000, "the network should be active"
        assert len(rust[1]) > 100
        assert py[0] == sorted(rust[0]), f"seed {seed}: the populations' spikes differ"
        assert py[1] == sorted(rust[1]), f"seed {seed}: the Poisson inputs' spikes differ"
