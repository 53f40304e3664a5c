"""Networks, populations, projections and monitors with ANNarchy's API.

Everything here is a thin layer over ``cajal._cajal.Core``, which holds the
Rust network and, once compiled, its simulation: a population or a
projection is its name in the core, a monitor its number. Values cross as
float64 numpy arrays (the engines compute in float32).
"""

from __future__ import annotations

import numbers
import os
import time as _time
from typing import Callable, Dict, List, Optional, Sequence, Union

import numpy as np

from . import _cajal
from ._models import Neuron, RandomDistribution, Synapse

CajalError = _cajal.CajalError


# ---------------------------------------------------------------------------
# values


def _value(value):
    """A value to set, in the form the core takes: a float, a float64
    array, or a distribution tuple."""
    if isinstance(value, RandomDistribution):
        return value._tuple()
    if isinstance(value, (bool, np.bool_)):
        return float(value)
    if isinstance(value, numbers.Number):
        return float(value)
    a = np.asarray(value, dtype=np.float64)
    if a.size == 1:
        # One value broadcasts, as numpy does (and as ANNarchy accepts the
        # PyNN notebook's `pop.tau_refrac = 2.0,`, a one-element tuple).
        return float(a.reshape(()))
    return np.ascontiguousarray(a)


def _weights(value):
    if isinstance(value, RandomDistribution):
        return value._tuple()
    if isinstance(value, numbers.Number):
        return float(value)
    raise TypeError(
        f"weights must be a number or a random distribution, got {type(value).__name__}"
    )


def _delays(value):
    if value is None:
        return None
    if isinstance(value, RandomDistribution):
        return value._tuple()
    if isinstance(value, numbers.Number):
        # ANNarchy's default delay 0.0 is no delay: the next step.
        return float(value) if value > 0 else None
    raise TypeError(
        f"delays must be a number or a random distribution, got {type(value).__name__}"
    )


def _model(model, base, what):
    """A model instance from an instance or a class (``neuron=ann.Izhikevich``)."""
    if isinstance(model, type) and issubclass(model, base):
        model = model()
    if not isinstance(model, base):
        raise TypeError(f"{what} must be a {base.__name__}, got {type(model).__name__}")
    return model


# ---------------------------------------------------------------------------
# networks


class _NetworkMeta(type):
    """ANNarchy 5's way of subclassing ``Network``: ``dt``, ``seed`` and
    ``precision`` are taken out of the arguments for ``Network.__init__``,
    the others go to the subclass's ``__init__`` (which builds the
    network), and are kept for ``parallel_run``'s copies."""

    def __call__(cls, *args, **kwargs):
        dt = kwargs.pop("dt", None)
        seed = kwargs.pop("seed", None)
        precision = kwargs.pop("precision", None)
        if kwargs.pop("everything", False):
            # ANNarchy 4's Network(everything=True): a copy of the default network.
            return _magic()._fork(seed)
        if precision not in (None, "float", "double"):
            raise CajalError(f"network: precision is 'float' or 'double', got {precision!r}")
        net = cls.__new__(cls)
        Network.__init__(net, dt=1.0 if dt is None else dt, seed=seed, precision=precision)
        if cls.__init__ is not Network.__init__:
            cls.__init__(net, *args, **kwargs)
        net._init_args = args
        net._init_kwargs = kwargs
        return net


class Network(metaclass=_NetworkMeta):
    """A network of populations, projections and monitors, as ANNarchy 5's
    ``Network``: ``create``, ``connect``, ``monitor``, ``compile``,
    ``simulate``.

    >>> import cajal as ann
    >>> net = ann.Network(dt=0.1, seed=42)
    >>> pop = net.create(100, ann.Izhikevich)
    >>> m = net.monitor(pop, 'spike')
    >>> net.compile()
    >>> net.simulate(100.0)
    """

    def __init__(self, dt: float = 1.0, seed: Optional[int] = None, precision: Optional[str] = None):
        # A subclass's __init__ calling super().__init__() again changes nothing.
        if getattr(self, "_initialized", False):
            return
        self._initialized = True
        self._init_args, self._init_kwargs = (), {}
        self._dt = float(dt)
        self._seed = seed
        self._precision = precision
        self._flush_subnormals = False
        self._core = None
        self._populations: List[Population] = []
        self._projections: List[Projection] = []
        self._monitors: List[Monitor] = []
        self._callbacks: list = []
        self._callbacks_on = True
        self._backend = "cpu"
        self._engine = None

    # -- set-up -------------------------------------------------------------

    @property
    def _c(self):
        if self._core is None:
            if self._seed is None:
                # As ANNarchy: without a seed, each run draws differently;
                # `net.seed` tells which seed it drew, to repeat the run.
                self._seed = int.from_bytes(os.urandom(8), "little") >> 1
            self._core = _cajal.Core(self._dt, self._seed, self._precision, self._flush_subnormals)
        return self._core

    @property
    def dt(self) -> float:
        """The time step in ms."""
        return self._dt

    @dt.setter
    def dt(self, dt: float):
        if self._core is not None:
            raise CajalError("network: dt can be changed only before the first population")
        self._dt = float(dt)

    @property
    def seed(self) -> Optional[int]:
        """The seed of every random draw (initial values, connectivity,
        run-time noise)."""
        return self._seed

    @seed.setter
    def seed(self, seed: int):
        self._seed = int(seed)
        if self._core is not None:
            self._core.set_seed(int(seed))

    @property
    def precision(self) -> str:
        """``'float'`` (single precision, the default) or ``'double'``
        (the CPU engine computes every value in f64, as ANNarchy's
        ``precision='double'``; ``CAJAL_PRECISION=double`` in the
        environment makes it the default)."""
        if self._core is not None:
            return self._core.precision()
        return self._precision or "float"

    @precision.setter
    def precision(self, precision: str):
        if self._core is not None and precision != self.precision:
            raise CajalError("network: the precision can be changed only before the first population")
        if precision not in ("float", "double"):
            raise CajalError(f"network: precision is 'float' or 'double', got {precision!r}")
        self._precision = precision

    def config(self, dt: Optional[float] = None, seed: Optional[int] = None, precision: Optional[str] = None,
               flush_subnormals: Optional[bool] = None, **kwargs):
        """ANNarchy 5's ``net.config(dt=..., seed=..., precision=...)``;
        other settings (threads, ...) are accepted and have no effect (see
        the package README). cajal's own ``flush_subnormals=True`` makes
        the CPU engine flush subnormal numbers to zero (faster where
        decaying traces reach them; Rust's ``Network::flush_subnormals``
        says what changes), before the first population."""
        if flush_subnormals is not None:
            if self._core is not None:
                raise CajalError("network: set flush_subnormals before creating populations")
            self._flush_subnormals = bool(flush_subnormals)
        if dt is not None:
            self.dt = dt
        if seed is not None:
            self.seed = seed
        if precision is not None:
            self.precision = precision
        if kwargs.get("paradigm") == "cuda":
            self._backend = "gpu"

    def _unique(self, name: Optional[str], prefix: str, taken) -> str:
        if name is None:
            i = len(taken)
            while f"{prefix}{i}" in taken:
                i += 1
            return f"{prefix}{i}"
        if name in taken:
            raise CajalError(f"network: the name '{name}' is already taken")
        return name

    def create(self, geometry=None, neuron=None, stop_condition=None, name=None, population=None):
        """Adds a population: ``net.create(geometry, neuron, name=...)``,
        or a specific one, ``net.create(ann.PoissonPopulation(100, rates=20.))``."""
        if isinstance(geometry, Population):
            population, geometry = geometry, None
        if population is not None:
            if geometry is not None or neuron is not None or name is not None:
                raise CajalError(
                    "Network.create(): give no other argument with a Population instance"
                )
            return population._copy(self)
        if geometry is None or neuron is None:
            raise CajalError("Network.create(): give a geometry and a neuron")
        return Population(geometry, neuron, name=name, stop_condition=stop_condition, network=self)

    def connect(self, pre=None, post=None, target: Union[str, List[str]] = "", synapse=None, name=None, projection=None):
        """Adds a projection: ``net.connect(pre, post, 'exc', synapse)``,
        then one of its ``connect_*`` methods."""
        if isinstance(pre, Projection):
            projection, pre = pre, None
        if projection is not None:
            return projection._copy(self)
        return Projection(pre, post, target, synapse=synapse, name=name, network=self)

    def monitor(self, obj, variables=None, period=None, period_offset=None, start=True, name=None):
        """Adds a monitor of a population, a view, a neuron, a projection or
        a dendrite."""
        return Monitor(obj, variables, period=period, period_offset=period_offset, start=start, name=name, network=self)

    def constant(self, name: str, value: float):
        """A network constant models can read by name, changeable after
        compiling (ANNarchy's ``Constant``)."""
        return Constant(name, value, network=self)

    def add_function(self, text: str):
        """Global functions models can call (``add_function('sig(x) = 1/(1+exp(-x))')``)."""
        self._c.add_function(text)

    # -- compiling and running ----------------------------------------------

    def compile(self, directory: str = "annarchy", clean: bool = False, backend: Optional[str] = None, silent: bool = False, batch: Optional[int] = None, comm=None, **kwargs):
        """Builds the network on an engine: ``backend`` is ``'cpu'`` (the
        default), ``'gpu'`` (wgpu: Vulkan, Metal, DX12) or ``'auto'`` (a
        hardware GPU if there is one). With ``batch``, that many copies of
        the network run at once (batch inference: values and recordings
        gain a first axis of that size). With ``comm`` (mpi4py's
        ``MPI.COMM_WORLD``, or any object with its ``Get_rank``,
        ``Get_size`` and ``allgather``), the script is one rank of a
        distributed run (on the CPU engine, or the GPU engine with
        ``backend='gpu'``, each rank on its own adapter where the machine
        has several): every rank runs the same script,
        owns a block of every population and the synapses onto it, and
        reads (attributes, monitors) give the whole network's values on
        every rank, bit for bit those of one process; every rank must make
        the same calls in the same order. ANNarchy's other arguments
        (compiler, directory, ...) have nothing to do: nothing is compiled
        by a C++ compiler."""
        for p in self._populations:
            p._materialize()
        for p in self._projections:
            if not p._connected:
                raise CajalError(
                    f"projection '{p.name}': it is not connected: call one of its connect_* methods before compile()"
                )
        if comm is not None:
            if batch is not None:
                raise CajalError("compile: a distributed run (comm=...) runs one copy of the network, not a batch")
            self._engine = self._c.compile_distributed(comm, backend or self._backend)
        else:
            self._engine = self._c.compile(backend or self._backend, None if batch is None else int(batch))
        if not silent and kwargs.get("verbose"):
            print(f"cajal: compiled for {self._engine}")

    @property
    def batch_size(self) -> int:
        """How many copies of the network run at once (1 unless compiled
        with ``batch``)."""
        return self._core.batch_size() if self.compiled else 1

    def readout(self, monitor: "Monitor", kind: str, variable: Optional[str] = None, from_step: int = 0) -> np.ndarray:
        """ml_genn's readouts of a monitor's records from ``from_step`` on,
        ``[batch, neurons]``: ``'spike_count'``, ``'first_spike_time'``
        (ms, inf without a spike), or ``'var'``, ``'avg_var'``,
        ``'max_var'``, ``'sum_var'`` of ``variable``. It reads what the
        engine recorded, which ``Monitor.get`` takes away: read out first."""
        self._check("readout")
        # The engine's records, which Monitor.get takes away: read out first.
        return self._core.readout(monitor._id, kind, variable, int(from_step))

    def input_frames(self, population: "Population", frames: int, frame_timesteps: int):
        """Makes an ml_genn input population present ``frames`` frames of
        ``frame_timesteps`` steps each (before compiling)."""
        population._materialize()
        self._c.input_frames(population.name, int(frames), int(frame_timesteps))

    def set_input(self, population: "Population", values):
        """Sets the input of an ml_genn input population: ``[examples,
        *geometry]`` (one example per batch element), with frames
        ``[examples, frames, *geometry]``."""
        self._check("set_input")
        self._core.set_input(population.name, np.ascontiguousarray(np.asarray(values, dtype=np.float64)))

    def set_input_spikes(self, population: "Population", examples):
        """Sets the spikes of a ``SpikeInput``: per batch element a list of
        ``(time in ms, rank)``."""
        self._check("set_input_spikes")
        self._core.set_input_spikes(population.name, [[(float(t), int(r)) for t, r in ex] for ex in examples])

    @property
    def compiled(self) -> bool:
        """Whether ``compile`` has run."""
        return self._core is not None and self._core.compiled()

    def _reopen(self, what: str):
        """Before adding to the network: a compiled one is opened again
        (ANNarchy 4 scripts add populations after compile() and compile
        again), which drops its simulation."""
        if self.compiled:
            import warnings

            warnings.warn(
                f"{what} is added to a compiled network: compile() again; the simulation restarts from its initial state",
                stacklevel=4,
            )

    def _check(self, what: str):
        if not self.compiled:
            raise CajalError(f"{what}: the network is not compiled yet: call compile() first")

    def simulate(self, duration: float, measure_time: bool = False):
        """Simulates ``duration`` ms (rounded to steps). The GIL is released
        while the engine runs; Ctrl+C stops it between pieces of 2000 steps
        with KeyboardInterrupt."""
        self._check("simulate")
        c = self._core
        t0 = _time.perf_counter()
        n = c.steps_of(float(duration))
        end = c.current_step() + n
        while c.current_step() < end:
            self._fire_callbacks()
            now = c.current_step()
            # Run to the next callback (always after now) or the end.
            nxt = min([end] + [cb._next_after(now) for cb in self._active_callbacks()])
            c.run_steps(nxt - now)
        if measure_time:
            print(f"Simulating {duration / 1000.0} seconds of the network took {_time.perf_counter() - t0} seconds.")

    def simulate_until(self, max_duration: float, population=None, operator: str = "and", measure_time: bool = False):
        """ANNarchy's stop conditions are not supported yet: this raises."""
        raise NotImplementedError("simulate_until: stop conditions are not supported by cajal yet")

    def step(self):
        """Simulates one step."""
        self._check("step")
        self._fire_callbacks()
        self._core.run_steps(1)

    def reset(self, populations: bool = True, projections: bool = False, synapses: bool = False, monitors: bool = True):
        """Back to the state after compiling, at time 0, as ANNarchy's
        ``reset``: the populations' values (``populations``), the
        projections' (``projections``; by default they keep what they
        learned) and the monitors' data (``monitors``). Synapses created or
        pruned by structural plasticity are undone whatever ``synapses``
        says."""
        self._check("reset")
        kept = []
        if not populations:
            kept += [(p, n, p._get(n)) for p in self._populations for n in p._attrs]
        if not projections:
            for p in self._projections:
                if p._connected and p._nb_synapses > 0:
                    kept += [(p, n, p._triplets(n)[2]) for n in p._attrs]
        if not monitors:
            # The engine's reset empties its recorders: keep their data here.
            for m in self._monitors:
                m._pull()
        self._core.reset()
        for obj, name, value in kept:
            if isinstance(obj, Projection):
                if obj._attrs[name][1] == "global":
                    value = float(value[0])
                self._core.set_projection(obj.name, name, _value(value))
            else:
                obj._set(name, value)
        for m in self._monitors if monitors else []:
            m._reset()
        for p in self._populations:
            p._reset()
        for cb in self._callbacks:
            cb._start = 0

    def enable_learning(self, projections=None, period=None, offset=None):
        """Turns learning on for some projections (default: all)."""
        self._check("enable_learning")
        if projections is None:
            self._core.enable_learning(None, period, offset)
        else:
            for p in projections:
                self._core.enable_learning(p.name, period, offset)

    def disable_learning(self, projections=None):
        """Turns learning off for some projections (default: all)."""
        self._check("disable_learning")
        if projections is None:
            self._core.disable_learning(None)
        else:
            for p in projections:
                self._core.disable_learning(p.name)

    # -- time ---------------------------------------------------------------

    def get_time(self) -> float:
        """The current time in ms."""
        return self._core.time() if self._core is not None else 0.0

    def set_time(self, t: float):
        """Sets the current time in ms."""
        self._check("set_time")
        self._core.set_time(float(t))

    def get_current_step(self) -> int:
        """The current step."""
        return self._core.current_step() if self._core is not None else 0

    def set_current_step(self, t: int):
        """Sets the current step."""
        self._check("set_current_step")
        self._core.set_current_step(int(t))

    time = property(get_time, set_time, doc="The current time in ms.")
    current_step = property(get_current_step, set_current_step, doc="The current step.")

    @property
    def t(self) -> float:
        """The current time in ms."""
        return self.get_time()

    # -- lookups ------------------------------------------------------------

    def get_population(self, name: str) -> "Population":
        """The population of that name."""
        for p in self._populations:
            if p.name == name:
                return p
        raise CajalError(f"network: no population '{name}' (known: {', '.join(p.name for p in self._populations)})")

    def get_projection(self, name: str) -> "Projection":
        """The projection of that name."""
        for p in self._projections:
            if p.name == name:
                return p
        raise CajalError(f"network: no projection '{name}' (known: {', '.join(p.name for p in self._projections)})")

    def get_monitor(self, name: str) -> "Monitor":
        """The monitor of that name."""
        for m in self._monitors:
            if m.name == name:
                return m
        raise CajalError(f"network: no monitor '{name}'")

    def get_populations(self) -> list:
        """Every population, in creation order."""
        return list(self._populations)

    def get_projections(self, post=None, pre=None, target=None, suppress_error=False) -> list:
        """The projections, optionally only those with this post, pre or target."""
        out = []
        for p in self._projections:
            if post is not None and p.post is not post and p.post.name != post:
                continue
            if pre is not None and p.pre is not pre and p.pre.name != pre:
                continue
            if target is not None and target not in p._targets:
                continue
            out.append(p)
        return out

    def get_monitors(self) -> list:
        """Every monitor."""
        return list(self._monitors)

    def get_constant(self, name: str) -> float:
        """A network constant's current value."""
        return float(self._c.get_constant(name))

    # -- state --------------------------------------------------------------

    def save(self, filename: str, populations: bool = True, projections: bool = True):
        """Saves the whole state (every value, the time) to a file that
        ``load`` reads back into this network, bit for bit."""
        self._check("save")
        self._core.save(str(filename))

    def load(self, filename: str, populations: bool = True, projections: bool = True, pickle_encoding=None):
        """Loads a state saved by ``save`` from the same network."""
        self._check("load")
        self._core.load(str(filename))

    # -- callbacks ----------------------------------------------------------

    def _active_callbacks(self):
        return [cb for cb in self._callbacks if cb._enabled and self._callbacks_on]

    def _fire_callbacks(self):
        s = self._core.current_step()
        for cb in list(self._callbacks):
            if not self._callbacks_on:
                break
            n = cb._due(s)
            if n is not None and cb._enabled:
                cb.func(n)

    def callbacks_enabled(self) -> bool:
        """Whether callbacks run."""
        return self._callbacks_on

    def disable_callbacks(self):
        """Stops calling every callback."""
        self._callbacks_on = False

    def enable_callbacks(self):
        """Calls the callbacks again."""
        self._callbacks_on = True

    def clear_all_callbacks(self):
        """Forgets every callback."""
        self._callbacks.clear()

    def _fork(self, seed: Optional[int] = None) -> "Network":
        """An uncompiled copy of this network as it is (values, synapses,
        monitors), its objects reachable with ``get``; ``seed`` for its
        run-time draws (default: this network's)."""
        new = Network.__new__(Network)
        Network.__init__(new, dt=self._dt, seed=self._seed if seed is None else seed, precision=self._precision)
        new._core = self._c.fork(None if seed is None else int(seed))
        new._backend = self._backend
        new._map = {}
        for p in self._populations:
            q = object.__new__(type(p))
            q.__dict__.update(p.__dict__)
            q.__dict__["_net"] = new
            new._populations.append(q)
            new._map[id(p)] = q
        for p in self._projections:
            q = object.__new__(type(p))
            q.__dict__.update(p.__dict__)
            q.__dict__.update(_net=new, pre=new.get(p.pre), post=new.get(p.post))
            new._projections.append(q)
            new._map[id(p)] = q
        for m in self._monitors:
            c = object.__new__(type(m))
            c.__dict__.update(m.__dict__)
            c.__dict__.update(_net=new, object=new.get(m.object), _recorded={}, _last={})
            c._data = {v: [] for v in m._variables}
            c._spikes = {k: [] for k in m._spikes}
            new._monitors.append(c)
            new._map[id(m)] = c
        return new

    def get(self, obj):
        """This network's copy of an object of the network it was copied
        from (``Network(everything=True)``, ``parallel_run``): a
        population, a view, a projection, a dendrite or a monitor."""
        m = getattr(self, "_map", {})
        if id(obj) in m:
            return m[id(obj)]
        if isinstance(obj, (PopulationView, IndividualNeuron)) and id(obj.population) in m:
            pop = m[id(obj.population)]
            return IndividualNeuron(pop, obj.rank) if isinstance(obj, IndividualNeuron) else PopulationView(pop, obj.ranks)
        if isinstance(obj, Dendrite) and id(obj.proj) in m:
            return Dendrite(m[id(obj.proj)], obj.post_rank)
        if obj in self._populations or obj in self._projections or obj in self._monitors:
            return obj
        raise CajalError(f"Network.get: {obj!r} is not an object of this network or of the one it copies")

    def parallel_run(self, method: Callable, number: int, max_processes: int = -1, seeds=None, measure_time: bool = False, **kwargs) -> list:
        """Runs ``method(net, **args)`` on ``number`` fresh copies of this
        network and returns the results in order, as ANNarchy 5's
        ``parallel_run``: the network must be a subclass of ``Network``
        whose ``__init__`` builds it; each copy is built with this one's
        constructor arguments (a keyword argument named like one of them
        replaces it, a list giving one value per copy; other keyword
        arguments go to ``method``), compiled on this network's engine and
        seeded by ``seeds``: ``None`` a random seed each, ``'same'`` this
        network's, ``'sequential'`` this one's + 1, + 2, ..., or a list.

        The copies run one after the other in this process (the engine
        itself uses the cores), so their results are those of separate
        runs whatever ``max_processes`` says, and a ``method`` that draws
        with numpy's global state draws in order."""
        import inspect

        if type(self) is Network:
            raise CajalError(
                "Network.parallel_run(): the network must be an instance of a subclass of Network "
                "whose __init__ builds it, not a Network built call by call"
            )
        t0 = _time.perf_counter()
        if seeds is None:
            seeds = [None] * number
        elif seeds == "same":
            seeds = [self.seed] * number
        elif seeds == "sequential":
            seeds = [self.seed + i + 1 for i in range(number)]
        seeds = list(seeds)
        if len(seeds) != number:
            raise CajalError(f"Network.parallel_run(): {len(seeds)} seeds for {number} runs")
        params = list(inspect.signature(type(self).__init__).parameters)[1:]
        bound = dict(zip(params, self._init_args))
        bound.update(self._init_kwargs)
        runs = []
        for i in range(number):
            init, margs = dict(bound), {}
            for k, v in kwargs.items():
                if isinstance(v, list):
                    if len(v) != number:
                        raise CajalError(f"Network.parallel_run(): {len(v)} values of '{k}' for {number} runs")
                    v = v[i]
                (init if k in params else margs)[k] = v
            runs.append((init, margs))
        results = []
        for seed, (init, margs) in zip(seeds, runs):
            net = type(self)(dt=self.dt, seed=seed, **init)
            net._backend = self._backend
            if self.compiled:
                net.compile(backend=self._engine.split(" ")[0] if self._engine else None)
            results.append(method(net, **margs))
        if measure_time:
            print(f"Simulating {number} networks took {_time.perf_counter() - t0} seconds.")
        return results

    def report(self) -> str:
        """The schedule of a step (which kernels run, in which order)."""
        return self._c.report()

    def __repr__(self):
        return f"Network(dt={self._dt}, {len(self._populations)} populations, {len(self._projections)} projections)"


class every:
    """A decorator calling a function every ``period`` ms during
    ``simulate`` (ANNarchy's ``@every``), before the step that starts then;
    the function receives how many times it was called before.

    >>> @ann.every(period=100.0)
    ... def set_inputs(n):
    ...     pop.I = 0.1 * n
    """

    def __init__(self, period: float, offset: float = 0.0, wait: float = 0.0, net=None, network=None):
        self._net = net or network or _magic()
        dt = self._net.dt
        self._period = max(int(round(period / dt)), 1)
        self._offset = int(round(offset / dt)) % self._period
        self._wait = int(round(wait / dt))
        self._start = self._net.get_current_step()
        self._enabled = True
        self.func = None

    def __call__(self, func):
        self.func = func
        self._net._callbacks.append(self)
        return func

    def _due(self, s: int):
        first = self._first()
        if s < first or (s - first) % self._period:
            return None
        return (s - first) // self._period

    def _first(self) -> int:
        base = self._start + self._wait
        # The first step at or after `base` that is `offset` modulo the period.
        return base + (self._offset - base) % self._period

    def _next_after(self, s: int) -> int:
        first = self._first()
        if s < first:
            return first
        return first + ((s - first) // self._period + 1) * self._period


# ---------------------------------------------------------------------------
# populations


def _attr_names(obj) -> Dict[str, tuple]:
    return obj.__dict__["_attrs"]


class _HasAttributes:
    """Model attributes read and written as Python attributes."""

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        if self.__dict__.get("_attrs") is None and "_recipe" in self.__dict__ and isinstance(self, Population):
            self._materialize()
            if name in self.__dict__:
                return self.__dict__[name]
        attrs = self.__dict__.get("_attrs")
        if attrs is not None and name in attrs:
            return self._get(name)
        raise AttributeError(f"{type(self).__name__} '{self.__dict__.get('name', '?')}' has no attribute '{name}'")

    def __setattr__(self, name, value):
        if self.__dict__.get("_attrs") is None and isinstance(self, Population) and not name.startswith("_"):
            self._materialize()
        attrs = self.__dict__.get("_attrs")
        if attrs is not None and name in attrs:
            self._set(name, value)
        else:
            object.__setattr__(self, name, value)

    def _ready(self):
        if isinstance(self, Population):
            self._materialize()

    def get(self, name: str):
        """The value of a parameter or variable."""
        self._ready()
        if name not in self._attrs:
            raise AttributeError(f"'{self.name}' has no attribute '{name}' (it has {', '.join(self._attrs)})")
        return self._get(name)

    def set(self, values: dict):
        """Sets several parameters or variables: ``pop.set({'v': -65.0})``."""
        self._ready()
        for k, v in values.items():
            if k not in self._attrs:
                raise AttributeError(f"'{self.name}' has no attribute '{k}' (it has {', '.join(self._attrs)})")
            self._set(k, v)

    @property
    def attributes(self) -> list:
        """Names of the parameters and variables."""
        self._ready()
        return list(self._attrs)

    @property
    def parameters(self) -> list:
        """Names of the parameters."""
        self._ready()
        return [k for k, (is_param, _) in self._attrs.items() if is_param]

    @property
    def variables(self) -> list:
        """Names of the variables."""
        self._ready()
        return [k for k, (is_param, _) in self._attrs.items() if not is_param]


class Population(_HasAttributes):
    """A population of neurons of one model, as ANNarchy's ``Population``.
    Parameters and variables are attributes: ``pop.v = -65.0``,
    ``pop.v`` (a numpy array shaped like the geometry; a float for a
    population-wide parameter); ``pop[10:20]`` is a view."""

    def __init__(self, geometry, neuron, name: Optional[str] = None, stop_condition=None, storage_order=None, copied=False, net_id=0, network=None):
        if stop_condition:
            raise NotImplementedError("Population: stop_condition is not supported by cajal yet")
        neuron = _model(neuron, Neuron, "neuron")
        self._setup(network or _magic(), name, ("neuron", geometry, neuron), neuron, lazy=network is None)

    def _setup(self, net: Network, name, recipe, neuron=None, lazy: bool = False):
        d = self.__dict__
        d["_net"] = net
        d["_recipe"] = recipe
        d["_attrs"] = None
        d["neuron_type"] = neuron
        taken = {p.name for p in net._populations}
        # A name given by the user goes with a copy into another network; a
        # made-up one is made up again there, where it may be taken.
        d["_named"] = name is not None
        d["name"] = net._unique(name, "pop", taken)
        net._populations.append(self)
        # A population of the default network is built in the core when
        # first used: one written as `net.create(ann.PoissonPopulation(...))`
        # is only a template there, copied into `net` and never built in
        # the default network.
        if not lazy:
            self._materialize()

    def _materialize(self):
        d = self.__dict__
        if d["_attrs"] is not None:
            return
        net, name = d["_net"], d["name"]
        kind, geometry, spec = d["_recipe"]
        geometry = _geometry(geometry)
        net._reopen(f"population '{name}'")
        if kind == "neuron":
            net._c.population(name, list(geometry), spec._spec())
        else:
            net._c.input_population(kind, name, list(geometry), spec)
        size, dims, spiking, attrs = net._c.population_info(name)
        d["_size"] = size
        d["_geometry"] = tuple(dims)
        d["_spiking"] = spiking
        d["_attrs"] = {n: (p, g) for n, p, g in attrs}
        neuron = d["neuron_type"]
        if neuron is not None:
            for k, v in neuron._overrides().items():
                self._set(k, v)

    def _copy(self, net: Network) -> "Population":
        if self._attrs is None and self in self._net._populations:
            # A template never used in its own network leaves it.
            self._net._populations.remove(self)
        p = object.__new__(type(self))
        p.__dict__.update({k: v for k, v in self.__dict__.items() if k.startswith("_x_")})
        p._setup(net, self.name if self._named else None, self._recipe, self.neuron_type)
        # Projections copied into `net` after this find the copy here, not
        # by a name that may differ.
        self.__dict__.setdefault("_copies", {})[net] = p
        return p

    def _reset(self):
        pass

    # -- shape --------------------------------------------------------------

    @property
    def size(self) -> int:
        """Number of neurons."""
        self._materialize()
        return self._size

    @property
    def geometry(self) -> tuple:
        """The shape of the population."""
        self._materialize()
        return self._geometry

    @property
    def dimension(self) -> int:
        """Number of dimensions of the geometry."""
        return len(self._geometry)

    @property
    def ranks(self) -> np.ndarray:
        """The ranks 0..size."""
        return np.arange(self._size)

    @property
    def population(self) -> "Population":
        """The population itself (a view's ``population`` is its population)."""
        return self

    def __len__(self):
        return self._size

    def rank_from_coordinates(self, coord) -> int:
        """The rank of the neuron at these coordinates."""
        return int(np.ravel_multi_index(tuple(coord), self._geometry))

    def coordinates_from_rank(self, rank: int) -> tuple:
        """The coordinates of the neuron of this rank."""
        return tuple(int(x) for x in np.unravel_index(rank, self._geometry))

    def normalized_coordinates_from_rank(self, rank: int, norm: float = 1.0) -> tuple:
        """Coordinates scaled to [0, norm]."""
        c = self.coordinates_from_rank(rank)
        return tuple(norm * x / max(n - 1, 1) for x, n in zip(c, self._geometry))

    def __getitem__(self, key):
        """``pop[i]`` a neuron by rank, ``pop[a:b]`` and ``pop[[i, j]]``
        views by rank, ``pop[x, y]`` and ``pop[:, y]`` by coordinates."""
        self._materialize()
        if isinstance(key, tuple):
            ranks = np.arange(self._size).reshape(self._geometry)[key]
        else:
            ranks = np.arange(self._size)[key]
        if np.ndim(ranks) == 0:
            return IndividualNeuron(self, int(ranks))
        return PopulationView(self, np.asarray(ranks).ravel())

    def neuron(self, *coord) -> "IndividualNeuron":
        """One neuron, by rank or coordinates."""
        if len(coord) == 1 and not isinstance(coord[0], tuple):
            return IndividualNeuron(self, int(coord[0]))
        c = coord[0] if len(coord) == 1 else coord
        return IndividualNeuron(self, self.rank_from_coordinates(c))

    # -- values -------------------------------------------------------------

    def _get(self, name, ranks=None):
        v = self._net._c.get(self.name, name, None if ranks is None else [int(r) for r in ranks])
        _, locality = self._attrs[name]
        batch = self._net.batch_size
        if batch > 1:
            # A batch: a first axis of batch elements.
            v = v.reshape((batch, -1))
            if locality != "local":
                return v[:, 0].copy()
            return v.reshape((batch,) + self._geometry) if ranks is None else v
        if locality != "local":
            return float(v[0])
        if ranks is None:
            return v.reshape(self._geometry)
        return v

    def _set(self, name, value, ranks=None):
        if isinstance(value, (list, tuple)) and ranks is None and len(value) == self._size:
            value = np.asarray(value, dtype=np.float64)
        self._net._c.set(self.name, name, _value(value), None if ranks is None else [int(r) for r in ranks])

    def set_element(self, element: int, name: str, value):
        """Sets a variable of one batch element's neurons."""
        self._net._check("set_element")
        self._net._core.set_element(self.name, int(element), name, _value(value))

    def sum(self, target: str) -> np.ndarray:
        """The weighted sum of the inputs of a target after the last step."""
        return self._net._c.sum(self.name, target).reshape(self._geometry)

    @property
    def refractory(self):
        """The refractory period as the neuron model gives it: ms, the
        expression (a parameter's name) that holds it, or None."""
        return getattr(self.neuron_type, "refractory", None)

    @refractory.setter
    def refractory(self, value):
        # ANNarchy's setter changes the period per population; cajal's is
        # the model's. Refused rather than kept as a Python attribute that
        # nothing reads (the run would silently keep the model's period).
        raise CajalError(
            f"population '{self.name}': its refractory period is its neuron model's "
            "(Neuron(refractory=...), or the parameter it names, tau_refrac in the "
            "built-in models, which can be set per neuron); changing it on the "
            "population is not supported yet"
        )

    def compute_firing_rate(self, window: float):
        """Makes ``r`` the firing rate over the last ``window`` ms
        (spiking populations)."""
        self._net._c.compute_firing_rate(self.name, float(window))
        size, dims, spiking, attrs = self._net._c.population_info(self.name)
        self.__dict__["_attrs"] = {n: (p, g) for n, p, g in attrs}

    def clear(self):
        """ANNarchy clears the spikes in flight; cajal keeps the state as it
        is (a SpikeSourceArray restarts its clock: see ``spike_times``)."""

    def __repr__(self):
        return f"Population '{self.name}' of {self._size} neurons, geometry {self._geometry}"


def _geometry(g) -> tuple:
    if isinstance(g, numbers.Integral):
        return (int(g),)
    return tuple(int(x) for x in g)


class PopulationView(_HasAttributes):
    """Some neurons of a population (``pop[10:20]``, ``pop[[1, 5, 7]]``,
    ``pop[:, 3]``); usable wherever a population is, for values,
    projections and monitors."""

    def __init__(self, population: Population, ranks, geometry=None):
        d = self.__dict__
        d["population"] = population
        d["ranks"] = np.asarray(ranks, dtype=np.int64)
        d["_attrs"] = population._attrs
        d["name"] = population.name
        d["_net"] = population._net
        if d["ranks"].size == 0:
            raise CajalError(f"population '{population.name}': an empty view")
        if d["ranks"].min() < 0 or d["ranks"].max() >= population.size:
            raise CajalError(f"population '{population.name}': a view's rank is out of range (size {population.size})")

    @property
    def size(self) -> int:
        """Number of neurons in the view."""
        return int(self.ranks.size)

    @property
    def geometry(self) -> tuple:
        """A view is one-dimensional: ``(size,)``."""
        return (self.size,)

    def __len__(self):
        return self.size

    def _get(self, name):
        return self.population._get(name, self.ranks)

    def _set(self, name, value):
        self.population._set(name, value, self.ranks)

    def __getitem__(self, key):
        ranks = self.ranks[key]
        if np.ndim(ranks) == 0:
            return IndividualNeuron(self.population, int(ranks))
        return PopulationView(self.population, ranks)

    def __add__(self, other):
        if other.population is not self.population:
            raise CajalError("only views of the same population can be added")
        return PopulationView(self.population, np.concatenate([self.ranks, np.atleast_1d(other.ranks)]))

    def sum(self, target: str) -> np.ndarray:
        """The weighted sums of a target of the view's neurons."""
        return self.population.sum(target).ravel()[self.ranks]

    def __repr__(self):
        return f"PopulationView of '{self.population.name}' ({self.size} neurons)"


class IndividualNeuron(_HasAttributes):
    """One neuron of a population (``pop[3]``, ``pop.neuron(3)``)."""

    def __init__(self, population: Population, rank: int):
        if not 0 <= rank < population.size:
            raise CajalError(f"population '{population.name}': rank {rank} out of range (size {population.size})")
        d = self.__dict__
        d["population"] = population
        d["rank"] = rank
        d["ranks"] = np.array([rank])
        d["_attrs"] = population._attrs
        d["name"] = population.name
        d["_net"] = population._net

    @property
    def size(self) -> int:
        """One neuron."""
        return 1

    def _get(self, name):
        v = self.population._get(name, [self.rank])
        return float(v) if np.ndim(v) == 0 else float(v[0])

    def _set(self, name, value):
        self.population._set(name, value, [self.rank])

    def __add__(self, other):
        return PopulationView(self.population, np.concatenate([self.ranks, np.atleast_1d(other.ranks)]))

    def __repr__(self):
        return f"Neuron {self.rank} of '{self.population.name}'"


def _part(obj):
    """(population, ranks or None) of a population, view or neuron."""
    if isinstance(obj, Population):
        obj._materialize()
        return obj, None
    if isinstance(obj, (PopulationView, IndividualNeuron)):
        return obj.population, [int(r) for r in obj.ranks]
    raise TypeError(f"expected a population or a view, got {type(obj).__name__}")


# ---------------------------------------------------------------------------
# projections


class Projection(_HasAttributes):
    """Synapses from one population (or view) to another on a target, as
    ANNarchy's ``Projection``; connected by one of its ``connect_*``
    methods. Synapse attributes: ``proj.w`` (a list of lists, one per
    post-synaptic neuron with synapses), ``proj[post].w`` or
    ``proj.dendrite(post).w`` (an array in pre-synaptic rank order)."""

    def __init__(self, pre, post, target: Union[str, List[str]], synapse=None, name: Optional[str] = None, disable_omp=True, copied=False, net_id=0, network=None):
        net = network or _magic()
        if synapse is not None:
            synapse = _model(synapse, Synapse, "synapse")
        if isinstance(pre, str):
            pre = net.get_population(pre)
        if isinstance(post, str):
            post = net.get_population(post)
        d = self.__dict__
        d["_net"] = net
        d["pre"] = pre
        d["post"] = post
        d["_targets"] = [target] if isinstance(target, str) else list(target)
        d["target"] = target
        d["synapse_type"] = synapse
        d["_attrs"] = None
        d["_connected"] = False
        d["_window"] = None
        d["_recipe"] = None
        taken = {p.name for p in net._projections}
        d["_named"] = name is not None
        d["name"] = net._unique(name, "proj", taken)
        net._projections.append(self)

    def _copy(self, net: Network) -> "Projection":
        def same_in_net(part):
            pop, ranks = _part(part)
            mine = pop.__dict__.get("_copies", {}).get(net) or net.get_population(pop.name)
            return mine if ranks is None else PopulationView(mine, ranks)

        pre, post = same_in_net(self.pre), same_in_net(self.post)
        p = type(self).__new__(type(self))
        Projection.__init__(p, pre, post, self.target, self.synapse_type, self.name if self._named else None, network=net)
        p.__dict__["_window"] = self._window
        if self._recipe is not None:
            p._connect(*self._recipe)
        return p

    def _connect(self, connector: str, args: dict):
        if self._connected:
            raise CajalError(f"projection '{self.name}': it is already connected")
        pre, pre_ranks = _part(self.pre)
        post, post_ranks = _part(self.post)
        syn = None if self.synapse_type is None else self.synapse_type._spec()
        self._net._reopen(f"projection '{self.name}'")
        self._net._c.projection(self.name, pre.name, pre_ranks, post.name, post_ranks, self._targets, syn, connector, args, self._window)
        d = self.__dict__
        d["_recipe"] = (connector, args)
        d["_connected"] = True
        self._refresh()
        if self.synapse_type is not None and hasattr(self.synapse_type, "_overrides"):
            pass
        return self

    def _refresh(self):
        n, posts, attrs = self._net._c.projection_info(self.name)
        d = self.__dict__
        d["_nb_synapses"] = n
        d["_post_ranks"] = [int(p) for p in posts]
        d["_attrs"] = {a: (p, g) for a, p, g in attrs}

    # -- connectors ---------------------------------------------------------

    def connect_all_to_all(self, weights=1.0, delays=0.0, allow_self_connections=False, force_multiple_weights=False, storage_format=None, storage_order=None):
        """Every pre-synaptic neuron to every post-synaptic one (not to
        itself unless ``allow_self_connections``)."""
        return self._connect("all_to_all", dict(weights=_weights(weights), delays=_delays(delays), allow_self_connections=allow_self_connections))

    def connect_one_to_one(self, weights=1.0, delays=0.0, force_multiple_weights=False, storage_format=None, storage_order=None):
        """Neuron i to neuron i."""
        return self._connect("one_to_one", dict(weights=_weights(weights), delays=_delays(delays)))

    def connect_fixed_probability(self, probability, weights=1.0, delays=0.0, allow_self_connections=False, force_multiple_weights=False, storage_format=None, storage_order=None):
        """Each pair with probability ``probability``."""
        return self._connect("fixed_probability", dict(probability=float(probability), weights=_weights(weights), delays=_delays(delays), allow_self_connections=allow_self_connections))

    def connect_fixed_number_pre(self, number, weights=1.0, delays=0.0, allow_self_connections=False, force_multiple_weights=False, storage_format=None, storage_order=None):
        """Each post-synaptic neuron receives ``number`` synapses from random pre-synaptic neurons."""
        return self._connect("fixed_number_pre", dict(number=int(number), weights=_weights(weights), delays=_delays(delays), allow_self_connections=allow_self_connections))

    def connect_fixed_number_post(self, number, weights=1.0, delays=0.0, allow_self_connections=False, force_multiple_weights=False, storage_format=None, storage_order=None):
        """Each pre-synaptic neuron sends ``number`` synapses to random post-synaptic neurons."""
        return self._connect("fixed_number_post", dict(number=int(number), weights=_weights(weights), delays=_delays(delays), allow_self_connections=allow_self_connections))

    def connect_gaussian(self, amp, sigma, delays=0.0, limit=0.01, allow_self_connections=False, storage_format=None):
        """Gaussian weights of the normalised distance between the neurons'
        coordinates (populations of the same dimension)."""
        return self._connect("gaussian", dict(amp=float(amp), sigma=float(sigma), limit=float(limit), delays=_delays(delays), allow_self_connections=allow_self_connections))

    def connect_dog(self, amp_pos, sigma_pos, amp_neg, sigma_neg, delays=0.0, limit=0.01, allow_self_connections=False, storage_format=None):
        """Difference-of-Gaussians weights."""
        return self._connect("dog", dict(amp_pos=float(amp_pos), sigma_pos=float(sigma_pos), amp_neg=float(amp_neg), sigma_neg=float(sigma_neg), limit=float(limit), delays=_delays(delays), allow_self_connections=allow_self_connections))

    def connect_from_matrix(self, weights, delays=0.0, pre_post=False, storage_format=None, storage_order=None):
        """A weight matrix ``[post, pre]`` (``[pre, post]`` with
        ``pre_post=True``); ``None`` (or NaN) is no synapse."""
        w = np.array(weights, dtype=object)
        w = np.where(np.equal(w, None), np.nan, w).astype(np.float64)
        if pre_post:
            w = w.T
        return self._connect("from_matrix", dict(matrix=np.ascontiguousarray(w), delays=_delays(delays)))

    def connect_from_sparse(self, weights, delays=0.0, storage_format=None, storage_order=None):
        """A scipy sparse matrix ``[post, pre]`` of weights."""
        coo = weights.tocoo()
        return self._sparse(coo.row, coo.col, coo.data, delays)

    def _sparse(self, post, pre, w, delays):
        post = np.asarray(post, dtype=np.int64)
        pre = np.asarray(pre, dtype=np.int64)
        w = np.asarray(w, dtype=np.float64)
        order = np.lexsort((pre, post))
        args = dict(post=[int(x) for x in post[order]], pre=[int(x) for x in pre[order]], w=[float(x) for x in w[order]])
        if isinstance(delays, (list, np.ndarray)):
            args["d"] = [float(x) for x in np.asarray(delays, dtype=np.float64)[order]]
        elif _delays(delays) is not None:
            args["delays"] = _delays(delays)
        return self._connect("from_sparse", args)

    def connect_with_func(self, method: Callable, storage_format=None, storage_order=None, **args):
        """Synapses from a function ``method(pre, post, **args)`` returning
        a ``LILConnectivity``."""
        lil = method(self.pre, self.post, **args)
        if not isinstance(lil, LILConnectivity):
            raise TypeError("connect_with_func: the method must return a LILConnectivity")
        return self._sparse(*lil._triplets(), lil._delays_or_none())

    def connect_from_file(self, filename: str):
        """Synapses saved by ``save_connectivity``."""
        return self._connect("from_file", dict(filename=str(filename)))

    # ANNarchy 5's names of the connectors.
    all_to_all = connect_all_to_all
    one_to_one = connect_one_to_one
    fixed_probability = connect_fixed_probability
    fixed_number_pre = connect_fixed_number_pre
    fixed_number_post = connect_fixed_number_post
    gaussian = connect_gaussian
    dog = connect_dog
    from_matrix = connect_from_matrix
    from_sparse = connect_from_sparse
    with_func = connect_with_func
    from_file = connect_from_file

    # -- values -------------------------------------------------------------

    @property
    def size(self) -> int:
        """Number of post-synaptic neurons with synapses (dendrites)."""
        self._need()
        return len(self._post_ranks)

    @property
    def nb_synapses(self) -> int:
        """Number of synapses."""
        self._need()
        return self._nb_synapses

    @property
    def post_ranks(self) -> list:
        """The post-synaptic ranks with synapses."""
        self._need()
        return list(self._post_ranks)

    def __len__(self):
        return self.size

    def _need(self):
        if not self._connected:
            raise CajalError(f"projection '{self.name}': it is not connected yet")

    def _triplets(self, name):
        self._need()
        return self._net._c.synapses(self.name, name)

    def _bounds(self, post: np.ndarray) -> np.ndarray:
        """Where each dendrite's synapses start in (post, pre) order, and
        the end of the last one."""
        return np.searchsorted(post, self._post_ranks + [np.iinfo(np.int64).max])

    def _get(self, name):
        post, pre, v = self._triplets(name)
        _, locality = self._attrs[name]
        if locality == "global":
            return float(v[0]) if len(v) else float("nan")
        bounds = self._bounds(post)
        if locality == "shared":
            # One value per dendrite (ANNarchy's `: postsynaptic`).
            return [float(v[a]) for a in bounds[:-1]]
        return [v[a:b].tolist() for a, b in zip(bounds[:-1], bounds[1:])]

    def _set(self, name, value):
        self._need()
        _, locality = self._attrs[name]
        if isinstance(value, (list, tuple, np.ndarray)) and locality == "shared":
            per_dendrite = np.asarray(value, dtype=np.float64).ravel()
            counts = self.nb_synapses_per_dendrite()
            if len(per_dendrite) != len(counts):
                raise CajalError(
                    f"projection '{self.name}': '{name}' takes one value per dendrite ({len(counts)}), got {len(per_dendrite)}"
                )
            value = np.repeat(per_dendrite, counts)
        elif isinstance(value, (list, tuple)) and locality == "local" and len(value) and isinstance(value[0], (list, tuple, np.ndarray)):
            value = np.concatenate([np.asarray(x, dtype=np.float64).ravel() for x in value])
        self._net._c.set_projection(self.name, name, _value(value))

    def _by_dendrite(self, name: str, a: np.ndarray):
        """Samples ``[T, synapses]`` of a monitor as ANNarchy shapes them:
        ``[T, dendrites, synapses]`` (an object array of per-dendrite lists
        when dendrites differ in size), ``[T, dendrites]`` for a
        post-synaptic variable, ``[T]`` for a projection-wide one."""
        _, locality = self._attrs[name]
        if locality == "global":
            return a[:, 0]
        post, _, _ = self._triplets(name)
        bounds = self._bounds(post)
        if locality == "shared":
            return a[:, bounds[:-1]]
        sizes = np.diff(bounds)
        if len(set(sizes.tolist())) <= 1:
            return a.reshape(a.shape[0], len(sizes), -1)
        out = np.empty((a.shape[0], len(sizes)), dtype=object)
        for t in range(a.shape[0]):
            for i, (lo, hi) in enumerate(zip(bounds[:-1], bounds[1:])):
                out[t, i] = a[t, lo:hi].tolist()
        return out

    def dendrite(self, post) -> "Dendrite":
        """The synapses of one post-synaptic neuron (rank or coordinates)."""
        if isinstance(post, tuple):
            post = self.post.population.rank_from_coordinates(post) if hasattr(self.post, "population") else post
        return Dendrite(self, int(post))

    def __getitem__(self, post):
        return self.dendrite(post)

    @property
    def dendrites(self):
        """Every dendrite, in post-synaptic rank order."""
        return [Dendrite(self, r) for r in self.post_ranks]

    def nb_synapses_per_dendrite(self) -> list:
        """Synapses of each dendrite."""
        post, _, _ = self._triplets(next(iter(self._attrs)))
        return np.diff(self._bounds(post)).tolist()

    def connectivity_matrix(self, fill: float = 0.0) -> np.ndarray:
        """The weights as a dense ``[post, pre]`` matrix, ``fill`` where
        there is no synapse."""
        post, pre, w = self._triplets("w")
        m = np.full((self.post.population.size if hasattr(self.post, "population") else self.post.size,
                     self.pre.population.size if hasattr(self.pre, "population") else self.pre.size), fill, dtype=np.float64)
        m[post, pre] = w
        return m

    def __setattr__(self, name, value):
        # ANNarchy's flags, set as attributes: kept as plain Python
        # attributes they would change nothing, silently.
        if name in ("plasticity", "update"):
            self._net._check(f"projection '{self.name}'.{name}")
            spiking = bool(_part(self.pre)[0].__dict__.get("_spiking"))
            if spiking != (name == "plasticity"):
                kind = "spiking" if spiking else "rate-coded"
                other = "plasticity" if name == "update" else "update"
                raise CajalError(
                    f"projection '{self.name}': '{name}' of a {kind} projection is not "
                    f"supported (its '{other}' is, as are enable_learning() and disable_learning())"
                )
            self._net._core.learning_on(self.name, bool(value))
            return
        if name in ("transmission", "axon_transmission", "delay"):
            raise CajalError(
                f"projection '{self.name}': setting '{name}' is not supported "
                "(delays are given when connecting)"
            )
        super().__setattr__(name, value)

    def enable_learning(self, period=None, offset=None):
        """Turns this projection's learning on."""
        self._net._check("enable_learning")
        self._net._core.enable_learning(self.name, period, offset)

    def disable_learning(self):
        """Turns this projection's learning off (weights keep their values)."""
        self._net._check("disable_learning")
        self._net._core.disable_learning(self.name)

    def save_connectivity(self, filename: str):
        """Writes the synapses to a file ``connect_from_file`` reads."""
        self._net._check("save_connectivity")
        self._net._core.save_connectivity(self.name, str(filename))

    def __repr__(self):
        return f"Projection '{self.name}' from '{_part(self.pre)[0].name}' to '{_part(self.post)[0].name}' ({self.target})"


class Dendrite(_HasAttributes):
    """The synapses onto one post-synaptic neuron: ``dendrite.w`` is an
    array in pre-synaptic rank order."""

    def __init__(self, proj: Projection, post_rank: int):
        proj._need()
        d = self.__dict__
        d["proj"] = proj
        d["post_rank"] = post_rank
        d["_attrs"] = proj._attrs
        d["name"] = f"{proj.name}[{post_rank}]"

    @property
    def pre_ranks(self) -> list:
        """The pre-synaptic ranks of its synapses."""
        post, pre, _ = self.proj._triplets(next(iter(self._attrs)))
        return pre[post == self.post_rank].tolist()

    @property
    def size(self) -> int:
        """Number of synapses."""
        return len(self.pre_ranks)

    def __len__(self):
        return self.size

    def _get(self, name):
        post, pre, v = self.proj._triplets(name)
        _, locality = self._attrs[name]
        if locality != "local":
            return float(v[post == self.post_rank][0]) if locality == "shared" else float(v[0])
        return v[post == self.post_rank]

    def _set(self, name, value):
        post, pre, v = self.proj._triplets(name)
        _, locality = self._attrs[name]
        if locality == "global":
            raise CajalError(f"projection '{self.proj.name}': '{name}' is projection-wide: set it on the projection")
        mask = post == self.post_rank
        if isinstance(value, RandomDistribution):
            value = value.get_values(int(mask.sum()))
        v = v.copy()
        v[mask] = np.asarray(value, dtype=np.float64)
        self.proj._net._c.set_projection(self.proj.name, name, v)

    def __repr__(self):
        return f"Dendrite of neuron {self.post_rank} in '{self.proj.name}'"


class LILConnectivity:
    """Synapses as lists of lists, for ``connect_with_func``:
    ``lil.add(post_rank, pre_ranks, weights, delays)``."""

    def __init__(self, dt=None):
        self._rows = []

    def add(self, r: int, ranks, w, d=None):
        """Adds the synapses of post-synaptic neuron ``r`` from ``ranks``;
        a single weight or delay applies to all of them."""
        ranks = [int(x) for x in ranks]
        w = list(w) if isinstance(w, (list, tuple, np.ndarray)) else [w]
        if len(w) == 1:
            w = w * len(ranks)
        if d is None:
            d = [0.0]
        d = list(d) if isinstance(d, (list, tuple, np.ndarray)) else [d]
        if len(d) == 1:
            d = d * len(ranks)
        if len(w) != len(ranks) or len(d) != len(ranks):
            raise CajalError(f"LILConnectivity.add: {len(ranks)} ranks but {len(w)} weights and {len(d)} delays")
        self._rows.append((int(r), ranks, [float(x) for x in w], [float(x) for x in d]))

    def _triplets(self):
        post, pre, w = [], [], []
        for r, ranks, ws, _ in self._rows:
            post += [r] * len(ranks)
            pre += ranks
            w += ws
        return post, pre, w

    def _delays_or_none(self):
        d = [x for _, _, _, ds in self._rows for x in ds]
        if all(x == 0.0 for x in d):
            return 0.0
        return np.asarray(d)

    @property
    def nb_synapses(self) -> int:
        """Number of synapses added so far."""
        return sum(len(r[1]) for r in self._rows)


# ---------------------------------------------------------------------------
# monitors


class Monitor:
    """Records variables and spikes of a population, view or neuron (or
    synaptic variables of a projection or dendrite), as ANNarchy's
    ``Monitor``. ``get('v')`` returns ``[steps, neurons]`` (shaped like the
    geometry for a whole population), ``get('spike')`` a dictionary from
    rank to spike steps; ``get`` empties what it returns unless
    ``keep=True``."""

    def __init__(self, obj, variables=None, period=None, period_offset=None, start=True, name=None, net_id=0, network=None):
        if variables is None:
            variables = []
        if isinstance(variables, str):
            variables = [variables]
        variables = list(variables)
        if period_offset:
            raise NotImplementedError("Monitor: period_offset is not supported by cajal yet")
        if isinstance(obj, (Projection, Dendrite)):
            net = (obj.proj if isinstance(obj, Dendrite) else obj)._net
        else:
            net = obj._net if network is None else network
        self._net = net
        self.object = obj
        self._variables = variables
        self.period = net.dt if period is None else float(period)
        self.name = name or f"monitor{len(net._monitors)}"
        self._id = None
        self._start_flag = bool(start)
        self._data = {v: [] for v in variables}
        self._spikes = {}
        self._recorded = {}
        self._last = {}
        self._started = False
        net._monitors.append(self)
        if not variables:
            raise CajalError(f"monitor of '{getattr(obj, 'name', obj)}': name at least one variable (or 'spike')")
        self._create()

    def _create(self):
        net, obj = self._net, self.object
        vars_ = [v for v in self._variables]
        if isinstance(obj, Projection):
            obj._need()
            self._id = net._c.monitor_projection(obj.name, None, vars_, self.period)
        elif isinstance(obj, Dendrite):
            self._id = net._c.monitor_projection(obj.proj.name, obj.post_rank, vars_, self.period)
        else:
            pop, ranks = _part(obj)
            self._id = net._c.monitor(pop.name, ranks, vars_, self.period, self._start_flag)
            if "spike" in vars_:
                for r in (range(pop.size) if ranks is None else ranks):
                    self._spikes[int(r)] = []
        if self._start_flag:
            self._mark_start()

    def _mark_start(self):
        s = self._net.get_current_step()
        for v in self._variables:
            self._recorded[v] = {"start": [s], "stop": [None]}
        self._started = True

    def _reset(self):
        self._data = {v: [] for v in self._variables}
        for k in self._spikes:
            self._spikes[k] = []
        if self._start_flag:
            self._mark_start()

    @property
    def variables(self) -> list:
        """The recorded variables (and ``spike``)."""
        return list(self._variables)

    @property
    def dt(self) -> float:
        """The network's time step in ms."""
        return self._net.dt

    def _pull(self):
        if not self._net.compiled:
            return
        steps, values, spike_steps, spike_ranks = self._net._c.recording(self._id)
        for v, a in values.items():
            self._data[v].append(a)
        if len(spike_steps):
            for s, r in zip(spike_steps.tolist(), spike_ranks.tolist()):
                self._spikes.setdefault(r, []).append(s)

    def get(self, variables=None, keep: bool = False, reshape: bool = True, force_dict: bool = False):
        """The recorded values: one variable's (an array, or the spike
        dictionary) or, for a list or nothing, a dictionary of them."""
        if variables:
            if not isinstance(variables, list):
                variables = [variables]
        else:
            variables = self._variables
            force_dict = True
        self._pull()
        out = {}
        for var in variables:
            if var not in self._variables:
                raise CajalError(f"monitor '{self.name}': '{var}' is not recorded (it records {', '.join(self._variables)})")
            out[var] = self._value(var, keep, reshape)
            self._update_stop(var, keep)
        if not force_dict and len(variables) == 1:
            return out[variables[0]]
        return out

    def _value(self, var, keep, reshape):
        batch = self._net.batch_size
        if var == "spike":
            data = {k: list(v) for k, v in self._spikes.items()}
            if not keep:
                for k in self._spikes:
                    self._spikes[k] = []
            if batch > 1:
                # One dictionary per batch element, ranks within the element.
                n = self.object.population.size if not isinstance(self.object, Population) else self.object.size
                out = [dict() for _ in range(batch)]
                for r, steps in data.items():
                    out[r // n][r % n] = steps
                return out
            return data
        chunks = self._data[var]
        if chunks:
            a = np.concatenate(chunks, axis=0) if len(chunks) > 1 else chunks[0]
        else:
            a = np.zeros((0, self._width(var)))
        if not keep:
            self._data[var] = []
        else:
            self._data[var] = [a]
        if batch > 1:
            # [T, batch * n] -> [batch, T, n]
            return a.reshape(a.shape[0], batch, -1).transpose(1, 0, 2)
        if isinstance(self.object, Population) and reshape and a.shape[1:] != () and a.shape[1] == self.object.size:
            a = a.reshape((-1,) + self.object.geometry)
        elif isinstance(self.object, Projection):
            a = self.object._by_dendrite(var, a)
        elif isinstance(self.object, Dendrite):
            if self.object._attrs[var][1] != "local":
                a = a[:, :1]
            a = a.squeeze()
        return a

    def _width(self, var):
        obj = self.object
        if isinstance(obj, (Projection, Dendrite)):
            return 0
        pop, ranks = _part(obj)
        if pop._attrs.get(var, (False, "local"))[1] == "global":
            return 1
        return pop.size if ranks is None else len(ranks)

    def _update_stop(self, var, keep):
        s = self._net.get_current_step()
        rec = self._recorded.setdefault(var, {"start": [s], "stop": [None]})
        rec["stop"][-1] = s
        self._last[var] = {"start": list(rec["start"]), "stop": list(rec["stop"])}
        if not keep:
            self._recorded[var] = {"start": [s], "stop": [None]}

    def __getitem__(self, key):
        return self.get(key)

    def times(self, variables=None) -> dict:
        """Start and stop steps of the recordings returned by the last ``get``."""
        if variables is None:
            variables = self._variables
        elif isinstance(variables, str):
            variables = [variables]
        return {v: {"start": list(self._last[v]["start"]), "stop": list(self._last[v]["stop"])} for v in variables if v in self._last}

    def start(self, variables=None, period=None):
        """Starts recording (a monitor created with ``start=False``)."""
        self._net._check("Monitor.start")
        self._net._c.resume(self._id)
        self._mark_start()

    def pause(self):
        """Stops recording until ``resume``."""
        self._net._check("Monitor.pause")
        self._pull()
        self._net._c.pause(self._id)
        s = self._net.get_current_step()
        for v in self._variables:
            self._recorded.setdefault(v, {"start": [s], "stop": [None]})["stop"][-1] = s

    def resume(self):
        """Resumes recording."""
        self._net._check("Monitor.resume")
        self._net._c.resume(self._id)
        s = self._net.get_current_step()
        for v in self._variables:
            r = self._recorded.setdefault(v, {"start": [], "stop": []})
            r["start"].append(s)
            r["stop"].append(None)

    def stop(self):
        """Stops recording."""
        self.pause()

    def reset(self):
        """Empties the monitor."""
        self.get(keep=False)
        self._mark_start()

    # -- spike analysis -----------------------------------------------------

    def _spike_data(self, spikes):
        if spikes is None:
            return self.get("spike")
        if "spike" in spikes:
            return spikes["spike"]
        return spikes

    def raster_plot(self, spikes: Optional[dict] = None):
        """Spike times (ms) and ranks, one entry per spike."""
        return raster_plot(self._spike_data(spikes), self.dt)

    def histogram(self, spikes=None, bins=None, per_neuron=False, recording_window=None):
        """Spikes per bin (``bins`` ms, default dt)."""
        return histogram(self._spike_data(spikes), bins=bins, per_neuron=per_neuron, recording_window=recording_window, dt=self.dt)

    def inter_spike_interval(self, spikes=None, ranks=None, per_neuron=False):
        """Inter-spike intervals in ms."""
        return inter_spike_interval(self._spike_data(spikes), ranks=ranks, per_neuron=per_neuron, dt=self.dt)

    def coefficient_of_variation(self, spikes=None, ranks=None):
        """Coefficient of variation of each neuron's inter-spike intervals."""
        return coefficient_of_variation(self._spike_data(spikes), ranks=ranks, dt=self.dt)

    def _spike_window(self):
        """First and last step of the spike recording the last ``get``
        returned (or of the one under way)."""
        t = self._last.get("spike") or self._recorded.get("spike")
        return t["start"][-1], t["stop"][-1]

    def mean_fr(self, spikes=None) -> float:
        """Mean firing rate (Hz) of the recorded neurons over the recording."""
        data = self._spike_data(spikes)
        start, stop = self._spike_window()
        return mean_fr(data, stop - start, self.dt)

    def smoothed_rate(self, spikes=None, smooth: float = 0.0) -> np.ndarray:
        """Per-neuron instantaneous firing rate ``[neurons, steps]``,
        low-pass filtered with time constant ``smooth``."""
        data = self._spike_data(spikes)
        return _smoothed_rate(data, *self._spike_window(), smooth, self.dt)

    def population_rate(self, spikes=None, smooth: float = 0.0) -> np.ndarray:
        """Population firing rate (Hz) per step, low-pass filtered with time
        constant ``smooth``."""
        data = self._spike_data(spikes)
        return _population_rate(data, *self._spike_window(), smooth, self.dt)

    def __repr__(self):
        return f"Monitor '{self.name}' of {getattr(self.object, 'name', self.object)} ({', '.join(self._variables)})"


# ---------------------------------------------------------------------------
# spike analysis, as ANNarchy's module-level functions


def raster_plot(spikes: dict, dt: float = 1.0):
    """Spike times (ms) and ranks of a spike dictionary, one entry per spike."""
    times, ranks = [], []
    for n, ts in spikes.items():
        times.extend(ts)
        ranks.extend([n] * len(ts))
    return dt * np.array(times), np.array(ranks)


def _bounds(spikes):
    lo = [min(v) for v in spikes.values() if len(v)]
    hi = [max(v) for v in spikes.values() if len(v)]
    if not lo:
        raise CajalError("no spikes: the range of the recording cannot be taken from them")
    return min(lo), max(hi)


def histogram(spikes: dict, bins: Optional[float] = None, per_neuron: bool = False, recording_window=None, dt: float = 1.0):
    """Spikes per bin of ``bins`` ms (default dt), from the first spike
    (or ``recording_window``'s start, in steps) to the last."""
    if bins is None:
        bins = dt
    step = int(bins / dt)
    t_min, t_max = _bounds(spikes) if recording_window is None else recording_window
    nb = int((t_max - t_min) / step)
    if per_neuron:
        h = np.zeros((max(spikes) + 1, nb + 1), dtype=np.int64)
        for n, ts in spikes.items():
            for t in ts:
                h[n, int((t - t_min) / float(step))] += 1
        return h
    h = np.zeros(nb + 1, dtype=np.int64)
    for ts in spikes.values():
        for t in ts:
            h[int((t - t_min) / float(step))] += 1
    return h


def inter_spike_interval(spikes: dict, ranks=None, per_neuron: bool = False, dt: float = 1.0):
    """Inter-spike intervals (ms), all together or per neuron."""
    isi = {}
    for n, ts in spikes.items():
        if len(ts) < 2 or (ranks is not None and n not in ranks):
            continue
        isi[n] = [(b - a) * dt for a, b in zip(ts[:-1], ts[1:])]
    if per_neuron:
        return isi
    return [x for v in isi.values() for x in v]


def coefficient_of_variation(spikes: dict, ranks=None, per_neuron: bool = False, dt: float = 1.0):
    """Standard deviation over mean of each neuron's intervals (neurons
    with at least two intervals)."""
    cv = {}
    for n, v in inter_spike_interval(spikes, ranks=ranks, per_neuron=True, dt=dt).items():
        if len(v) >= 2:
            cv[n] = float(np.std(v) / np.mean(v))
    if per_neuron:
        return cv
    return list(cv.values())


def mean_fr(spikes: dict, duration: Optional[float] = None, dt: float = 1.0) -> float:
    """Mean firing rate (Hz); ``duration`` in steps, by default from the
    first spike to the last."""
    if duration is None:
        lo, hi = _bounds(spikes)
        duration = hi - lo
    return sum(len(v) for v in spikes.values()) / float(len(spikes)) / duration / dt * 1000.0


def _smoothed_rate(spikes, start, stop, smooth, dt):
    d = stop - start
    rates = np.zeros((len(spikes), d))
    for i, ts in enumerate(spikes.values()):
        last = None
        for t in ts:
            if last is not None:
                rates[i, last - start : t - start] = 1000.0 / dt / float(t - last)
            last = t
    if smooth == 0.0:
        return rates
    out = np.zeros_like(rates)
    out[:, 0] = rates[:, 0]
    k = dt / smooth
    for t in range(d - 1):
        out[:, t + 1] = out[:, t] + (rates[:, t + 1] - out[:, t]) * k
    return out


def _population_rate(spikes, start, stop, smooth, dt):
    d = stop - start + 1
    rates = np.zeros(d)
    for ts in spikes.values():
        for t in ts:
            rates[t - start] += 1
    rates /= dt * len(spikes) / 1000.0
    if smooth <= dt:
        return rates
    out = np.zeros(d)
    out[0] = rates[0]
    k = dt / smooth
    for t in range(d - 1):
        out[t + 1] = out[t] + (rates[t + 1] - out[t]) * k
    return out


def smoothed_rate(spikes: dict, smooth: float = 0.0, dt: float = 1.0) -> np.ndarray:
    """Per-neuron instantaneous rate between the first and last spike."""
    lo, hi = _bounds(spikes)
    return _smoothed_rate(spikes, lo, hi, smooth, dt)


def population_rate(spikes: dict, smooth: float = 0.0, dt: float = 1.0) -> np.ndarray:
    """Population rate (Hz) per step between the first and last spike."""
    lo, hi = _bounds(spikes)
    return _population_rate(spikes, lo, hi, smooth, dt)


# ---------------------------------------------------------------------------
# constants


class Constant(float):
    """A network constant: models read it by name; ``c.set(value)``
    changes it, also after compiling."""

    def __new__(cls, name: str, value: float, network=None, net_id=0):
        net = network or _magic()
        net._c.constant(name, float(value))
        c = super().__new__(cls, float(value))
        c.name = name
        c._net = net
        return c

    def set(self, value: float):
        """Changes the constant's value."""
        self._net._c.constant(self.name, float(value))

    @property
    def value(self) -> float:
        """The current value."""
        return self._net.get_constant(self.name)


# ---------------------------------------------------------------------------
# the default network of ANNarchy 4-style scripts

_MAGIC: List[Network] = []
# What setup() chose: clear() forgets the objects, not these.
_SETTINGS = {"dt": 1.0, "seed": None, "backend": "cpu", "precision": None}


def _magic() -> Network:
    if not _MAGIC:
        net = Network(dt=_SETTINGS["dt"], seed=_SETTINGS["seed"], precision=_SETTINGS["precision"])
        net._backend = _SETTINGS["backend"]
        _MAGIC.append(net)
    return _MAGIC[0]
