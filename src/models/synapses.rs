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
