"""ANNarchy's built-in neuron and synapse models.

The equations are cajal's own built-ins (``cajal::models``), the same
models the Rust API offers; a keyword argument changes a parameter's value,
as ``ann.Izhikevich(a=0.1)`` does in ANNarchy. The class itself can be
given where a model is expected (``neuron=ann.Izhikevich``).
"""

from __future__ import annotations

from ._models import Neuron, Synapse

__all__ = [
    "LeakyIntegrator",
    "Izhikevich",
    "IF_curr_exp",
    "IF_cond_exp",
    "IF_curr_alpha",
    "IF_cond_alpha",
    "HH_cond_exp",
    "EIF_cond_exp_isfa_ista",
    "EIF_cond_alpha_isfa_ista",
    "Hebb",
    "Oja",
    "IBCM",
    "STP",
    "STDP",
]


class _BuiltinNeuron(Neuron):
    _builtin = ""
    _spiking = True

    def __init__(self, **parameters):
        self._parameters = parameters
        self.name = self._builtin
        self.description = ""
        self.type = "spike" if self._spiking else "rate"
        self.parameters = self.equations = ""
        self.spike = self.reset = self.refractory = self.functions = None

    def _spec(self):
        return ("builtin", self._builtin)

    def _overrides(self) -> dict:
        return dict(self._parameters)

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self._parameters.items())
        return f"{self._builtin}({args})"


def _neuron(name: str, spiking: bool, doc: str):
    return type(name, (_BuiltinNeuron,), {"_builtin": name, "_spiking": spiking, "__doc__": doc})


LeakyIntegrator = _neuron(
    "LeakyIntegrator", False,
    "Rate-coded leaky integrator: tau * dv/dt + v = baseline + sum(exc) - sum(inh) + noise, r = pos(v).",
)
Izhikevich = _neuron("Izhikevich", True, "Izhikevich's (2003) quadratic integrate-and-fire neuron.")
IF_curr_exp = _neuron("IF_curr_exp", True, "LIF with exponentially decaying current inputs (PyNN's).")
IF_cond_exp = _neuron("IF_cond_exp", True, "LIF with exponentially decaying conductances (PyNN's).")
IF_curr_alpha = _neuron("IF_curr_alpha", True, "LIF with alpha-shaped current inputs (PyNN's).")
IF_cond_alpha = _neuron("IF_cond_alpha", True, "LIF with alpha-shaped conductances (PyNN's).")
HH_cond_exp = _neuron("HH_cond_exp", True, "Hodgkin-Huxley neuron with exponential conductances (PyNN's).")
EIF_cond_exp_isfa_ista = _neuron(
    "EIF_cond_exp_isfa_ista", True, "Adaptive exponential LIF (AdEx) with exponential conductances (PyNN's)."
)
EIF_cond_alpha_isfa_ista = _neuron(
    "EIF_cond_alpha_isfa_ista", True, "Adaptive exponential LIF (AdEx) with alpha conductances (PyNN's)."
)


class _BuiltinSynapse(Synapse):
    _builtin = ""
    _params: tuple = ()

    def __init__(self, **parameters):
        defaults = dict(self._params)
        unknown = set(parameters) - set(defaults)
        if unknown:
            raise TypeError(
                f"{self._builtin}: unknown parameter(s) {sorted(unknown)}; "
                f"it has {[k for k, _ in self._params]}"
            )
        defaults.update(parameters)
        self._values = defaults
        self.name = self._builtin
        self.description = ""

    def _spec(self):
        return ("builtin", self._builtin, [float(self._values[k]) for k, _ in self._params])

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self._values.items())
        return f"{self._builtin}({args})"


def _synapse(name: str, params: tuple, doc: str):
    return type(name, (_BuiltinSynapse,), {"_builtin": name, "_params": params, "__doc__": doc})


Hebb = _synapse("Hebb", (("eta", 0.01),), "Rate-coded Hebbian learning: dw/dt = eta * pre.r * post.r.")
Oja = _synapse("Oja", (("eta", 0.01), ("alpha", 1.0)), "Rate-coded Oja learning rule.")
IBCM = _synapse("IBCM", (("eta", 0.01), ("tau", 2000.0)), "Rate-coded intrator-BCM learning rule.")
STP = _synapse(
    "STP", (("tau_rec", 100.0), ("tau_facil", 0.01), ("U", 0.5)),
    "Short-term plasticity (Tsodyks-Markram) of spiking synapses.",
)
STDP = _synapse(
    "STDP",
    (("tau_plus", 20.0), ("tau_minus", 20.0), ("A_plus", 0.01), ("A_minus", 0.01), ("w_min", 0.0), ("w_max", 1.0)),
    "Online spike-timing dependent plasticity with pre and post traces.",
)
