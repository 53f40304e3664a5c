"""ANNarchy's convolution extension: shared-weight projections
(``Convolution``, ``Pooling``) and projections mirroring another one
(``Transpose``, ``Copy``). Their weights are stored once, whatever the
number of post-synaptic neurons."""

from __future__ import annotations

from typing import Optional

import numpy as np

from .._network import CajalError, Population, Projection

__all__ = ["Convolution", "Pooling", "Transpose", "Copy"]


def _pop(obj, what: str) -> Population:
    if not isinstance(obj, Population):
        raise CajalError(f"{what}: pre and post must be whole populations, got {type(obj).__name__}")
    obj._materialize()
    return obj


class _Shared(Projection):
    def __init__(self, pre, post, target, psp, operation, name, network):
        super().__init__(pre, post, target, name=name, network=network or getattr(pre, "_net", None))
        self.__dict__["psp"] = psp
        self.__dict__["operation"] = operation
        self.__dict__["_weights"] = None

    @property
    def weights(self) -> np.ndarray:
        """The filter (or bank of filters) as given."""
        return self._weights

    def _done(self, weights=None):
        d = self.__dict__
        d["_connected"] = True
        d["_weights"] = weights
        self._refresh()
        return self

    def connectivity_matrix(self, fill: float = 0.0):
        raise NotImplementedError("a shared-weight projection stores no synapses: see its weights")


class Convolution(_Shared):
    """A convolution of the pre-synaptic population by a filter
    (``connect_filter``) or a bank of filters (``connect_filters``), with
    ANNarchy's psp (default ``pre.r * w``) and operation (default sum)."""

    def __init__(self, pre, post, target: str, psp: str = "pre.r * w", operation: str = "sum", name: Optional[str] = None, copied=False, net_id=0, network=None):
        super().__init__(pre, post, target, psp, operation, name, network)

    def _conv(self, weights, bank, delays, keep_last_dimension, padding, subsampling):
        w = np.ascontiguousarray(np.asarray(weights, dtype=np.float64))
        pre, post = _pop(self.pre, "Convolution"), _pop(self.post, "Convolution")
        if subsampling is not None:
            subsampling = [[int(x) for x in c] for c in subsampling]
        self._net._c.convolution(
            self.name, pre.name, post.name, self.target, self.psp, self.operation, w, bank,
            float(delays), padding, subsampling, bool(keep_last_dimension),
        )
        return self._done(w)

    def connect_filter(self, weights, delays: float = 0.0, keep_last_dimension: bool = False, padding=0.0, subsampling=None):
        """One filter over the pre-synaptic population (see ANNarchy's
        ``Convolution.connect_filter`` for the shapes)."""
        return self._conv(weights, False, delays, keep_last_dimension, padding, subsampling)

    def connect_filters(self, weights, delays: float = 0.0, keep_last_dimension: bool = False, padding=0.0, subsampling=None):
        """A bank of filters: the first axis of ``weights`` is the filter,
        the post-synaptic population's last dimension."""
        return self._conv(weights, True, delays, keep_last_dimension, padding, subsampling)

    filter = connect_filter
    filters = connect_filters


class Pooling(_Shared):
    """Max (default), min or mean pooling of blocks of the pre-synaptic
    population (``connect_pooling(extent)``)."""

    def __init__(self, pre, post, target: str, psp: str = "pre.r", operation: str = "max", name: Optional[str] = None, copied=False, net_id=0, network=None):
        if operation not in ("max", "mean", "min"):
            raise CajalError(f"Pooling: the operation must be 'max', 'mean' or 'min', got '{operation}'")
        super().__init__(pre, post, target, psp, operation, name, network)

    def connect_pooling(self, extent=None, delays: float = 0.0):
        """Pools blocks of ``extent`` pre-synaptic neurons (default: derived
        from the two geometries)."""
        pre, post = _pop(self.pre, "Pooling"), _pop(self.post, "Pooling")
        ext = None if extent is None else [int(x) for x in extent]
        self._net._c.pooling(self.name, pre.name, post.name, self.target, self.psp, self.operation, ext, float(delays))
        return self._done()

    pooling = connect_pooling


class Transpose(Projection):
    """The transpose of a projection, from its post-synaptic population back
    to its pre-synaptic one on ``target``, sharing its weights (they follow
    the original's learning)."""

    def __init__(self, projection: Projection, target: str, name: Optional[str] = None, copied=False, net_id=0, network=None):
        super().__init__(projection.post, projection.pre, target, name=name, network=network or projection._net)
        self.__dict__["_original"] = projection

    def connect_transpose(self):
        """Connects it."""
        net = self._net
        rust_name = net._c.transpose(self._original.name, self.target)
        self.__dict__["name"] = rust_name if self.name.startswith("proj") else self.name
        if self.name != rust_name:
            raise CajalError(f"Transpose: cajal names a transpose itself ('{rust_name}'), not '{self.name}'")
        self.__dict__["_connected"] = True
        self._refresh()
        return self

    transpose = connect_transpose
    connect = connect_transpose


class Copy(Projection):
    """A projection copying another one's connectivity, weights (as they are
    when connected), delays, psp and operation, between populations of the
    same geometries (``connect_copy(projection)``)."""

    def __init__(self, pre, post, target: str, psp: str = "pre.r * w", operation: str = "sum", name: Optional[str] = None, copied=False, net_id=0, network=None):
        super().__init__(pre, post, target, name=name, network=network or getattr(pre, "_net", None))

    def connect_copy(self, projection: Projection):
        """Copies ``projection``."""
        pre, post = _pop(self.pre, "Copy"), _pop(self.post, "Copy")
        rust_name = self._net._c.copy(projection.name, pre.name, post.name, self.target)
        if not self.name.startswith("proj") and self.name != rust_name:
            raise CajalError(f"Copy: cajal names a copy itself ('{rust_name}'), not '{self.name}'")
        self.__dict__["name"] = rust_name
        self.__dict__["_connected"] = True
        self._refresh()
        return self

    copy = connect_copy
