"""ml_genn's neuron models and inputs, for spiking ML inference with batch
simulation (``net.compile(batch=...)``) and ml_genn's readouts
(``net.readout``).

A model takes ml_genn's keyword arguments (``LeakyIntegrateFire(v_thresh=1.0,
tau_mem=20.0, tau_refrac=None, relative_reset=True, ...)``); one left out
keeps ml_genn's default, an unknown one is an error naming it.

>>> import cajal as ann
>>> from cajal import mlgenn
>>> net = ann.Network(dt=1.0, seed=1)
>>> inp = net.create(10, mlgenn.IntegrateFireInput(v_thresh=1.0))
>>> out = net.create(2, mlgenn.LeakyIntegrate(tau_mem=20.0))
>>> net.connect(inp, out, "exc").all_to_all(weights=0.1)
"""

from __future__ import annotations

import json

from ._builtins import _BuiltinNeuron
from ._inputs import _InputPopulation

__all__ = [
    "LeakyIntegrateFire",
    "AdaptiveLeakyIntegrateFire",
    "IntegrateFire",
    "LeakyIntegrate",
    "FewSpikeRelu",
    "IntegrateFireInput",
    "LeakyIntegrateFireInput",
    "FewSpikeReluInput",
    "PoissonInput",
    "BinarySpikeInput",
    "SpikeInput",
]


class _MlGennNeuron(_BuiltinNeuron):
    def _spec(self):
        return ("mlgenn", self._builtin, json.dumps(self._parameters))

    def _overrides(self) -> dict:
        # The keyword arguments are the model's own fields, not values to set.
        return {}


def _model(name: str, spiking: bool, doc: str):
    return type(name, (_MlGennNeuron,), {"_builtin": name, "_spiking": spiking, "__doc__": doc})


LeakyIntegrateFire = _model("LeakyIntegrateFire", True, "ml_genn's leaky integrate-and-fire neuron.")
AdaptiveLeakyIntegrateFire = _model("AdaptiveLeakyIntegrateFire", True, "ml_genn's adaptive LIF neuron.")
IntegrateFire = _model("IntegrateFire", True, "ml_genn's integrate-and-fire neuron.")
LeakyIntegrate = _model("LeakyIntegrate", False, "ml_genn's leaky integrator (non-spiking read-out).")
FewSpikeRelu = _model("FewSpikeRelu", True, "ml_genn's few-spike ReLU neuron.")
IntegrateFireInput = _model("IntegrateFireInput", True, "ml_genn's integrate-and-fire input: its `input` is the example.")
LeakyIntegrateFireInput = _model("LeakyIntegrateFireInput", True, "ml_genn's LIF input.")
FewSpikeReluInput = _model("FewSpikeReluInput", True, "ml_genn's few-spike ReLU input.")
PoissonInput = _model("PoissonInput", True, "ml_genn's Poisson input.")
BinarySpikeInput = _model("BinarySpikeInput", True, "ml_genn's binary spike input.")


class SpikeInput(_InputPopulation):
    """ml_genn's spike input: each batch element's spikes given as ``(time
    in ms, rank)`` lists by ``net.set_input_spikes``; at most
    ``max_spikes`` a neuron and example."""

    def __init__(self, geometry, max_spikes: int, name=None, network=None):
        super().__init__("spike_input", geometry, {"max_spikes": int(max_spikes)}, name=name, network=network)
