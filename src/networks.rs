//! Ready-made networks used by the examples, the benchmarks and the tests.

use crate::connect::{Delays, Weights};
use crate::error::Result;
use crate::network::model::Neuron;
use crate::network::{Network, PopId};
use crate::random::Dist;

/// The conductance-based neuron of the COBA benchmark (Vogels & Abbott 2005,
/// as in ANNarchy's and Brian2's examples).
pub fn coba_neuron() -> Neuron {
    Neuron::spiking()
        .name("COBA")
        .parameters(
            "El = -60.0 : population
             Vr = -60.0 : population
             Erev_exc = 0.0 : population
             Erev_inh = -80.0 : population
             Vt = -50.0 : population
             tau = 20.0 : population
             tau_exc = 5.0 : population
             tau_inh = 10.0 : population
             I = 20.0 : population",
        )
        .equations(
            "tau * dv/dt = (El - v) + g_exc * (Erev_exc - v) + g_inh * (Erev_inh - v) + I
             tau_exc * dg_exc/dt = -g_exc
             tau_inh * dg_inh/dt = -g_inh",
        )
        .spike("v > Vt")
        .reset("v = Vr")
        .refractory(5.0)
}

/// The COBA network: `n` neurons, 80 % excitatory, each pair connected with
/// probability `80 / n` (mean in-degree 80; p = 0.02 at n = 4000),
/// w_exc = 0.6, w_inh = 6.7, dt = 0.1 ms, explicit Euler,
/// v(0) ~ Normal(-55, 5), g_exc(0) ~ Normal(4, 1.5), g_inh(0) ~ Normal(20, 12).
/// Returns the network and its (excitatory, inhibitory) populations.
///
/// ```
/// let (net, exc, inh) = cajal::networks::coba(400, 1).unwrap();
/// assert_eq!(net.pop(exc).unwrap().size() + net.pop(inh).unwrap().size(), 400);
/// ```
pub fn coba(n: usize, seed: u64) -> Result<(Network, PopId, PopId)> {
    let mut net = Network::new().dt(0.1).seed(seed);
    let n_exc = n * 4 / 5;
    let neuron = coba_neuron();
    let exc = net.population("exc", n_exc, &neuron)?;
    let inh = net.population("inh", n - n_exc, &neuron)?;
    for p in [exc, inh] {
        net.set(p, "v", Dist::normal(-55.0, 5.0))?;
        net.set(p, "g_exc", Dist::normal(4.0, 1.5))?;
        net.set(p, "g_inh", Dist::normal(20.0, 12.0))?;
    }
    let p = (80.0 / n as f64).min(1.0);
    for (pre, target, w) in [(exc, "exc", 0.6), (inh, "inh", 6.7)] {
        for post in [exc, inh] {
            net.projection(pre, post, target)
                .connect_fixed_probability(p, Weights::constant(w), Delays::none())?;
        }
    }
    Ok((net, exc, inh))
}

/// `n` unconnected leaky integrate-and-fire neurons driven by constant
/// currents spread over [0.9, 1.5] (in units of the threshold), so that
/// most fire regularly at different rates: a benchmark of the neuron
/// update alone (dt = 0.1 ms).
///
/// ```
/// let (net, pop) = cajal::networks::lif(100, 1)?;
/// # Ok::<(), cajal::Error>(())
/// ```
pub fn lif(n: usize, seed: u64) -> Result<(Network, PopId)> {
    let model = Neuron::spiking()
        .name("LIF")
        .parameters("tau = 20.0 : population\nI = 1.0")
        .equations("tau * dv/dt = -v + I : init = 0.0, exponential")
        .spike("v > 1.0")
        .reset("v = 0.0")
        .refractory(2.0);
    let mut net = Network::new().dt(0.1).seed(seed);
    let pop = net.population("lif", n, &model)?;
    net.set(pop, "I", crate::random::Dist::uniform(0.9, 1.5))?;
    Ok((net, pop))
}

/// The populations of [`hybrid`].
#[derive(Debug, Clone, Copy)]
pub struct Hybrid {
    /// One rate-coded neuron, `r = baseline` (set `baseline` in Hz).
    pub input: PopId,
    /// `n` Poisson neurons whose rate is `sum(exc)`, fed by `input`.
    pub poisson: PopId,
    /// `n` rate-coded neurons `r = sum(exc)`: neuron `k` decodes the spikes
    /// of Poisson neurons `0..=k`.
    pub decoded: PopId,
}

/// The hybrid rate/spiking network of Vitay et al. 2015 (Fig. 4; ANNarchy's
/// hybrid example): a rate-coded input drives `n` Poisson neurons
/// (all-to-all, w = 1), whose spikes a DecodingProjection (window 10 ms)
/// turns back into rates, post `k` reading pre `0..=k`; dt = 0.1 ms.
///
/// ```
/// let (mut net, h) = cajal::networks::hybrid(50, 1)?;
/// net.set(h.input, "baseline", 20.0)?;
/// # Ok::<(), cajal::Error>(())
/// ```
pub fn hybrid(n: usize, seed: u64) -> Result<(Network, Hybrid)> {
    use crate::connect::Lil;
    use crate::models::inputs::Rates;
    let mut net = Network::new().dt(0.1).seed(seed);
    let input = net.population(
        "input",
        1,
        &Neuron::rate()
            .name("Baseline")
            .parameters("baseline = 0.0")
            .equations("r = baseline"),
    )?;
    let poisson = net.poisson_population("poisson", n, Rates::Target("exc".into()), None)?;
    net.projection(input, poisson, "exc")
        .connect_all_to_all(Weights::constant(1.0))?;
    let decoded = net.population(
        "decoded",
        n,
        &Neuron::rate().name("Decoded").equations("r = sum(exc)"),
    )?;
    net.decoding_projection(poisson, decoded, "exc", 10.0)
        .connect_with_func(|_, post, _| {
            let mut lil = Lil::new();
            for k in 0..post.size() as u32 {
                lil.add(k, (0..=k).collect(), vec![1.0; k as usize + 1], None);
            }
            lil
        })?;
    Ok((
        net,
        Hybrid {
            input,
            poisson,
            decoded,
        },
    ))
}

/// The normalized decoding error of [`hybrid`]: for each decoding neuron
/// `k`, the mean over the recorded steps (rows of `r`) of `|r_k - level| /
/// level`.
pub fn decoding_error(r: &ndarray::Array2<f32>, level: f32) -> Vec<f64> {
    let steps = r.nrows().max(1) as f64;
    r.columns()
        .into_iter()
        .map(|c| {
            c.iter()
                .map(|&x| (f64::from(x) - f64::from(level)).abs())
                .sum::<f64>()
                / steps
                / f64::from(level)
        })
        .collect()
}
