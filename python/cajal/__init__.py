"""cajal: neural networks written as equations, run on any GPU or a fast
CPU engine, with ANNarchy's API.

An ANNarchy script runs with its import changed::

    import cajal as ann

    ann.setup(dt=0.1)
    pop = ann.Population(1000, ann.Izhikevich)
    proj = ann.Projection(pop[:800], pop, 'exc')
    proj.connect_fixed_probability(0.1, weights=ann.Uniform(0.0, 0.5))
    m = ann.Monitor(pop, 'spike')
    ann.compile()              # backend='cpu' (default), 'gpu' or 'auto'
    ann.simulate(1000.0)
    t, n = m.raster_plot()

ANNarchy 5's ``Network`` (``net.create``, ``net.connect``, ``net.monitor``,
``net.compile``, ``net.simulate``) works the same way. Nothing is compiled
by a C++ compiler: ``compile()`` takes milliseconds. What differs from
ANNarchy is listed in the package README.
"""

from __future__ import annotations

from typing import Optional

from . import _cajal
from ._builtins import *  # noqa: F401,F403
from ._builtins import __all__ as _builtin_names
from ._inputs import (
    DecodingProjection,
    InputArray,
    PoissonPopulation,
    SpikeSourceArray,
    TimedArray,
    TimedPoissonPopulation,
)
from .extensions.convolution import Convolution, Copy, Pooling, Transpose
from ._models import (
    Binomial,
    DiscreteUniform,
    Exponential,
    Gamma,
    LogNormal,
    Neuron,
    Normal,
    Parameter,
    RandomDistribution,
    Synapse,
    Uniform,
    Variable,
)
from ._network import (
    CajalError,
    Constant,
    Dendrite,
    IndividualNeuron,
    LILConnectivity,
    Monitor,
    Network,
    Population,
    PopulationView,
    Projection,
    _magic,
    _MAGIC,
    _SETTINGS,
    coefficient_of_variation,
    every,
    histogram,
    inter_spike_interval,
    mean_fr,
    population_rate,
    raster_plot,
    smoothed_rate,
)

__version__ = "0.1.0"


def devices() -> list:
    """The GPU adapters wgpu finds: ``(name, kind, graphics API)`` each."""
    return _cajal.devices()


def setup(dt: Optional[float] = None, seed: Optional[int] = None, paradigm: Optional[str] = None, precision: Optional[str] = None, **kwargs):
    """Sets the default network's time step, seed and precision
    (ANNarchy's ``setup``), before its first population; ``clear()``
    keeps them. ``paradigm='cuda'`` makes ``compile()`` choose the GPU
    engine; ``precision='double'`` computes in f64 (either engine).
    ANNarchy's other settings (``num_threads``, ...) are accepted and
    ignored."""
    net = _magic()
    if precision is not None:
        net.precision = precision
        _SETTINGS["precision"] = precision
    if dt is not None:
        if net._core is not None and float(dt) != net.dt:
            raise CajalError("setup: dt can be changed only before the first population (or after clear())")
        _SETTINGS["dt"] = net._dt = float(dt)
    if seed is not None:
        _SETTINGS["seed"] = int(seed)
        net.seed = seed
    if paradigm is not None:
        _SETTINGS["backend"] = net._backend = "gpu" if paradigm == "cuda" else "cpu"


def clear(functions: bool = True, neurons: bool = True, synapses: bool = True, constants: bool = True):
    """Forgets the default network: every population, projection and
    monitor (the settings of ``setup`` stay)."""
    _MAGIC.clear()


def compile(directory: str = "annarchy", clean: bool = False, populations=None, projections=None, backend: Optional[str] = None, net_id: int = 0, **kwargs):
    """Builds the default network on an engine: ``backend`` ``'cpu'``
    (default), ``'gpu'`` or ``'auto'``."""
    _magic().compile(directory=directory, clean=clean, backend=backend, **kwargs)


def simulate(duration: float, measure_time: bool = False, net_id: int = 0):
    """Simulates the default network for ``duration`` ms."""
    _magic().simulate(duration, measure_time=measure_time)


def simulate_until(max_duration: float, population=None, operator: str = "and", measure_time: bool = False, net_id: int = 0):
    """Not supported yet (stop conditions)."""
    return _magic().simulate_until(max_duration, population, operator, measure_time)


def step(net_id: int = 0):
    """Simulates one step of the default network."""
    _magic().step()


def reset(populations: bool = True, projections: bool = False, synapses: bool = False, monitors: bool = True, net_id: int = 0):
    """Back to the state after compiling (time 0)."""
    _magic().reset(populations, projections, synapses, monitors)


def dt() -> float:
    """The default network's time step in ms."""
    return _magic().dt


def get_time(net_id: int = 0) -> float:
    """The current time in ms."""
    return _magic().get_time()


def set_time(t: float, net_id: int = 0):
    """Sets the current time in ms."""
    _magic().set_time(t)


def get_current_step(net_id: int = 0) -> int:
    """The current step."""
    return _magic().get_current_step()


def set_current_step(t: int, net_id: int = 0):
    """Sets the current step."""
    _magic().set_current_step(t)


def get_population(name: str, net_id: int = 0) -> Population:
    """The population of that name."""
    return _magic().get_population(name)


def get_projection(name: str, net_id: int = 0) -> Projection:
    """The projection of that name."""
    return _magic().get_projection(name)


def get_monitor(name: str, net_id: int = 0) -> Monitor:
    """The monitor of that name."""
    return _magic().get_monitor(name)


def populations(net_id: int = 0) -> list:
    """Every population of the default network."""
    return _magic().get_populations()


def projections(net_id: int = 0, post=None, pre=None, target=None, suppress_error=False) -> list:
    """The projections of the default network (optionally by post, pre, target)."""
    return _magic().get_projections(post=post, pre=pre, target=target)


def monitors(net_id: int = 0) -> list:
    """Every monitor of the default network."""
    return _magic().get_monitors()


def enable_learning(projections=None, period=None, offset=None, net_id: int = 0):
    """Turns learning on (all projections by default)."""
    _magic().enable_learning(projections, period, offset)


def disable_learning(projections=None, net_id: int = 0):
    """Turns learning off (all projections by default)."""
    _magic().disable_learning(projections)


def save(filename: str, populations: bool = True, projections: bool = True, net_id: int = 0):
    """Saves the default network's state."""
    _magic().save(filename)


def load(filename: str, populations: bool = True, projections: bool = True, net_id: int = 0):
    """Loads a state saved by ``save``."""
    _magic().load(filename)


def add_function(function: str):
    """Global functions models can call."""
    _magic().add_function(function)


def get_constant(name: str, net_id: int = 0) -> float:
    """A network constant's current value."""
    return _magic().get_constant(name)


def callbacks_enabled(net_id: int = 0) -> bool:
    """Whether callbacks run."""
    return _magic().callbacks_enabled()


def disable_callbacks(net_id: int = 0):
    """Stops calling callbacks."""
    _magic().disable_callbacks()


def enable_callbacks(net_id: int = 0):
    """Calls callbacks again."""
    _magic().enable_callbacks()


def clear_all_callbacks(net_id: int = 0):
    """Forgets every callback."""
    _magic().clear_all_callbacks()


def parallel_run(method, networks=None, number: int = 0, max_processes: int = -1, measure_time: bool = False, sequential: bool = False, same_seed: bool = False, **args) -> list:
    """ANNarchy 4's ``parallel_run``: calls ``method(idx, net, **args)``
    on ``number`` copies of the default network (or on ``networks``),
    each compiled on the default network's engine, and returns the
    results in order; a list-valued argument gives one value per run. The
    copies draw at run time with seeds of their own, unless ``same_seed``
    or ``setup(seed=...)`` fixed one. Each copy starts from the default
    network's compiled state; ``net.get(obj)`` is the copy of ``obj``.

    The runs are made one after the other in this process (the engine
    itself uses the cores): their results are those of separate runs, and a
    ``method`` drawing with numpy's global state draws in order."""
    import time as _t

    t0 = _t.perf_counter()
    base = _magic()
    if networks is None:
        if number < 1:
            raise CajalError("parallel_run: give number (>= 1) or a list of networks")
        fixed = same_seed or _SETTINGS["seed"] is not None
        seeds = [base.seed if fixed else None for _ in range(number)]
        if not fixed:
            import os as _os

            seeds = [int.from_bytes(_os.urandom(8), "little") >> 1 for _ in range(number)]
        networks = []
        for s in seeds:
            net = base._fork(s)
            net.compile(backend=(base._engine or "cpu").split(" ")[0])
            networks.append(net)
    n = len(networks)
    results = []
    for idx, net in enumerate(networks):
        kw = {}
        for k, v in args.items():
            if isinstance(v, list):
                if len(v) != n:
                    raise CajalError(f"parallel_run: {len(v)} values of '{k}' for {n} runs")
                v = v[idx]
            kw[k] = v
        results.append(method(idx, net, **kw))
    if measure_time:
        print(f"Running {n} networks took {_t.perf_counter() - t0} seconds.")
    return results


def report(filename: Optional[str] = None, net_id: int = 0) -> str:
    """The default network's step schedule as text (written to
    ``filename`` if given)."""
    text = _magic().report()
    if filename:
        with open(filename, "w") as f:
            f.write(text)
    return text


__all__ = [
    "CajalError",
    "Network",
    "Population",
    "PopulationView",
    "IndividualNeuron",
    "Projection",
    "Dendrite",
    "Monitor",
    "Neuron",
    "Synapse",
    "Parameter",
    "Variable",
    "Constant",
    "LILConnectivity",
    "RandomDistribution",
    "Uniform",
    "DiscreteUniform",
    "Normal",
    "LogNormal",
    "Exponential",
    "Gamma",
    "Binomial",
    "PoissonPopulation",
    "SpikeSourceArray",
    "InputArray",
    "TimedArray",
    "TimedPoissonPopulation",
    "DecodingProjection",
    "Convolution",
    "Pooling",
    "Transpose",
    "Copy",
    "every",
    "setup",
    "clear",
    "compile",
    "simulate",
    "simulate_until",
    "step",
    "reset",
    "dt",
    "get_time",
    "set_time",
    "get_current_step",
    "set_current_step",
    "get_population",
    "get_projection",
    "get_monitor",
    "populations",
    "projections",
    "monitors",
    "enable_learning",
    "disable_learning",
    "save",
    "load",
    "add_function",
    "get_constant",
    "callbacks_enabled",
    "disable_callbacks",
    "enable_callbacks",
    "clear_all_callbacks",
    "report",
    "parallel_run",
    "devices",
    "raster_plot",
    "histogram",
    "inter_spike_interval",
    "coefficient_of_variation",
    "mean_fr",
    "smoothed_rate",
    "population_rate",
] + list(_builtin_names)
