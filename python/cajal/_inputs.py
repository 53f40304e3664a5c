"""ANNarchy's input populations and the decoding projection."""

from __future__ import annotations

import numbers
from typing import Optional

import numpy as np

from ._models import _text
from ._network import CajalError, Population, Projection, _geometry, _magic


class _InputPopulation(Population):
    """A population made by one of cajal's input constructors."""

    def __init__(self, kind: str, geometry, args: dict, name=None, network=None):
        self._setup(network or _magic(), name, (kind, geometry, args), lazy=network is None)


class PoissonPopulation(_InputPopulation):
    """Neurons emitting Poisson spike trains (ANNarchy's
    ``PoissonPopulation``): ``rates`` is a number, one rate per neuron, or
    an expression of ``t`` (ms), which may read ``parameters`` of its own
    (``parameters="amp = 80.0", rates="amp * ..."``, then ``pop.amp``);
    with ``target`` the rates are the weighted sums of rate-coded
    projections onto that target (a hybrid network)."""

    def __init__(self, geometry, name: Optional[str] = None, rates=None, target: Optional[str] = None, parameters=None, refractory=None, copied=False, net_id=0, network=None):
        if parameters and not isinstance(rates, str):
            raise CajalError("PoissonPopulation: parameters are those of a rates expression (a string)")
        if parameters:
            # The expression's own parameters, as a neuron's section.
            r = ("expr", rates, _text(parameters))
        elif target is not None:
            r = ("target", target)
        elif rates is None:
            raise CajalError("PoissonPopulation: give rates or a target")
        elif isinstance(rates, str):
            r = rates
        elif isinstance(rates, numbers.Number):
            r = float(rates)
        else:
            r = np.asarray(rates, dtype=np.float64).ravel()
        args = {"rates": r, "refractory": None if refractory is None else float(refractory)}
        super().__init__("poisson", geometry, args, name=name, network=network)


class SpikeSourceArray(_InputPopulation):
    """Neurons spiking at given times (ms), one list per neuron
    (ANNarchy's ``SpikeSourceArray``). Times count from compile time, and
    from the last ``clear()`` once it is called: setting ``spike_times``
    after ``clear()`` replays a trial from its start, as the STDP notebook
    expects."""

    def __init__(self, spike_times, name: Optional[str] = None, copied=False, net_id=0, network=None):
        times = _times(spike_times)
        self.__dict__["_x_times"] = times
        self.__dict__["_x_origin"] = 0.0
        super().__init__("spike_source_array", len(times), {"spike_times": times}, name=name, network=network)

    @property
    def spike_times(self):
        """The spike times (ms) of each neuron, as last set."""
        return [list(t) for t in self._x_times]

    @spike_times.setter
    def spike_times(self, value):
        times = _times(value)
        if len(times) != self.size:
            raise CajalError(
                f"population '{self.name}': {len(times)} lists of spike times for {self.size} neurons (pad with [])"
            )
        self.__dict__["_x_times"] = times
        origin = self._x_origin
        self._net._c.set_spike_times(self.name, [[origin + t for t in ts] for ts in times])

    def clear(self):
        """Restarts the source's clock: spike times set from now on count
        from the current time."""
        self.__dict__["_x_origin"] = self._net.get_time()

    def _reset(self):
        self.__dict__["_x_origin"] = 0.0


def _times(spike_times):
    if len(spike_times) == 0:
        return [[]]
    if not isinstance(spike_times[0], (list, tuple, np.ndarray)):
        spike_times = [spike_times]
    return [[float(t) for t in ts] for ts in spike_times]


class InputArray(_InputPopulation):
    """Rate-coded neurons whose ``r`` is set from Python (ANNarchy's
    ``InputArray``)."""

    def __init__(self, geometry=None, name: Optional[str] = None, copied=False, net_id=0, network=None):
        super().__init__("input_array", _geometry(geometry), {}, name=name, network=network)


class TimedArray(_InputPopulation):
    """Rate-coded neurons whose ``r`` follows the rows of ``rates`` (first
    axis time): a row every ``schedule`` ms, or at the listed times; with
    ``period`` the sequence repeats (ANNarchy's ``TimedArray``)."""

    def __init__(self, rates=None, geometry=None, schedule=0.0, period=-1.0, name: Optional[str] = None, copied=False, net_id=0, network=None):
        rates = np.asarray(rates, dtype=np.float64)
        if geometry is None:
            geometry = rates.shape[1:]
        args = {"rates": rates, "schedule": _schedule(schedule), "period": float(period)}
        super().__init__("timed_array", _geometry(geometry), args, name=name, network=network)


class TimedPoissonPopulation(_InputPopulation):
    """Poisson neurons whose rates follow the rows of ``rates``
    (ANNarchy's ``TimedPoissonPopulation``)."""

    def __init__(self, geometry, rates=None, schedule=0.0, period=-1.0, name: Optional[str] = None, copied=False, net_id=0, network=None):
        rates = np.asarray(rates, dtype=np.float64)
        if rates.ndim == 1:
            rates = rates[:, None]
        args = {"rates": rates, "schedule": _schedule(schedule), "period": float(period)}
        super().__init__("timed_poisson", _geometry(geometry), args, name=name, network=network)


def _schedule(schedule):
    if isinstance(schedule, numbers.Number):
        return float(schedule)
    return [float(x) for x in schedule]


class DecodingProjection(Projection):
    """A projection from a spiking population to a rate-coded one whose
    sum is the pre-synaptic firing rate over a sliding ``window`` (ms),
    weighted (ANNarchy's ``DecodingProjection``)."""

    def __init__(self, pre, post, target: str, window: float = 0.0, name: Optional[str] = None, copied=False, net_id=0, network=None):
        super().__init__(pre, post, target, name=name, network=network)
        # ANNarchy's default window of 0 is one step.
        self.__dict__["_window"] = float(window) if window > 0 else self._net.dt
