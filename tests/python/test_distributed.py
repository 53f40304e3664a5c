"""Distributed runs from Python: ``net.compile(comm=...)`` on two and
three ranks, each a process (a communicator over multiprocessing queues
stands in for mpi4py's ``MPI.COMM_WORLD``: the same three methods), gives
the spikes, attributes and weights of one process, bit for bit; the same
under ``mpirun`` with mpi4py's own communicator, where both are installed
(CAJAL_REQUIRE_MPI=1 requires them); and ``backend='gpu'`` runs every rank
on the GPU engine with one GPU process's activity."""

import multiprocessing as mp
import os
import pathlib
import pickle
import shutil
import subprocess
import sys

import numpy as np
import pytest

import cajal as ann


class QueueComm:
    """mpi4py's ``Get_rank``, ``Get_size`` and ``allgather`` over one
    queue per rank."""

    def __init__(self, rank, queues):
        self.rank, self.queues, self.round, self.early = rank, queues, 0, {}

    def Get_rank(self):
        return self.rank

    def Get_size(self):
        return len(self.queues)

    def allgather(self, obj):
        self.round += 1
        for r, q in enumerate(self.queues):
            if r != self.rank:
                q.put((self.round, self.rank, obj))
        got = {self.rank: obj}
        got.update(self.early.pop(self.round, {}))
        while len(got) < len(self.queues):
            rnd, r, o = self.queues[self.rank].get(timeout=300)
            if rnd == self.round:
                got[r] = o
            else:
                self.early.setdefault(rnd, {})[r] = o
        return [got[r] for r in range(len(self.queues))]


def network(comm=None, backend="cpu"):
    """A noisy plastic network with delays; what it reads after 100 ms."""
    net = ann.Network(dt=0.1, seed=11)
    pop = net.create(700, ann.Izhikevich(), name="pop")
    noise = net.create(ann.PoissonPopulation(600, rates=20.0, name="noise"))
    pop.v = ann.Uniform(-70.0, -60.0)
    pop.i_offset = ann.Uniform(0.0, 12.0)
    stdp = ann.Synapse(
        parameters="tau = 20.0 : projection\nA = 0.01 : projection",
        equations="tau * dx/dt = -x : event-driven\ntau * dy/dt = -y : event-driven",
        pre_spike="g_target += w\nx += A\nw = clip(w - y, 0.0, 5.0)",
        post_spike="y += A\nw = clip(w + x, 0.0, 5.0)",
    )
    proj = net.connect(noise, pop, "exc", synapse=stdp)
    proj.connect_fixed_probability(0.1, weights=ann.Uniform(0.5, 3.0), delays=ann.Uniform(1.0, 3.0))
    net.connect(pop[:500], pop, "exc").connect_fixed_probability(0.02, weights=0.5)
    m = net.monitor(pop, ["spike", "v"])
    net.compile(comm=comm, backend=backend)
    net.simulate(60.0)
    # As ANNarchy's scripts do: a monitor added after compile().
    later = net.monitor(noise, "spike")
    net.simulate(40.0)
    spikes = m.get("spike")
    v = m.get("v")
    noise_spikes = later.get("spike")
    out = {
        "spikes": sorted((int(s), int(r)) for r, ts in spikes.items() for s in ts),
        "noise": sorted((int(s), int(r)) for r, ts in noise_spikes.items() for s in ts),
        "v_trace": np.asarray(v),
        "u": np.asarray(pop.u),
        "w": np.concatenate([np.asarray(x, dtype=np.float64).ravel() for x in proj.w]),
    }
    return out


def rank_main(rank, queues, results, backend="cpu"):
    """One rank (a spawned process): the same script, compiled with the
    communicator."""
    try:
        results.put((rank, network(QueueComm(rank, queues), backend)))
    except Exception as e:  # the parent reports it
        results.put((rank, repr(e)))


def spawn_ranks(ranks, backend="cpu"):
    """What each of ``ranks`` spawned processes reads, by rank."""
    ctx = mp.get_context("spawn")
    queues = [ctx.Queue() for _ in range(ranks)]
    results = ctx.Queue()
    procs = [ctx.Process(target=rank_main, args=(r, queues, results, backend)) for r in range(ranks)]
    for p in procs:
        p.start()
    got = dict(results.get(timeout=600) for _ in procs)
    for p in procs:
        p.join(timeout=60)
    return got


@pytest.mark.parametrize("ranks", [2, 3])
def test_ranks_read_what_one_process_computes(ranks):
    alone = network()
    assert len(alone["spikes"]) > 200, "the network should be active"
    assert len(alone["noise"]) > 100
    got = spawn_ranks(ranks)
    for r in range(ranks):
        out = got[r]
        assert not isinstance(out, str), f"rank {r} failed: {out}"
        assert out["spikes"] == alone["spikes"], f"{ranks} ranks, rank {r}: spikes differ"
        assert out["noise"] == alone["noise"], f"{ranks} ranks, rank {r}: the later monitor's spikes differ"
        for key in ("v_trace", "u", "w"):
            a, b = out[key], alone[key]
            assert a.shape == b.shape and np.array_equal(a.view(np.uint64), b.view(np.uint64)), (
                f"{ranks} ranks, rank {r}: {key} differs"
            )


def test_a_distributed_compile_refuses_batches():
    net = ann.Network(dt=0.1)
    net.create(10, ann.Izhikevich())
    with pytest.raises(ann.CajalError, match="batch"):
        net.compile(comm=QueueComm(0, [None]), batch=2)


def gpu_adapter():
    """Whether the GPU engine can run here (CAJAL_REQUIRE_GPU=1 requires it)."""
    net = ann.Network(dt=0.1)
    net.create(10, ann.Izhikevich())
    try:
        net.compile(backend="gpu")
        return True
    except ann.CajalError:
        if os.environ.get("CAJAL_REQUIRE_GPU") == "1":
            raise
        return False


def test_gpu_ranks_fire_as_one_gpu_process():
    if not gpu_adapter():
        pytest.skip("no GPU adapter")
    alone = network(backend="gpu")
    assert len(alone["spikes"]) > 200, "the network should be active"
    got = spawn_ranks(2, "gpu")
    for r in range(2):
        out = got[r]
        assert not isinstance(out, str), f"rank {r} failed: {out}"
        # The same synapses; the activity of one GPU run (float atomics add
        # in the threads' order, which a GPU may vary from run to run).
        assert out["w"].shape == alone["w"].shape
        assert out["noise"] == alone["noise"], "Poisson inputs are drawn by key: the same on any rank count"
        n, m = len(out["spikes"]), len(alone["spikes"])
        assert abs(n - m) <= 0.05 * m, f"rank {r}: {n} spikes against {m}"


MPI_SCRIPT = """
import pickle, sys
sys.path.insert(0, sys.argv[2])
from mpi4py import MPI
import test_distributed as t
comm = MPI.COMM_WORLD
out = t.network(comm)
if comm.Get_rank() == 0:
    with open(sys.argv[1], "wb") as f:
        pickle.dump((comm.Get_size(), out), f)
"""


def test_under_mpirun_with_mpi4py(tmp_path):
    try:
        import mpi4py  # noqa: F401
    except ImportError:
        mpi4py = None
    mpirun = shutil.which("mpirun")
    if mpi4py is None or mpirun is None:
        if os.environ.get("CAJAL_REQUIRE_MPI") == "1":
            pytest.fail("mpirun and mpi4py are required (CAJAL_REQUIRE_MPI=1)")
        pytest.skip("mpirun or mpi4py missing")
    alone = network()
    script = tmp_path / "rank.py"
    script.write_text(MPI_SCRIPT)
    here = str(pathlib.Path(__file__).resolve().parent)
    env = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1")
    for n in (2, 3):
        out = tmp_path / f"out{n}.pkl"
        run = subprocess.run(
            [mpirun, "--oversubscribe", "-np", str(n), sys.executable, str(script), str(out), here],
            env=env, capture_output=True, text=True, timeout=600,
        )
        assert run.returncode == 0, run.stdout + run.stderr
        size, got = pickle.loads(out.read_bytes())
        assert size == n, f"mpi4py saw {size} processes, not {n}"
        assert got["spikes"] == alone["spikes"], f"{n} processes: spikes differ"
        assert got["noise"] == alone["noise"], f"{n} processes: the later monitor differs"
        for key in ("v_trace", "u", "w"):
            assert np.array_equal(got[key].view(np.uint64), alone[key].view(np.uint64)), f"{n}: {key}"
