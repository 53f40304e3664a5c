//! ANNarchy's built-in neuron models (`ANNarchy.models.Neurons`, versions
//! 4.8 and 5.0), with ANNarchy's parameter names, default values, equations,
//! integration methods, spike conditions, resets and refractory periods.
//!
//! Each function returns a [`Neuron`] with the default parameters; change a
//! parameter per population with `Network::set` (before compiling) or
//! `Simulation::set` (after).

use crate::network::model::Neuron;

/// ANNarchy's default `sum` of `LeakyIntegrator`.
pub(crate) const LEAKY_SUM: &str = "sum(exc) - sum(inh)";
/// ANNarchy's default `conductance` of `Izhikevich`.
pub(crate) const IZHIKEVICH_CONDUCTANCE: &str = "g_exc - g_inh";
/// ANNarchy's default `current` of the GIF models.
pub(crate) const GIF_CURRENT: &str = "R*(g_exc - g_inh)";

/// ANNarchy's `LeakyIntegrator`: a rate-coded leaky integrator with a
/// rectified-linear output.
///
/// The internal variable `v` relaxes towards its input with time constant
/// `tau` (exponential Euler), and the rate is the positive part of `v - T`:
///
/// ```text
/// tau * dv/dt + v = sum(exc) - sum(inh) + B
/// r = pos(v - T)
/// ```
///
/// Parameters (ANNarchy's defaults):
/// * `tau = 10.0` (ms, shared by the population): time constant;
/// * `B = 0.0` (per neuron): baseline;
/// * `T = 0.0` (shared by the population): threshold of the transfer function.
///
/// Variables: `v` (init 0.0), `r` (init 0.0).
///
/// This is the default instance (input `sum(exc) - sum(inh)`, no noise);
/// [`leaky_integrator_with`] takes ANNarchy's `sum` and `noise` arguments.
pub fn leaky_integrator() -> Neuron {
    leaky_integrator_with(LEAKY_SUM, None)
}

/// ANNarchy's `LeakyIntegrator(sum=..., noise=...)`: [`leaky_integrator`]
/// with `sum` as its input and `noise`, if any, added to it:
/// `tau * dv/dt + v = SUM + B + NOISE`.
///
/// ```
/// use cajal::prelude::*;
/// let li = cajal::models::leaky_integrator_with("sum(exc)", Some("0.5"));
/// let mut net = Network::new();
/// let pop = net.population("li", 1, &li)?;
/// let mut sim = net.compile(Backend::Cpu)?;
/// sim.simulate(1.0)?;
/// // No input: the noise term alone moves v.
/// assert!(sim.get_neuron(pop, 0, "v")? > 0.0);
/// # Ok::<(), cajal::Error>(())
/// ```
pub fn leaky_integrator_with(sum: &str, noise: Option<&str>) -> Neuron {
    let noise = noise.map_or_else(String::new, |n| format!(" + {n}"));
    Neuron::rate()
        .name("LeakyIntegrator")
        .parameters(
            "tau = 10.0 : population  # ms
B = 0.0
T = 0.0 : population",
        )
        .equations(&format!(
            "tau * dv/dt + v = {sum} + B{noise} : exponential
r = pos(v - T)"
        ))
}

/// ANNarchy's `Izhikevich`: the quadratic integrate-and-fire neuron with a
/// recovery variable of Izhikevich (2003), with regular-spiking defaults.
///
/// ```text
/// I = g_exc - g_inh + noise * Normal(0.0, 1.0) + i_offset
/// dv/dt = 0.04 * v^2 + 5.0 * v + 140.0 - u + I      (init c)
/// du/dt = a * (b*v - u)                             (init b*c)
/// spike: v > v_thresh      reset: v = c; u += d     refractory: tau_refrac
/// ```
///
/// Both ODEs use explicit Euler (ANNarchy's default method), integrated
/// together: both increments are computed from the values at the start of
/// the step. `g_exc` and `g_inh` are instantaneous: a spike adds the weight
/// for one step.
///
/// Parameters (ANNarchy's defaults, all per neuron):
/// * `a = 0.02` (1/ms): speed of the recovery variable;
/// * `b = 0.2`: sensitivity of the recovery variable to `v`;
/// * `c = -65.0` (mV): reset potential;
/// * `d = 8.0` (mV/ms): increment of `u` after a spike;
/// * `v_thresh = 30.0` (mV): spike threshold;
/// * `i_offset = 0.0`: external current;
/// * `noise = 0.0`: amplitude of the additive normal noise;
/// * `tau_refrac = 0.0` (ms): refractory period.
///
/// Variables: `I`, `v` (init -65.0), `u` (init -13.0), `g_exc`, `g_inh`.
/// The initial values are those of the default `c` and `b` (`v = c`,
/// `u = b * c`), as ANNarchy computes them when the model is created.
pub fn izhikevich() -> Neuron {
    izhikevich_with(IZHIKEVICH_CONDUCTANCE)
}

/// ANNarchy's `Izhikevich(conductance=...)`: [`izhikevich`] with
/// `conductance` as its synaptic input, `I = CONDUCTANCE + noise *
/// Normal(0.0, 1.0) + i_offset` (the Ramp notebook's
/// `g_ampa * (1 + g_nmda) - g_gaba`, say).
pub fn izhikevich_with(conductance: &str) -> Neuron {
    Neuron::spiking()
        .name("Izhikevich")
        .parameters(
            "noise = 0.0
a = 0.02
b = 0.2
c = -65.0  # mV
d = 8.0
v_thresh = 30.0  # mV
i_offset = 0.0
tau_refrac = 0.0  # ms",
        )
        .equations(&format!(
            "I = {conductance} + noise * Normal(0.0, 1.0) + i_offset
dv/dt = 0.04 * v^2 + 5.0 * v + 140.0 - u + I : init = -65.0
du/dt = a * (b*v - u) : init = -13.0"
        ))
        .spike("v > v_thresh")
        .reset(
            "v = c
u += d",
        )
        .refractory_expr("tau_refrac")
}

/// ANNarchy's `IF_curr_exp`: leaky integrate-and-fire neuron with a fixed
/// threshold and exponentially decaying post-synaptic currents (PyNN's
/// model of the same name).
///
/// ```text
/// cm * dv/dt = cm/tau_m*(v_rest - v) + g_exc - g_inh + i_offset   (init v_reset)
/// tau_syn_E * dg_exc/dt = - g_exc
/// tau_syn_I * dg_inh/dt = - g_inh
/// spike: v > v_thresh      reset: v = v_reset       refractory: tau_refrac
/// ```
///
/// All three ODEs use the exponential Euler method.
///
/// Parameters (ANNarchy's defaults, all per neuron):
/// * `v_rest = -65.0` (mV): resting potential;
/// * `cm = 1.0` (nF): membrane capacitance;
/// * `tau_m = 20.0` (ms): membrane time constant;
/// * `tau_refrac = 0.0` (ms): refractory period;
/// * `tau_syn_E = 5.0`, `tau_syn_I = 5.0` (ms): decay of the excitatory and
///   inhibitory currents;
/// * `v_thresh = -50.0` (mV): spike threshold;
/// * `v_reset = -65.0` (mV): reset potential;
/// * `i_offset = 0.0` (nA): constant input current.
///
/// Variables: `v` (init -65.0), `g_exc`, `g_inh` (nA, init 0.0).
pub fn if_curr_exp() -> Neuron {
    Neuron::spiking()
        .name("IF_curr_exp")
        .parameters(
            "v_rest = -65.0  # mV
cm = 1.0  # nF
tau_m = 20.0  # ms
tau_refrac = 0.0  # ms
tau_syn_E = 5.0  # ms
tau_syn_I = 5.0  # ms
v_thresh = -50.0  # mV
v_reset = -65.0  # mV
i_offset = 0.0  # nA",
        )
        .equations(
            "cm * dv/dt = cm/tau_m*(v_rest - v) + g_exc - g_inh + i_offset : exponential, init = -65.0
tau_syn_E * dg_exc/dt = - g_exc : exponential
tau_syn_I * dg_inh/dt = - g_inh : exponential",
        )
        .spike("v > v_thresh")
        .reset("v = v_reset")
        .refractory_expr("tau_refrac")
}

/// ANNarchy's `IF_cond_exp`: leaky integrate-and-fire neuron with a fixed
/// threshold and exponentially decaying post-synaptic conductances.
///
/// ```text
/// cm * dv/dt = cm/tau_m*(v_rest - v) + g_exc*(e_rev_E - v) + g_inh*(e_rev_I - v) + i_offset
/// tau_syn_E * dg_exc/dt = - g_exc
/// tau_syn_I * dg_inh/dt = - g_inh
/// spike: v > v_thresh      reset: v = v_reset       refractory: tau_refrac
/// ```
///
/// All three ODEs use the exponential Euler method; `v` starts at -65.0.
///
/// Parameters (ANNarchy's defaults, all per neuron):
/// * `v_rest = -65.0` (mV), `cm = 1.0` (nF), `tau_m = 20.0` (ms);
/// * `tau_refrac = 0.0` (ms): refractory period;
/// * `tau_syn_E = 5.0`, `tau_syn_I = 5.0` (ms): decay of the conductances;
/// * `v_thresh = -50.0` (mV), `v_reset = -65.0` (mV);
/// * `i_offset = 0.0` (nA): constant input current;
/// * `e_rev_E = 0.0`, `e_rev_I = -70.0` (mV): reversal potentials.
///
/// Variables: `v`, `g_exc`, `g_inh` (µS).
pub fn if_cond_exp() -> Neuron {
    Neuron::spiking()
        .name("IF_cond_exp")
        .parameters(
            "v_rest = -65.0  # mV
cm = 1.0  # nF
tau_m = 20.0  # ms
tau_refrac = 0.0  # ms
tau_syn_E = 5.0  # ms
tau_syn_I = 5.0  # ms
v_thresh = -50.0  # mV
v_reset = -65.0  # mV
i_offset = 0.0  # nA
e_rev_E = 0.0  # mV
e_rev_I = -70.0  # mV",
        )
        .equations(
            "cm * dv/dt = cm/tau_m*(v_rest - v) + g_exc * (e_rev_E - v) + g_inh * (e_rev_I - v) + i_offset : exponential, init = -65.0
tau_syn_E * dg_exc/dt = - g_exc : exponential
tau_syn_I * dg_inh/dt = - g_inh : exponential",
        )
        .spike("v > v_thresh")
        .reset("v = v_reset")
        .refractory_expr("tau_refrac")
}

/// ANNarchy's `IF_curr_alpha`: leaky integrate-and-fire neuron with alpha
/// post-synaptic currents.
///
/// The alpha current is a cascade of two linear ODEs: a spike adds its
/// weight to `g_exc`, which decays with `tau_syn_E` and drives `alpha_exc`.
/// The gain `gmax_exc = exp((tau_syn_E - dt/2)/tau_syn_E)` makes the alpha
/// current peak near the weight, about `tau_syn_E` after the spike.
///
/// ```text
/// gmax_exc = exp((tau_syn_E - dt/2.0)/tau_syn_E)
/// gmax_inh = exp((tau_syn_I - dt/2.0)/tau_syn_I)
/// cm * dv/dt = cm/tau_m*(v_rest - v) + alpha_exc - alpha_inh + i_offset
/// tau_syn_E * dg_exc/dt = - g_exc
/// tau_syn_I * dg_inh/dt = - g_inh
/// tau_syn_E * dalpha_exc/dt = gmax_exc * g_exc - alpha_exc
/// tau_syn_I * dalpha_inh/dt = gmax_inh * g_inh - alpha_inh
/// spike: v > v_thresh      reset: v = v_reset       refractory: tau_refrac
/// ```
///
/// All ODEs use the exponential Euler method; `v` starts at -65.0.
///
/// Parameters (ANNarchy's defaults, all per neuron):
/// * `v_rest = -65.0` (mV), `cm = 1.0` (nF), `tau_m = 20.0` (ms);
/// * `tau_refrac = 0.0` (ms): refractory period;
/// * `tau_syn_E = 5.0`, `tau_syn_I = 5.0` (ms): rise times of the currents;
/// * `v_thresh = -50.0` (mV), `v_reset = -65.0` (mV);
/// * `i_offset = 0.0` (nA): constant input current.
///
/// Variables: `gmax_exc`, `gmax_inh`, `v`, `g_exc`, `g_inh`, `alpha_exc`,
/// `alpha_inh` (nA).
pub fn if_curr_alpha() -> Neuron {
    Neuron::spiking()
        .name("IF_curr_alpha")
        .parameters(
            "v_rest = -65.0  # mV
cm = 1.0  # nF
tau_m = 20.0  # ms
tau_refrac = 0.0  # ms
tau_syn_E = 5.0  # ms
tau_syn_I = 5.0  # ms
v_thresh = -50.0  # mV
v_reset = -65.0  # mV
i_offset = 0.0  # nA",
        )
        .equations(
            "gmax_exc = exp((tau_syn_E - dt/2.0)/tau_syn_E)
gmax_inh = exp((tau_syn_I - dt/2.0)/tau_syn_I)
cm * dv/dt = cm/tau_m*(v_rest - v) + alpha_exc - alpha_inh + i_offset : exponential, init = -65.0
tau_syn_E * dg_exc/dt = - g_exc : exponential
tau_syn_I * dg_inh/dt = - g_inh : exponential
tau_syn_E * dalpha_exc/dt = gmax_exc * g_exc - alpha_exc : exponential
tau_syn_I * dalpha_inh/dt = gmax_inh * g_inh - alpha_inh : exponential",
        )
        .spike("v > v_thresh")
        .reset("v = v_reset")
        .refractory_expr("tau_refrac")
}

/// ANNarchy's `IF_cond_alpha`: leaky integrate-and-fire neuron with alpha
/// post-synaptic conductances (the alpha cascade of [`if_curr_alpha`],
/// acting through reversal potentials).
///
/// ```text
/// gmax_exc = exp((tau_syn_E - dt/2.0)/tau_syn_E)
/// gmax_inh = exp((tau_syn_I - dt/2.0)/tau_syn_I)
/// cm * dv/dt = cm/tau_m*(v_rest - v) + alpha_exc*(e_rev_E - v) + alpha_inh*(e_rev_I - v) + i_offset
/// tau_syn_E * dg_exc/dt = - g_exc
/// tau_syn_I * dg_inh/dt = - g_inh
/// tau_syn_E * dalpha_exc/dt = gmax_exc * g_exc - alpha_exc
/// tau_syn_I * dalpha_inh/dt = gmax_inh * g_inh - alpha_inh
/// spike: v > v_thresh      reset: v = v_reset       refractory: tau_refrac
/// ```
///
/// All ODEs use the exponential Euler method; `v` starts at -65.0.
///
/// Parameters (ANNarchy's defaults, all per neuron):
/// * `v_rest = -65.0` (mV), `cm = 1.0` (nF), `tau_m = 20.0` (ms);
/// * `tau_refrac = 0.0` (ms): refractory period;
/// * `tau_syn_E = 5.0`, `tau_syn_I = 5.0` (ms): rise times of the conductances;
/// * `v_thresh = -50.0` (mV), `v_reset = -65.0` (mV);
/// * `i_offset = 0.0` (nA): constant input current;
/// * `e_rev_E = 0.0`, `e_rev_I = -70.0` (mV): reversal potentials.
///
/// Variables: `gmax_exc`, `gmax_inh`, `v`, `g_exc`, `g_inh`, `alpha_exc`,
/// `alpha_inh` (µS).
pub fn if_cond_alpha() -> Neuron {
    Neuron::spiking()
        .name("IF_cond_alpha")
        .parameters(
            "v_rest = -65.0  # mV
cm = 1.0  # nF
tau_m = 20.0  # ms
tau_refrac = 0.0  # ms
tau_syn_E = 5.0  # ms
tau_syn_I = 5.0  # ms
v_thresh = -50.0  # mV
v_reset = -65.0  # mV
i_offset = 0.0  # nA
e_rev_E = 0.0  # mV
e_rev_I = -70.0  # mV",
        )
        .equations(
            "gmax_exc = exp((tau_syn_E - dt/2.0)/tau_syn_E)
gmax_inh = exp((tau_syn_I - dt/2.0)/tau_syn_I)
cm * dv/dt = cm/tau_m*(v_rest - v) + alpha_exc * (e_rev_E - v) + alpha_inh * (e_rev_I - v) + i_offset : exponential, init = -65.0
tau_syn_E * dg_exc/dt = - g_exc : exponential
tau_syn_I * dg_inh/dt = - g_inh : exponential
tau_syn_E * dalpha_exc/dt = gmax_exc * g_exc - alpha_exc : exponential
tau_syn_I * dalpha_inh/dt = gmax_inh * g_inh - alpha_inh : exponential",
        )
        .spike("v > v_thresh")
        .reset("v = v_reset")
        .refractory_expr("tau_refrac")
}

/// ANNarchy's `HH_cond_exp`: single-compartment Hodgkin-Huxley neuron with
/// Traub's transient sodium and delayed-rectifier potassium channels, and
/// exponentially decaying conductances.
///
/// ```text
/// prev_v = v
/// an = 0.032 * (15.0 - v + v_offset) / (exp((15.0 - v + v_offset)/5.0) - 1.0)
/// am = 0.32  * (13.0 - v + v_offset) / (exp((13.0 - v + v_offset)/4.0) - 1.0)
/// ah = 0.128 * exp((17.0 - v + v_offset)/18.0)
/// bn = 0.5   * exp((10.0 - v + v_offset)/40.0)
/// bm = 0.28  * (v - v_offset - 40.0) / (exp((v - v_offset - 40.0)/5.0) - 1.0)
/// bh = 4.0/(1.0 + exp(10.0 - v + v_offset))
/// dn/dt = an * (1.0 - n) - bn * n          (init 0.0)
/// dm/dt = am * (1.0 - m) - bm * m          (init 0.0)
/// dh/dt = ah * (1.0 - h) - bh * h          (init 1.0)
/// cm * dv/dt = gleak*(e_rev_leak - v) + gbar_K * n**4 * (e_rev_K - v)
///            + gbar_Na * m**3 * h * (e_rev_Na - v)
///            + g_exc*(e_rev_E - v) + g_inh*(e_rev_I - v) + i_offset   (init e_rev_leak)
/// tau_syn_E * dg_exc/dt = - g_exc
/// tau_syn_I * dg_inh/dt = - g_inh
/// spike: (v > v_thresh) and (prev_v <= v_thresh)     no reset, no refractory period
/// ```
///
/// A spike is emitted once, when `v` crosses `v_thresh` upwards; the
/// channels repolarise the membrane by themselves. All ODEs use the
/// exponential Euler method, as in ANNarchy's code (its text mentions the
/// midpoint method, its equations say `exponential`).
///
/// Parameters (ANNarchy's defaults, all per neuron):
/// * `gbar_Na = 20.0` (µS): maximal sodium conductance;
/// * `gbar_K = 6.0` (µS): maximal potassium conductance;
/// * `gleak = 0.01` (µS): leak conductance;
/// * `cm = 0.2` (nF): membrane capacitance;
/// * `v_offset = -63.0` (mV): offset of the rate constants;
/// * `e_rev_Na = 50.0`, `e_rev_K = -90.0`, `e_rev_leak = -65.0` (mV);
/// * `e_rev_E = 0.0`, `e_rev_I = -80.0` (mV): synaptic reversal potentials;
/// * `tau_syn_E = 0.2`, `tau_syn_I = 2.0` (ms): decay of the conductances;
/// * `i_offset = 0.0` (nA): constant input current;
/// * `v_thresh = 0.0` (mV): spike threshold.
///
/// Variables: `prev_v`, the rate constants `an am ah bn bm bh`, the gates
/// `n m h`, `v` (init -65.0), `g_exc`, `g_inh`. The membrane equation,
/// written on two lines in ANNarchy, is one line here.
pub fn hh_cond_exp() -> Neuron {
    Neuron::spiking()
        .name("HH_cond_exp")
        .parameters(
            "gbar_Na = 20.0
gbar_K = 6.0
gleak = 0.01
cm = 0.2  # nF
v_offset = -63.0  # mV
e_rev_Na = 50.0  # mV
e_rev_K = -90.0  # mV
e_rev_leak = -65.0  # mV
e_rev_E = 0.0  # mV
e_rev_I = -80.0  # mV
tau_syn_E = 0.2  # ms
tau_syn_I = 2.0  # ms
i_offset = 0.0  # nA
v_thresh = 0.0  # mV",
        )
        .equations(
            "# Previous membrane potential
prev_v = v
# Voltage-dependent rate constants
an = 0.032 * (15.0 - v + v_offset) / (exp((15.0 - v + v_offset)/5.0) - 1.0)
am = 0.32 * (13.0 - v + v_offset) / (exp((13.0 - v + v_offset)/4.0) - 1.0)
ah = 0.128 * exp((17.0 - v + v_offset)/18.0)
bn = 0.5 * exp((10.0 - v + v_offset)/40.0)
bm = 0.28 * (v - v_offset - 40.0) / (exp((v - v_offset - 40.0)/5.0) - 1.0)
bh = 4.0/(1.0 + exp(10.0 - v + v_offset))
# Activation variables
dn/dt = an * (1.0 - n) - bn * n : init = 0.0, exponential
dm/dt = am * (1.0 - m) - bm * m : init = 0.0, exponential
dh/dt = ah * (1.0 - h) - bh * h : init = 1.0, exponential
# Membrane equation
cm * dv/dt = gleak*(e_rev_leak - v) + gbar_K * n**4 * (e_rev_K - v) + gbar_Na * m**3 * h * (e_rev_Na - v) + g_exc * (e_rev_E - v) + g_inh * (e_rev_I - v) + i_offset : exponential, init = -65.0
# Exponentially-decaying conductances
tau_syn_E * dg_exc/dt = - g_exc : exponential
tau_syn_I * dg_inh/dt = - g_inh : exponential",
        )
        .spike("(v > v_thresh) and (prev_v <= v_thresh)")
        .reset("")
}

/// ANNarchy's `EIF_cond_exp_isfa_ista`: adaptive exponential
/// integrate-and-fire neuron (Brette & Gerstner, 2005) with exponentially
/// decaying conductances, spike-triggered (isfa) and sub-threshold (ista)
/// adaptation.
///
/// ```text
/// I = g_exc * (e_rev_E - v) + g_inh * (e_rev_I - v) + i_offset
/// tau_m * dv/dt = (v_rest - v + delta_T * exp((v - v_thresh)/delta_T)) + tau_m/cm*(I - w)
/// tau_w * dw/dt = a * (v - v_rest) / 1000.0 - w
/// tau_syn_E * dg_exc/dt = - g_exc
/// tau_syn_I * dg_inh/dt = - g_inh
/// spike: v > v_spike       reset: v = v_reset; w += b     refractory: tau_refrac
/// ```
///
/// `v` and `w` use explicit Euler (integrated together), the conductances
/// exponential Euler; `v` starts at -70.6, `w` at 0.0.
///
/// Parameters (ANNarchy's defaults, all per neuron):
/// * `v_rest = -70.6` (mV), `cm = 0.281` (nF), `tau_m = 9.3667` (ms);
/// * `tau_refrac = 0.1` (ms): refractory period;
/// * `tau_syn_E = 5.0`, `tau_syn_I = 5.0` (ms): decay of the conductances;
/// * `e_rev_E = 0.0`, `e_rev_I = -80.0` (mV): reversal potentials;
/// * `tau_w = 144.0` (ms): time constant of the adaptation current;
/// * `a = 4.0` (nS): sub-threshold adaptation;
/// * `b = 0.0805` (nA): spike-triggered adaptation increment;
/// * `i_offset = 0.0` (nA): constant input current;
/// * `delta_T = 2.0` (mV): slope factor of the exponential;
/// * `v_thresh = -50.4` (mV): threshold of the exponential term;
/// * `v_reset = -70.6` (mV): reset potential;
/// * `v_spike = -40.0` (mV): spike detection threshold.
///
/// Variables: `I`, `v`, `w` (nA), `g_exc`, `g_inh` (µS).
pub fn eif_cond_exp_isfa_ista() -> Neuron {
    Neuron::spiking()
        .name("EIF_cond_exp_isfa_ista")
        .parameters(EIF_PARAMETERS)
        .equations(
            "I = g_exc * (e_rev_E - v) + g_inh * (e_rev_I - v) + i_offset
tau_m * dv/dt = (v_rest - v + delta_T * exp((v-v_thresh)/delta_T)) + tau_m/cm*(I - w) : init = -70.6
tau_w * dw/dt = a * (v - v_rest) / 1000.0 - w
tau_syn_E * dg_exc/dt = - g_exc : exponential
tau_syn_I * dg_inh/dt = - g_inh : exponential",
        )
        .spike("v > v_spike")
        .reset(
            "v = v_reset
w += b",
        )
        .refractory_expr("tau_refrac")
}

/// ANNarchy's `EIF_cond_alpha_isfa_ista`: the adaptive exponential
/// integrate-and-fire neuron of [`eif_cond_exp_isfa_ista`] with alpha
/// conductances (the cascade of [`if_cond_alpha`]).
///
/// ```text
/// gmax_exc = exp((tau_syn_E - dt/2.0)/tau_syn_E)
/// gmax_inh = exp((tau_syn_I - dt/2.0)/tau_syn_I)
/// I = alpha_exc * (e_rev_E - v) + alpha_inh * (e_rev_I - v) + i_offset
/// tau_m * dv/dt = (v_rest - v + delta_T * exp((v - v_thresh)/delta_T)) + tau_m/cm*(I - w)
/// tau_w * dw/dt = a * (v - v_rest) / 1000.0 - w
/// tau_syn_E * dg_exc/dt = - g_exc
/// tau_syn_I * dg_inh/dt = - g_inh
/// tau_syn_E * dalpha_exc/dt = gmax_exc * g_exc - alpha_exc
/// tau_syn_I * dalpha_inh/dt = gmax_inh * g_inh - alpha_inh
/// spike: v > v_spike       reset: v = v_reset; w += b     refractory: tau_refrac
/// ```
///
/// `v` and `w` use explicit Euler (integrated together), the conductances
/// and alpha functions exponential Euler; `v` starts at -70.6.
///
/// Parameters: those of [`eif_cond_exp_isfa_ista`], with the same defaults
/// (`v_rest = -70.6` mV, `cm = 0.281` nF, `tau_m = 9.3667` ms,
/// `tau_refrac = 0.1` ms, `tau_syn_E = tau_syn_I = 5.0` ms, `e_rev_E = 0.0`
/// mV, `e_rev_I = -80.0` mV, `tau_w = 144.0` ms, `a = 4.0` nS, `b = 0.0805`
/// nA, `i_offset = 0.0` nA, `delta_T = 2.0` mV, `v_thresh = -50.4` mV,
/// `v_reset = -70.6` mV, `v_spike = -40.0` mV).
///
/// Variables: `gmax_exc`, `gmax_inh`, `I`, `v`, `w`, `g_exc`, `g_inh`,
/// `alpha_exc`, `alpha_inh`.
pub fn eif_cond_alpha_isfa_ista() -> Neuron {
    Neuron::spiking()
        .name("EIF_cond_alpha_isfa_ista")
        .parameters(EIF_PARAMETERS)
        .equations(
            "gmax_exc = exp((tau_syn_E - dt/2.0)/tau_syn_E)
gmax_inh = exp((tau_syn_I - dt/2.0)/tau_syn_I)
I = alpha_exc * (e_rev_E - v) + alpha_inh * (e_rev_I - v) + i_offset
tau_m * dv/dt = (v_rest - v + delta_T * exp((v-v_thresh)/delta_T)) + tau_m/cm*(I - w) : init = -70.6
tau_w * dw/dt = a * (v - v_rest) / 1000.0 - w
tau_syn_E * dg_exc/dt = - g_exc : exponential
tau_syn_I * dg_inh/dt = - g_inh : exponential
tau_syn_E * dalpha_exc/dt = gmax_exc * g_exc - alpha_exc : exponential
tau_syn_I * dalpha_inh/dt = gmax_inh * g_inh - alpha_inh : exponential",
        )
        .spike("v > v_spike")
        .reset(
            "v = v_reset
w += b",
        )
        .refractory_expr("tau_refrac")
}

/// ANNarchy 5's `GIF_curr`: the generalized leaky integrate-and-fire
/// neuron of Schwalger, Deger and Gerstner (2017), whose spikes are drawn
/// with an escape rate, with instantaneous synaptic currents.
///
/// ```text
/// tau_m * du/dt = -u + u_r + R*I_ext + R*(g_exc - g_inh)    (init u_r)
/// tau_v * dv/dt = -(v - u_th)                               (init u_th)
/// Lambda = c * exp((u - v)/delta_u)                         (Hz)
/// p = Uniform(0.0, 1.0) * 1000.0 / dt
/// spike: p < Lambda        reset: u = u_r; v += J_v/tau_v
/// ```
///
/// A neuron spikes in a step with probability `Lambda * dt / 1000` (while
/// that is under 1): the hazard is in Hz, `dt` in ms. `u` and `v` are
/// integrated together by explicit Euler; `g_exc` and `g_inh`, which no
/// equation governs, hold the spikes of one step.
///
/// Parameters (ANNarchy's defaults, all shared by the population):
/// `tau_m = 10.0` ms, `R = 0.04` (`tau_m / C_m` with `C_m = 250.0`),
/// `tau_v = 1000.0` ms, `J_v = 1000.0`, `u_r = -65.0` mV, `u_th = -50.0`
/// mV, `c = 10.0` Hz, `delta_u = 5.0` mV, `I_ext = 375.0`. ANNarchy's
/// `refractory_period` is 0 by default: none.
///
/// Variables: `u`, `v`, `Lambda`, `p`, `g_exc`, `g_inh`.
pub fn gif_curr() -> Neuron {
    gif(false, GIF_CURRENT)
}

/// ANNarchy's `GIF_curr(current=...)`: [`gif_curr`] with `current` as its
/// synaptic input (`tau_m * du/dt = -u + u_r + R*I_ext + CURRENT`; an empty
/// string leaves none).
pub fn gif_curr_with(current: &str) -> Neuron {
    gif(false, current)
}

/// ANNarchy 5's `GIF_curr_exp`: [`gif_curr`] with exponentially decaying
/// synaptic currents, `tau_g_exc * dg_exc/dt = -g_exc` and
/// `tau_g_inh * dg_inh/dt = -g_inh` (explicit Euler, after `u`, `v`,
/// `Lambda` and `p`, as ANNarchy writes them), with `tau_g_exc = tau_g_inh
/// = 5.0` ms. The GIF_CUBA notebook's neuron.
pub fn gif_curr_exp() -> Neuron {
    gif(true, GIF_CURRENT)
}

/// ANNarchy's `GIF_curr_exp(current=...)`: [`gif_curr_exp`] with
/// `current` as its synaptic input.
pub fn gif_curr_exp_with(current: &str) -> Neuron {
    gif(true, current)
}

/// The two GIF models (`decay`: exponential currents).
fn gif(decay: bool, current: &str) -> Neuron {
    let current = if current.trim().is_empty() {
        String::new()
    } else {
        format!(" + {current}")
    };
    let mut parameters = String::from(
        "tau_m = 10.0 : population  # ms
R = 0.04 : population  # tau_m / C_m, C_m = 250
tau_v = 1000.0 : population  # ms
J_v = 1000.0 : population
u_r = -65.0 : population  # mV
u_th = -50.0 : population  # mV
c = 10.0 : population  # Hz
delta_u = 5.0 : population  # mV
",
    );
    let mut equations = format!(
        "tau_m * du/dt = -u + u_r + R*I_ext{current} : init = u_r
tau_v * dv/dt = -(v-u_th) : init = u_th
Lambda = c * exp((u-v)/delta_u)
p = Uniform(0.0, 1.0) * 1000.0 / dt"
    );
    if decay {
        parameters
            .push_str("tau_g_exc = 5.0 : population  # ms\ntau_g_inh = 5.0 : population  # ms\n");
        equations.push_str("\ntau_g_exc * dg_exc/dt = -g_exc\ntau_g_inh * dg_inh/dt = -g_inh");
    }
    parameters.push_str("I_ext = 375.0 : population");
    Neuron::spiking()
        .name(if decay { "GIF_curr_exp" } else { "GIF_curr" })
        .parameters(&parameters)
        .equations(&equations)
        .spike("p < Lambda")
        .reset(
            "u = u_r
v += J_v/tau_v",
        )
}

/// The parameters shared by both EIF models, with ANNarchy's defaults.
const EIF_PARAMETERS: &str = "v_rest = -70.6  # mV
cm = 0.281  # nF
tau_m = 9.3667  # ms
tau_refrac = 0.1  # ms
tau_syn_E = 5.0  # ms
tau_syn_I = 5.0  # ms
e_rev_E = 0.0  # mV
e_rev_I = -80.0  # mV
tau_w = 144.0  # ms
a = 4.0  # nS
b = 0.0805  # nA
i_offset = 0.0  # nA
delta_T = 2.0  # mV
v_thresh = -50.4  # mV
v_reset = -70.6  # mV
v_spike = -40.0  # mV";
