//! ANNarchy's built-in rate-coded learning rules, with its names,
//! parameters and defaults (`ANNarchy.models.Synapses`). Their equations run
//! for every synapse at each step, after the neurons updated; learning can
//! be turned off and on with `Simulation::disable_learning` /
//! `enable_learning`.

use crate::network::model::Synapse;

/// ANNarchy's `Hebb`: `dw/dt = eta * pre.r * post.r`, w kept >= 0.
///
/// ```
/// # use cajal::prelude::*;
/// let mut net = Network::new().dt(1.0);
/// let a = net.population("a", 4, &Neuron::rate().parameters("r = 1.0"))?;
/// let b = net.population("b", 2, &Neuron::rate().equations("r = sum(exc)"))?;
/// let p = net.projection(a, b, "exc")
///     .synapse(&cajal::models::synapses::hebb(0.01))
///     .connect_all_to_all(Weights::constant(0.1))?;
/// # Ok::<(), cajal::Error>(())
/// ```
pub fn hebb(eta: f32) -> Synapse {
    Synapse::new()
        .name("Hebb")
        .parameters(&format!("eta = {eta:?} : projection"))
        .equations("dw/dt = eta * pre.r * post.r : min = 0.0, explicit")
}

/// ANNarchy's `Oja`: `dw/dt = eta * (pre.r * post.r - alpha * post.r^2 * w)`,
/// w kept >= 0 (defaults eta = 0.01, alpha = 1.0): Hebbian learning whose
/// decay term keeps the norm of each neuron's weight vector bounded.
pub fn oja(eta: f32, alpha: f32) -> Synapse {
    Synapse::new()
        .name("Oja")
        .parameters(&format!(
            "eta = {eta:?} : projection\nalpha = {alpha:?} : projection"
        ))
        .equations("dw/dt = eta * (pre.r * post.r - alpha * post.r^2 * w) : min = 0.0, explicit")
}

/// ANNarchy's `IBCM` (Intrator & Cooper 1992): a sliding threshold
/// `tau * dtheta/dt + theta = post.r^2` (one per post-synaptic neuron,
/// exponential Euler) and `dw/dt = eta * post.r * (post.r - theta) * pre.r`,
/// w kept >= 0 (defaults eta = 0.01, tau = 2000 ms).
pub fn ibcm(eta: f32, tau: f32) -> Synapse {
    Synapse::new()
        .name("IBCM")
        .parameters(&format!(
            "eta = {eta:?} : projection\ntau = {tau:?} : projection"
        ))
        .equations(
            "tau * dtheta/dt + theta = post.r^2 : postsynaptic, exponential
             dw/dt = eta * post.r * (post.r - theta) * pre.r : min = 0.0, explicit",
        )
}

/// ANNarchy's `STDP` (online, pair-based with traces; Song & Abbott 2001):
/// traces `tau_plus * dx/dt = -x` and `tau_minus * dy/dt = -y`, integrated
/// exactly between events; at a pre-synaptic spike `g_target += w`,
/// `x += A_plus * w_max`, `w = clip(w + y, w_min, w_max)`; at a
/// post-synaptic spike `y -= A_minus * w_max`, `w = clip(w + x, w_min,
/// w_max)` (defaults 20, 20, 0.01, 0.01, 0, 1).
///
/// ```
/// let stdp = cajal::models::synapses::stdp(20.0, 20.0, 0.01, 0.01, 0.0, 1.0);
/// ```
pub fn stdp(
    tau_plus: f32,
    tau_minus: f32,
    a_plus: f32,
    a_minus: f32,
    w_min: f32,
    w_max: f32,
) -> Synapse {
    Synapse::new()
        .name("STDP")
        .parameters(&format!(
            "tau_plus = {tau_plus:?} : projection
             tau_minus = {tau_minus:?} : projection
             A_plus = {a_plus:?} : projection
             A_minus = {a_minus:?} : projection
             w_min = {w_min:?} : projection
             w_max = {w_max:?} : projection"
        ))
        .equations(
            "tau_plus * dx/dt = -x : event-driven
             tau_minus * dy/dt = -y : event-driven",
        )
        .pre_spike(
            "g_target += w
             x += A_plus * w_max
             w = clip(w + y, w_min, w_max)",
        )
        .post_spike(
            "y -= A_minus * w_max
             w = clip(w + x, w_min, w_max)",
        )
}

/// ANNarchy's `STP` (Tsodyks, Uziel & Markram 2000): resources `x` and use
/// `u` relax exactly between spikes (`dx/dt = (1 - x) / tau_rec`, `du/dt =
/// (U - u) / tau_facil`); at a pre-synaptic spike `g_target += w * u * x`,
/// `x *= 1 - u`, `u += U * (1 - u)` (defaults tau_rec 100 ms, tau_facil
/// 0.01 ms, U 0.5: depression).
pub fn stp(tau_rec: f32, tau_facil: f32, u: f32) -> Synapse {
    Synapse::new()
        .name("STP")
        .parameters(&format!(
            "tau_rec = {tau_rec:?} : projection
             tau_facil = {tau_facil:?} : projection
             U = {u:?}"
        ))
        .equations(&format!(
            "dx/dt = (1 - x) / tau_rec : init = 1.0, event-driven
             du/dt = (U - u) / tau_facil : init = {u:?}, event-driven"
        ))
        .pre_spike(
            "g_target += w * u * x
             x *= (1 - u)
             u += U * (1 - u)",
        )
}
