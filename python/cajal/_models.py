"""Neuron and synapse models, and the random distributions.

A model is text, as in ANNarchy: cajal parses and checks it when a
population or a projection uses it, so that an error names the population
or projection, the section, the line and the column.
"""

from __future__ import annotations

import math
from typing import Optional, Union

__all__ = [
    "Neuron",
    "Synapse",
    "RandomDistribution",
    "Uniform",
    "DiscreteUniform",
    "Normal",
    "LogNormal",
    "Exponential",
    "Gamma",
    "Binomial",
]


def _text(value, synapse: bool = False) -> Optional[str]:
    """A model section: a string, or ANNarchy 5's dictionary of parameters
    (``dict(tau=10.0)``, ``dict(tau=ann.Parameter(10.0, locality='local'))``)
    written as the equivalent lines. As in ANNarchy, a plain value in the
    dictionary is global: one for the population (``: population``) or,
    in a synapse model, for the projection (``: projection``)."""
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        lines = []
        for name, v in value.items():
            if not isinstance(v, Parameter):
                # ANNarchy's default Parameter: global and float (3 and
                # True are stored as 3.0 and 1.0).
                v = Parameter(v)
            lines.append(v._line(name, synapse))
        return "\n".join(lines)
    if isinstance(value, Variable):
        return value._line(synapse)
    if isinstance(value, (list, tuple)):
        return "\n".join(
            v._line(synapse) if isinstance(v, Variable) else str(v) for v in value
        )
    raise TypeError(f"a model section is a string, got {type(value).__name__}")


class Parameter:
    """ANNarchy 5's ``ann.Parameter(value, locality='global'|'local'|
    'semiglobal', type=float)`` in a parameters dictionary."""

    def __init__(self, value, locality: str = "global", type=float):
        self.value = value
        self.locality = locality
        self.type = type

    def _line(self, name: str, synapse: bool = False) -> str:
        flags = []
        if self.locality == "global":
            flags.append("projection" if synapse else "population")
        elif self.locality == "semiglobal":
            flags.append("postsynaptic")
        if self.type is int:
            flags.append("int")
        elif self.type is bool:
            flags.append("bool")
        value = self.value
        if isinstance(value, bool):
            value = int(value)
        elif not isinstance(value, int):
            value = float(value)
        line = f"{name} = {value!r}"
        return line + (" : " + ", ".join(flags) if flags else "")


class Variable:
    """ANNarchy 5's ``ann.Variable(equation, init=..., min=..., max=...,
    method=..., locality=..., type=...)`` in an equations list."""

    def __init__(
        self,
        equation: str,
        init=None,
        min=None,
        max=None,
        method: Optional[str] = None,
        locality: str = "local",
        type=float,
    ):
        self.equation = equation
        self.init = init
        self.min = min
        self.max = max
        self.method = method
        self.locality = locality
        self.type = type

    def _line(self, synapse: bool = False) -> str:
        flags = []
        if self.init is not None:
            flags.append(f"init = {self.init!r}")
        if self.min is not None:
            flags.append(f"min = {self.min!r}")
        if self.max is not None:
            flags.append(f"max = {self.max!r}")
        if self.method is not None:
            flags.append(self.method)
        if self.locality == "global":
            flags.append("projection" if synapse else "population")
        elif self.locality == "semiglobal":
            flags.append("postsynaptic")
        if self.type is int:
            flags.append("int")
        elif self.type is bool:
            flags.append("bool")
        return self.equation + (" : " + ", ".join(flags) if flags else "")


class Neuron:
    """A neuron model, as ANNarchy's ``Neuron``: spiking when ``spike`` is
    given, rate-coded otherwise.

    >>> import cajal as ann
    >>> LIF = ann.Neuron(
    ...     parameters="tau = 10.0",
    ...     equations="tau * dv/dt = -v + g_exc",
    ...     spike="v > 1.0",
    ...     reset="v = 0.0",
    ... )
    """

    def __init__(
        self,
        parameters: Union[str, dict, None] = "",
        equations: Union[str, list, None] = "",
        spike: Optional[str] = None,
        axon_spike: Optional[str] = None,
        reset: Optional[str] = None,
        axon_reset: Optional[str] = None,
        refractory: Union[float, str, None] = None,
        functions: Optional[str] = None,
        name: str = "",
        description: str = "",
        extra_values: Optional[dict] = None,
    ):
        if axon_spike or axon_reset:
            raise NotImplementedError(
                "Neuron: axon_spike and axon_reset (spikes emitted without a "
                "somatic spike) are not supported by cajal yet"
            )
        self.parameters = _text(parameters) or ""
        self.equations = _text(equations) or ""
        self.spike = spike
        self.reset = reset
        self.refractory = refractory
        self.functions = functions
        self.name = name
        self.description = description
        self.type = "spike" if spike else "rate"

    def _spec(self):
        refractory = self.refractory
        if refractory is not None and not isinstance(refractory, str):
            refractory = float(refractory)
        return {
            "name": self.name or None,
            "parameters": self.parameters,
            "equations": self.equations,
            "spike": self.spike,
            "reset": self.reset,
            "refractory": refractory,
            "functions": self.functions,
        }

    def _overrides(self) -> dict:
        return {}

    def __repr__(self) -> str:
        kind = "Spiking" if self.type == "spike" else "Rate-coded"
        return (
            f"{kind} neuron {self.name!r}\n"
            f"parameters:\n{self.parameters}\nequations:\n{self.equations}\n"
            + (f"spike: {self.spike}\nreset: {self.reset}\n" if self.spike else "")
        )


class Synapse:
    """A synapse model, as ANNarchy's ``Synapse``: ``psp`` and
    ``operation`` for rate-coded projections, ``pre_spike`` and
    ``post_spike`` for spiking ones; ``equations`` are a learning rule."""

    def __init__(
        self,
        parameters: Union[str, dict, None] = "",
        equations: Union[str, list, None] = "",
        psp: Optional[str] = None,
        operation: str = "sum",
        pre_spike: Optional[str] = None,
        post_spike: Optional[str] = None,
        pre_axon_spike: Optional[str] = None,
        functions: Optional[str] = None,
        pruning: Optional[str] = None,
        creating: Optional[str] = None,
        name: str = "",
        description: str = "",
        extra_values: Optional[dict] = None,
    ):
        if pre_axon_spike:
            raise NotImplementedError(
                "Synapse: pre_axon_spike is not supported by cajal yet"
            )
        self.parameters = _text(parameters, synapse=True) or ""
        self.equations = _text(equations, synapse=True) or ""
        self.psp = psp
        self.operation = operation
        self.pre_spike = pre_spike
        self.post_spike = post_spike
        self.functions = functions
        self.pruning = pruning
        self.creating = creating
        self.name = name
        self.description = description

    def _spec(self):
        return {
            "name": self.name or None,
            "parameters": self.parameters,
            "equations": self.equations,
            "psp": self.psp,
            "operation": self.operation,
            "pre_spike": self.pre_spike,
            "post_spike": self.post_spike,
            "functions": self.functions,
            "pruning": self.pruning,
            "creating": self.creating,
        }


class RandomDistribution:
    """A distribution values are drawn from, one draw per neuron or synapse,
    from the network's seed (the same seed draws the same values)."""

    _kind = ""

    def __init__(self, a, b=None, min=None, max=None):
        self._a, self._b, self.min, self.max = a, b, min, max

    def _tuple(self):
        f = lambda x: None if x is None else float(x)  # noqa: E731
        return (self._kind, float(self._a), f(self._b), f(self.min), f(self.max))

    def get_values(self, shape):
        """Draws values with numpy (ANNarchy's ``get_values``): for use on
        the Python side; values given to a population or projection are
        drawn by cajal from the network's seed instead."""
        import numpy as np

        rng = np.random.default_rng()
        v = self._numpy(rng, shape)
        if self.min is not None or self.max is not None:
            v = np.clip(v, self.min, self.max)
        return v

    def __repr__(self):
        args = [repr(self._a)] + ([] if self._b is None else [repr(self._b)])
        return f"{self._kind}({', '.join(args)})"


class Uniform(RandomDistribution):
    """Uniform on [min, max)."""

    _kind = "Uniform"

    def __init__(self, min: float, max: float):
        super().__init__(min, max)
        self.min = self.max = None
        self.low, self.high = min, max

    def _numpy(self, rng, shape):
        return rng.uniform(self.low, self.high, shape)


class DiscreteUniform(RandomDistribution):
    """Uniform over the integers min..=max."""

    _kind = "DiscreteUniform"

    def __init__(self, min: int, max: int):
        super().__init__(min, max)
        self.min = self.max = None
        self.low, self.high = min, max

    def _numpy(self, rng, shape):
        return rng.integers(self.low, self.high + 1, shape)


class Normal(RandomDistribution):
    """Normal with mean ``mu`` and standard deviation ``sigma``, clipped
    to [min, max] when given."""

    _kind = "Normal"

    def __init__(self, mu: float, sigma: float, min=None, max=None):
        super().__init__(mu, sigma, min, max)
        self.mu, self.sigma = mu, sigma

    def _numpy(self, rng, shape):
        return rng.normal(self.mu, self.sigma, shape)


class LogNormal(RandomDistribution):
    """exp(X) with X normal(mu, sigma), clipped to [min, max] when given."""

    _kind = "LogNormal"

    def __init__(self, mu: float, sigma: float, min=None, max=None):
        super().__init__(mu, sigma, min, max)
        self.mu, self.sigma = mu, sigma

    def _numpy(self, rng, shape):
        return rng.lognormal(self.mu, self.sigma, shape)


class Exponential(RandomDistribution):
    """Exponential with rate ``Lambda`` (mean 1 / Lambda)."""

    _kind = "Exponential"

    def __init__(self, Lambda: float, min=None, max=None):
        super().__init__(Lambda, None, min, max)
        self.Lambda = Lambda

    def _numpy(self, rng, shape):
        return rng.exponential(1.0 / self.Lambda, shape)


class Gamma(RandomDistribution):
    """Gamma with shape ``alpha`` and scale ``beta``."""

    _kind = "Gamma"

    def __init__(self, alpha: float, beta: float = 1.0, seed=None, min=None, max=None):
        super().__init__(alpha, beta, min, max)
        self.alpha, self.beta = alpha, beta

    def _numpy(self, rng, shape):
        return rng.gamma(self.alpha, self.beta, shape)


class Binomial(RandomDistribution):
    """Binomial: successes in ``n`` trials of probability ``p``."""

    _kind = "Binomial"

    def __init__(self, n: int, p: float, min=None, max=None):
        super().__init__(n, p, min, max)
        self.n, self.p = n, p

    def _numpy(self, rng, shape):
        return rng.binomial(self.n, self.p, shape)
