"""ANNarchy's built-in neuron and synapse models.

The equations are cajal's own built-ins (``cajal::models``), the same
models the Rust API offers; a keyword argument changes a parameter's value,
as ``ann.Izhikevich(a=0.1)`` does in ANNarchy, and the initial values
ANNarchy derives from the arguments follow (``Izhikevich(c=-50.0)``
starts at ``v = -50``); the string arguments (``Izhikevich``'s
``conductance``, ``LeakyIntegrator``'s ``sum`` and ``noise``, the GIF
models' ``current``) change the equations. The class itself can be given
where a model is expected (``neuron=ann.Izhikevich``).
"""

from __future__ import annotations

import json

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
    "GIF_curr",
    "GIF_curr_exp",
    "Hebb",
    "Oja",
    "IBCM",
    "STP",
    "STDP",
]


class _BuiltinNeuron(Neuron):
    _builtin = ""
    _spiking = True
    # The initial values ANNarchy's constructor computes from the
    # arguments: (variable, function of the arguments' values), with the
    # defaults of those it reads (`_reads`).
    _inits: tuple = ()
    _reads: dict = {}
    # A model's arguments that are not its parameters: a function moving
    # them from the parameters into the options or into parameters they
    # set.
    _adapt = None

    def __init__(self, **parameters):
        self._args = dict(parameters)
        # Strings go to the model (which refuses those it does not take).
        self._options = {k: parameters.pop(k) for k in list(parameters) if isinstance(parameters[k], str)}
        if self._adapt is not None:
            self._adapt(parameters, self._options)
        values = dict(self._reads)
        values.update({k: v for k, v in parameters.items() if k in values})
        if any(k in parameters for k in self._reads):
            for var, f in self._inits:
                parameters.setdefault(var, f(values))
        self._parameters = parameters
        self.name = self._builtin
        self.description = ""
        self.type = "spike" if self._spiking else "rate"
        self.parameters = self.equations = ""
        self.spike = self.reset = self.refractory = self.functions = None

    def _spec(self):
        if self._options:
            return ("builtin", self._builtin, json.dumps(self._options))
        return ("builtin", self._builtin)

    def _overrides(self) -> dict:
        return dict(self._parameters)

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self._args.items())
        return f"{self._builtin}({args})"


def _neuron(name: str, spiking: bool, doc: str, inits=(), reads=None, adapt=None):
    return type(
        name,
        (_BuiltinNeuron,),
        {
            "_builtin": name,
            "_spiking": spiking,
            "__doc__": doc,
            "_inits": tuple(inits),
            "_reads": dict(reads or {}),
            "_adapt": staticmethod(adapt) if adapt is not None else None,
        },
    )


# v starts at v_reset in ANNarchy's IF and EIF models.
def _v_reset(default):
    return dict(inits=(("v", lambda p: float(p["v_reset"])),), reads={"v_reset": default})


LeakyIntegrator = _neuron(
    "LeakyIntegrator", False,
    "Rate-coded leaky integrator: tau * dv/dt + v = sum + B + noise, r = pos(v - T) "
    "(sum: 'sum(exc) - sum(inh)' unless given, noise: none unless given).",
)
Izhikevich = _neuron(
    "Izhikevich", True,
    "Izhikevich's (2003) quadratic integrate-and-fire neuron (conductance: 'g_exc - g_inh' unless given); "
    "v starts at c, u at b * c.",
    inits=(("v", lambda p: float(p["c"])), ("u", lambda p: float(p["b"]) * float(p["c"]))),
    reads={"b": 0.2, "c": -65.0},
)
IF_curr_exp = _neuron(
    "IF_curr_exp", True, "LIF with exponentially decaying current inputs (PyNN's).", **_v_reset(-65.0)
)
IF_cond_exp = _neuron(
    "IF_cond_exp", True, "LIF with exponentially decaying conductances (PyNN's).", **_v_reset(-65.0)
)
IF_curr_alpha = _neuron(
    "IF_curr_alpha", True, "LIF with alpha-shaped current inputs (PyNN's).", **_v_reset(-65.0)
)
IF_cond_alpha = _neuron(
    "IF_cond_alpha", True, "LIF with alpha-shaped conductances (PyNN's).", **_v_reset(-65.0)
)
HH_cond_exp = _neuron(
    "HH_cond_exp", True, "Hodgkin-Huxley neuron with exponential conductances (PyNN's); v starts at e_rev_leak.",
    inits=(("v", lambda p: float(p["e_rev_leak"])),),
    reads={"e_rev_leak": -65.0},
)
EIF_cond_exp_isfa_ista = _neuron(
    "EIF_cond_exp_isfa_ista", True, "Adaptive exponential LIF (AdEx) with exponential conductances (PyNN's).",
    **_v_reset(-70.6),
)
EIF_cond_alpha_isfa_ista = _neuron(
    "EIF_cond_alpha_isfa_ista", True, "Adaptive exponential LIF (AdEx) with alpha conductances (PyNN's).",
    **_v_reset(-70.6),
)
def _gif_arguments(parameters: dict, options: dict):
    # The GIF constructors' refractory_period is the model's refractory
    # period, and C_m only sets R = tau_m / C_m.
    if "refractory_period" in parameters:
        options["refractory_period"] = float(parameters.pop("refractory_period"))
    if "C_m" in parameters or "tau_m" in parameters:
        c_m = float(parameters.pop("C_m", 250.0))
        parameters["R"] = float(parameters.get("tau_m", 10.0)) / c_m


# The GIF models' u and v start at u_r and u_th by name (`init = u_r`):
# they follow those parameters until compile, as ANNarchy's do.
GIF_curr = _neuron(
    "GIF_curr", True,
    "Generalized leaky integrate-and-fire neuron (Schwalger et al. 2017) with escape-rate spikes and "
    "instantaneous synaptic currents (current: 'R*(g_exc - g_inh)' unless given; R = tau_m / C_m).",
    adapt=_gif_arguments,
)
GIF_curr_exp = _neuron(
    "GIF_curr_exp", True,
    "GIF_curr with exponentially decaying synaptic currents (tau_g_exc, tau_g_inh).",
    adapt=_gif_arguments,
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
