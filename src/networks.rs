//! Ready-made networks used by the examples, the benchmarks and the tests.

use crate::connect::{Delays, Weights};
use crate::error::Result;
use crate::network::model::Neuron;
use crate::network::{Network, PopId, ProjId};
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
    coba_with(n, 80, false, seed)
}

/// [`coba`] with mean in-degree `in_degree` (p = in_degree / n; weights
/// scaled by 80 / in_degree so that the mean input stays COBA's), its
/// synapses stored or, with `procedural`, drawn again at each spike
/// ([`ProjectionBuilder::connect_fixed_probability_procedural`](crate::network::ProjectionBuilder::connect_fixed_probability_procedural)):
/// the scaling benchmarks of 4k to 1M neurons with in-degrees 80 and 1000.
///
/// ```
/// let (net, exc, inh) = cajal::networks::coba_with(2000, 1000, true, 1)?;
/// # Ok::<(), cajal::Error>(())
/// ```
pub fn coba_with(
    n: usize,
    in_degree: usize,
    procedural: bool,
    seed: u64,
) -> Result<(Network, PopId, PopId)> {
    coba_built(Network::new(), n, in_degree, procedural, seed)
}

/// [`coba`] computing in `dtype` (double precision: ANNarchy's default).
///
/// ```
/// use cajal::real::Dtype;
/// let (net, exc, inh) = cajal::networks::coba_in(Dtype::F64, 400, 1)?;
/// assert_eq!(net.precision(), Dtype::F64);
/// # Ok::<(), cajal::Error>(())
/// ```
pub fn coba_in(dtype: crate::real::Dtype, n: usize, seed: u64) -> Result<(Network, PopId, PopId)> {
    coba_built(Network::new().dtype(dtype), n, 80, false, seed)
}

/// COBA's populations and projections in `net` (a fresh network).
fn coba_built(
    net: Network,
    n: usize,
    in_degree: usize,
    procedural: bool,
    seed: u64,
) -> Result<(Network, PopId, PopId)> {
    if in_degree == 0 || in_degree > n {
        return Err(crate::Error::invalid(
            "coba",
            format!("the in-degree must be between 1 and the {n} neurons, got {in_degree}"),
        ));
    }
    let mut net = net.dt(0.1).seed(seed);
    let n_exc = n * 4 / 5;
    let neuron = coba_neuron();
    let exc = net.population("exc", n_exc, &neuron)?;
    let inh = net.population("inh", n - n_exc, &neuron)?;
    for p in [exc, inh] {
        net.set(p, "v", Dist::normal(-55.0, 5.0))?;
        net.set(p, "g_exc", Dist::normal(4.0, 1.5))?;
        net.set(p, "g_inh", Dist::normal(20.0, 12.0))?;
    }
    let p = (in_degree as f64 / n as f64).min(1.0);
    let scale = 80.0 / in_degree as f32;
    for (pre, target, w) in [(exc, "exc", 0.6 * scale), (inh, "inh", 6.7 * scale)] {
        for post in [exc, inh] {
            let b = net.projection(pre, post, target);
            if procedural {
                b.connect_fixed_probability_procedural(p, Weights::constant(w))?;
            } else {
                b.connect_fixed_probability(p, Weights::constant(w))?;
            }
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
    hybrid_dt(n, 0.1, seed)
}

/// [`hybrid`] with another time step (ms).
///
/// ```
/// let (net, h) = cajal::networks::hybrid_dt(20, 0.05, 1)?;
/// assert_eq!(net.time_step(), 0.05);
/// # Ok::<(), cajal::Error>(())
/// ```
pub fn hybrid_dt(n: usize, dt: f64, seed: u64) -> Result<(Network, Hybrid)> {
    use crate::connect::Lil;
    use crate::models::inputs::Rates;
    check_dt("hybrid", dt)?;
    let mut net = Network::new().dt(dt).seed(seed);
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

fn check_dt(owner: &str, dt: f64) -> Result<()> {
    if dt.is_finite() && dt > 0.0 {
        Ok(())
    } else {
        Err(crate::Error::invalid(
            owner,
            format!("dt must be a positive number of ms, got {dt}"),
        ))
    }
}

/// An expression counting the events of a Poisson process with mean `lambda`
/// per step, from one uniform draw `u` in [0, 1): the inverse of the Poisson
/// cumulative distribution, `sum_k [u > F(k)]`, exact up to a tail below
/// 1e-9 (for `lambda` above 30, a normal approximation rounded to whole
/// events). The draw must be a variable of its own so that every term sees
/// the same value.
fn poisson_count(u: &str, lambda: f64) -> String {
    if lambda <= 0.0 {
        return "0.0".into();
    }
    if lambda > 30.0 {
        return format!(
            "max(0.0, round({lambda} + {} * Normal(0.0, 1.0)))",
            lambda.sqrt()
        );
    }
    let mut p = (-lambda).exp();
    let mut cdf = p;
    let mut terms = Vec::new();
    let mut k = 0.0;
    while 1.0 - cdf > 1e-9 {
        terms.push(format!("ite({u} > {cdf:.10}, 1.0, 0.0)"));
        k += 1.0;
        p *= lambda / k;
        cdf += p;
    }
    terms.join(" + ")
}

/// The populations of [`izhikevich`].
#[derive(Debug, Clone, Copy)]
pub struct Izhikevich {
    /// The 800 excitatory (regular spiking to chattering) neurons.
    pub exc: PopId,
    /// The 200 inhibitory (fast spiking to low-threshold spiking) neurons.
    pub inh: PopId,
}

/// The pulse-coupled network of Izhikevich (2003), "Simple model of spiking
/// neurons", IEEE Trans. Neural Netw. 14(6), Fig. 3, as the paper's MATLAB
/// code (`net.m`) simulates it: `n_exc` excitatory and `n_inh` inhibitory
/// neurons (800 and 200 in the paper), all to all (self-connections
/// included), weights `0.5 U(0,1)` from excitatory and `-U(0,1)` from
/// inhibitory neurons; with `r ~ U(0,1)` per neuron, excitatory
/// `a = 0.02, b = 0.2, c = -65 + 15 r^2, d = 8 - 6 r^2`, inhibitory
/// `a = 0.02 + 0.08 r, b = 0.25 - 0.05 r, c = -65, d = 2`; thalamic input
/// `5 N(0,1)` (excitatory) or `2 N(0,1)` (inhibitory) drawn every step;
/// `v(0) = -65`, `u(0) = b v(0)`.
///
/// dt = 1 ms, and each step integrates `v` in two half steps of 0.5 ms and
/// `u` in one step of 1 ms, exactly as `net.m` does (the spike condition is
/// `v >= 30`, then `v = c`, `u += d`). The network fires in alpha and gamma
/// rhythms.
///
/// ```
/// let (net, p) = cajal::networks::izhikevich(80, 20, 1)?;
/// assert_eq!(net.pop(p.exc)?.size(), 80);
/// # Ok::<(), cajal::Error>(())
/// ```
pub fn izhikevich(n_exc: usize, n_inh: usize, seed: u64) -> Result<(Network, Izhikevich)> {
    use rand::{Rng, SeedableRng};
    let neuron = Neuron::spiking()
        .name("Izhikevich2003")
        .parameters(
            "a = 0.02
             b = 0.2
             c = -65.0
             d = 8.0
             noise = 5.0 : population",
        )
        .equations(
            "I = g_exc - g_inh + noise * Normal(0.0, 1.0)
             v = v + 0.5 * (0.04 * v^2 + 5.0 * v + 140.0 - u + I) : init = -65.0
             v = v + 0.5 * (0.04 * v^2 + 5.0 * v + 140.0 - u + I)
             u = u + a * (b * v - u) : init = -13.0",
        )
        .spike("v >= 30.0")
        .reset("v = c\nu += d");
    let mut net = Network::new().dt(1.0).seed(seed);
    let exc = net.population("exc", n_exc, &neuron)?;
    let inh = net.population("inh", n_inh, &neuron)?;
    // The per-neuron parameters, from the network's seed.
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed ^ 0x1a2b_3c4d_2003);
    let re: Vec<f32> = (0..n_exc).map(|_| rng.random::<f32>()).collect();
    let ri: Vec<f32> = (0..n_inh).map(|_| rng.random::<f32>()).collect();
    net.set(
        exc,
        "c",
        re.iter()
            .map(|r| -65.0 + 15.0 * r * r)
            .collect::<Vec<f32>>(),
    )?;
    net.set(
        exc,
        "d",
        re.iter().map(|r| 8.0 - 6.0 * r * r).collect::<Vec<f32>>(),
    )?;
    net.set(exc, "u", -65.0f32 * 0.2)?;
    let a: Vec<f32> = ri.iter().map(|r| 0.02 + 0.08 * r).collect();
    let b: Vec<f32> = ri.iter().map(|r| 0.25 - 0.05 * r).collect();
    net.set(inh, "u", b.iter().map(|b| -65.0 * b).collect::<Vec<f32>>())?;
    net.set(inh, "a", a)?;
    net.set(inh, "b", b)?;
    net.set(inh, "c", -65.0f32)?;
    net.set(inh, "d", 2.0f32)?;
    net.set(inh, "noise", 2.0f32)?;
    for (pre, target, w) in [(exc, "exc", 0.5), (inh, "inh", 1.0)] {
        for post in [exc, inh] {
            net.projection(pre, post, target)
                .allow_self_connections(true)
                .connect_all_to_all(Weights::random(Dist::uniform(0.0, w)))?;
        }
    }
    Ok((net, Izhikevich { exc, inh }))
}

/// The dynamical states of [`brunel`]'s model A, as Brunel (2000) shows them
/// in Fig. 8.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BrunelState {
    /// Synchronous regular (Fig. 8A): g = 3, nu_ext / nu_thr = 2.
    SynchronousRegular,
    /// Synchronous irregular with a fast global oscillation (Fig. 8B):
    /// g = 6, nu_ext / nu_thr = 4.
    SynchronousIrregularFast,
    /// Asynchronous irregular (Fig. 8C): g = 5, nu_ext / nu_thr = 2.
    AsynchronousIrregular,
    /// Synchronous irregular with a slow oscillation (Fig. 8D): g = 4.5,
    /// nu_ext / nu_thr = 0.9.
    SynchronousIrregularSlow,
}

impl BrunelState {
    /// All states, in the order of Fig. 8.
    pub const ALL: [BrunelState; 4] = [
        BrunelState::SynchronousRegular,
        BrunelState::SynchronousIrregularFast,
        BrunelState::AsynchronousIrregular,
        BrunelState::SynchronousIrregularSlow,
    ];

    /// The relative inhibitory strength `g` and `nu_ext / nu_thr`.
    pub fn parameters(self) -> (f64, f64) {
        match self {
            BrunelState::SynchronousRegular => (3.0, 2.0),
            BrunelState::SynchronousIrregularFast => (6.0, 4.0),
            BrunelState::AsynchronousIrregular => (5.0, 2.0),
            BrunelState::SynchronousIrregularSlow => (4.5, 0.9),
        }
    }

    /// The short name: `sr`, `si-fast`, `ai` or `si-slow`.
    pub fn name(self) -> &'static str {
        match self {
            BrunelState::SynchronousRegular => "sr",
            BrunelState::SynchronousIrregularFast => "si-fast",
            BrunelState::AsynchronousIrregular => "ai",
            BrunelState::SynchronousIrregularSlow => "si-slow",
        }
    }

    /// The state of a short name (see [`name`](Self::name)).
    pub fn from_name(name: &str) -> Option<BrunelState> {
        BrunelState::ALL.into_iter().find(|s| s.name() == name)
    }
}

/// The populations of [`brunel`].
#[derive(Debug, Clone, Copy)]
pub struct Brunel {
    /// The excitatory neurons (10 000 at scale 1).
    pub exc: PopId,
    /// The inhibitory neurons (2 500 at scale 1).
    pub inh: PopId,
}

/// Brunel (2000), "Dynamics of sparsely connected networks of excitatory
/// and inhibitory spiking neurons", J. Comput. Neurosci. 8, model A:
/// `N_E = 10000 * scale` excitatory and `N_I = N_E / 4` inhibitory leaky
/// integrate-and-fire neurons with delta synapses (`tau = 20 ms`, threshold
/// `theta = 20 mV`, reset `V_r = 10 mV`, refractory period 2 ms), each
/// receiving `C_E = 1000` excitatory and `C_I = 250` inhibitory synapses
/// (fixed in-degree, epsilon = 0.1 at scale 1) of `J = 0.1 mV` and
/// `-g J`, all with the delay `D = 1.5 ms`, and `C_ext = C_E` external
/// Poisson inputs of `J` at `nu_ext = eta nu_thr`, `nu_thr = theta / (J C_E
/// tau)` (10 Hz). `state` sets `g` and `eta` as in the paper's Fig. 8
/// (the values of Brian 2's `Brunel_2000.py`, which reproduces it).
///
/// The in-degrees do not change with `scale` (the states depend on them),
/// except at `scale <= 0.1`, where they shrink to `N_E - 1` and `N_I - 1`
/// (all to all, no self-connection) and the network leaves the paper's
/// sparse regime. The external
/// input is drawn each step as the Poisson number of events of all
/// `C_ext` inputs (one uniform draw per neuron and step); every input to a
/// neuron moves `v` by its weight at once (explicit Euler with the
/// increment outside the leak), and none acts during the refractory period.
/// The paper and Brian 2 use dt = 0.1 ms; `v(0) ~ U(0, theta)`.
///
/// ```
/// use cajal::networks::{brunel, BrunelState};
/// let (net, p) = brunel(0.02, BrunelState::AsynchronousIrregular, 0.1, 1)?;
/// assert_eq!(net.pop(p.exc)?.size(), 200);
/// # Ok::<(), cajal::Error>(())
/// ```
pub fn brunel(scale: f64, state: BrunelState, dt: f64, seed: u64) -> Result<(Network, Brunel)> {
    check_dt("brunel", dt)?;
    if !(scale.is_finite() && scale > 0.0) {
        return Err(crate::Error::invalid(
            "brunel",
            format!("the scale must be a positive number, got {scale}"),
        ));
    }
    let (g, eta) = state.parameters();
    let n_exc = ((10000.0 * scale).round() as usize).max(4);
    let n_inh = (n_exc / 4).max(2);
    // Self-connections are excluded, so at most n - 1 from one's own population.
    let c_e = 1000.min(n_exc - 1);
    let c_i = 250.min(n_inh - 1);
    let (tau, theta, j) = (20.0, 20.0, 0.1);
    let nu_thr = theta / (j * 1000.0 * tau); // per ms
    let lambda = eta * nu_thr * 1000.0 * dt; // external events per step (C_ext = 1000)
    let neuron = Neuron::spiking()
        .name("BrunelLIF")
        .parameters(&format!(
            "tau = {tau} : population
             theta = {theta} : population
             v_r = 10.0 : population
             J = {j} : population"
        ))
        .equations(&format!(
            "xi = Uniform(0.0, 1.0)
             n_ext = {}
             dv/dt = -v / tau + (g_exc - g_inh + J * n_ext) / dt : init = 0.0",
            poisson_count("xi", lambda)
        ))
        .spike("v > theta")
        .reset("v = v_r")
        .refractory(2.0);
    let mut net = Network::new().dt(dt).seed(seed);
    let exc = net.population("exc", n_exc, &neuron)?;
    let inh = net.population("inh", n_inh, &neuron)?;
    for p in [exc, inh] {
        net.set(p, "v", Dist::uniform(0.0, theta))?;
    }
    for post in [exc, inh] {
        net.projection(exc, post, "exc")
            .delays(1.5)
            .connect_fixed_number_pre(c_e, Weights::constant(j as f32))?;
        net.projection(inh, post, "inh")
            .delays(1.5)
            .connect_fixed_number_pre(c_i, Weights::constant((g * j) as f32))?;
    }
    Ok((net, Brunel { exc, inh }))
}

/// The background input of [`microcircuit`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Background {
    /// A constant current equal to the mean of the Poisson input.
    Dc,
    /// `K_ext` Poisson inputs of 8 Hz per neuron, drawn each step as one
    /// Poisson number of events.
    Poisson,
}

/// The names of [`microcircuit`]'s populations, in order.
pub const MICROCIRCUIT_POPULATIONS: [&str; 8] =
    ["L23E", "L23I", "L4E", "L4I", "L5E", "L5I", "L6E", "L6I"];

/// The cortical microcircuit of Potjans & Diesmann (2014), "The cell-type
/// specific cortical microcircuit", Cereb. Cortex 24(3), with the
/// parameters of NEST's `Potjans_2014` example (`network_params.py`,
/// `helpers.py`): eight populations (L2/3, L4, L5, L6, excitatory and
/// inhibitory; 77 169 neurons at scale 1) of current-based LIF neurons
/// (iaf_psc_exp: C = 250 pF, tau_m = 10 ms, tau_syn = 0.5 ms, refractory
/// 2 ms, E_L = V_reset = -65 mV, V_th = -50 mV, `v(0) ~ N(-58, 10)`), the
/// paper's connection probability table, in-degrees from the total synapse
/// numbers `ln(1 - C_ab) / ln(1 - 1 / (N_a N_b))` divided by the target
/// size, PSPs of 0.15 mV (87.8 pA; doubled from L4E to L2/3E; inhibitory
/// g = -4; weights normal with a relative sd of 0.1, clipped at 0), delays
/// normal 1.5 +- 0.75 ms (excitatory) and 0.75 +- 0.375 ms (inhibitory),
/// clipped at dt, and a background of `K_ext` inputs of 8 Hz per neuron
/// (1600, 1500, 2100, 1900, 2000, 1900, 2900, 2100).
///
/// `scale` multiplies both the neuron counts and the in-degrees (NEST's
/// `N_scaling = K_scaling`); as in NEST (van Albada et al. 2015), weights
/// are then divided by `sqrt(scale)` and a DC current computed from the
/// full-scale rates (0.971, 2.868, 4.746, 5.396, 8.142, 9.078, 0.991,
/// 7.523 Hz) restores each population's mean input, so that the rates stay
/// close to the full-scale ones. Each target neuron gets exactly its
/// in-degree (`FixedNumberPre`, no multapses) rather than NEST's fixed total
/// number with multapses. NEST uses dt = 0.1 ms; exponential Euler here.
///
/// Returns the network and its populations in the order of
/// [`MICROCIRCUIT_POPULATIONS`].
///
/// ```
/// use cajal::networks::{microcircuit, Background};
/// let (net, pops) = microcircuit(0.002, Background::Dc, 0.1, 1)?;
/// assert_eq!(pops.len(), 8);
/// # Ok::<(), cajal::Error>(())
/// ```
pub fn microcircuit(
    scale: f64,
    background: Background,
    dt: f64,
    seed: u64,
) -> Result<(Network, Vec<PopId>)> {
    microcircuit_with(scale, background, dt, seed, Connectivity::Stored)
}

/// How [`microcircuit_with`] connects its populations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Connectivity {
    /// NEST's: each neuron gets exactly its in-degree, stored, with
    /// normal weights and per-synapse normal delays (as [`microcircuit`]).
    Stored,
    /// Procedural (nothing stored, drawn again at each spike): fixed
    /// probability `K / N_pre` (the same mean in-degree), normal weights
    /// and NEST's normal per-synapse delays drawn again with the synapses
    /// (the delays waiting in a ring of future inputs, GeNN's dendritic
    /// delays). Memory grows with the neurons and the longest delay, not
    /// with the synapses, so the full scale fits anywhere.
    Procedural,
    /// As `Procedural` with one delay a projection, the mean (1.5 ms
    /// excitatory, 0.75 ms inhibitory), as GeNN's `potjans_microcircuit`
    /// example: no ring. Up to half scale it fires as the stored network
    /// does; at full scale, without the spread of delays, it falls into a
    /// faster, burstier state (BENCHMARKS.md).
    ProceduralMeanDelays,
}

/// [`microcircuit`] with the connectivity chosen: [`Connectivity::Stored`]
/// is `microcircuit` itself, [`Connectivity::Procedural`] the same model
/// with nothing stored per synapse.
///
/// ```
/// use cajal::networks::{microcircuit_with, Background, Connectivity};
/// let (net, pops) = microcircuit_with(0.01, Background::Dc, 0.1, 1, Connectivity::Procedural)?;
/// assert_eq!(pops.len(), 8);
/// assert!(net.proj(net.projections()[0])?.procedural.is_some());
/// # Ok::<(), cajal::Error>(())
/// ```
pub fn microcircuit_with(
    scale: f64,
    background: Background,
    dt: f64,
    seed: u64,
    connectivity: Connectivity,
) -> Result<(Network, Vec<PopId>)> {
    check_dt("microcircuit", dt)?;
    const N_FULL: [f64; 8] = [
        20683.0, 5834.0, 21915.0, 5479.0, 4850.0, 1065.0, 14395.0, 2948.0,
    ];
    const RATES: [f64; 8] = [0.971, 2.868, 4.746, 5.396, 8.142, 9.078, 0.991, 7.523];
    const K_EXT: [f64; 8] = [
        1600.0, 1500.0, 2100.0, 1900.0, 2000.0, 1900.0, 2900.0, 2100.0,
    ];
    // Connection probabilities, [target][source].
    const C: [[f64; 8]; 8] = [
        [0.1009, 0.1689, 0.0437, 0.0818, 0.0323, 0.0, 0.0076, 0.0],
        [0.1346, 0.1371, 0.0316, 0.0515, 0.0755, 0.0, 0.0042, 0.0],
        [0.0077, 0.0059, 0.0497, 0.1350, 0.0067, 0.0003, 0.0453, 0.0],
        [0.0691, 0.0029, 0.0794, 0.1597, 0.0033, 0.0, 0.1057, 0.0],
        [0.1004, 0.0622, 0.0505, 0.0057, 0.0831, 0.3726, 0.0204, 0.0],
        [0.0548, 0.0269, 0.0257, 0.0022, 0.0600, 0.3158, 0.0086, 0.0],
        [
            0.0156, 0.0066, 0.0211, 0.0166, 0.0572, 0.0197, 0.0396, 0.2252,
        ],
        [
            0.0364, 0.0010, 0.0034, 0.0005, 0.0277, 0.0080, 0.0658, 0.1443,
        ],
    ];
    if !(scale.is_finite() && scale > 0.0 && scale <= 1.0) {
        return Err(crate::Error::invalid(
            "microcircuit",
            format!("the scale must be in (0, 1], got {scale}"),
        ));
    }
    let (c_m, tau_m, tau_syn, bg_rate) = (250.0f64, 10.0f64, 0.5f64, 8.0);
    // The current (pA) whose PSP peaks at `psp` mV (NEST's get_weight).
    let psc = |psp: f64| {
        let r = tau_m / tau_syn;
        let k = tau_m * tau_syn / (tau_syn - tau_m)
            * (r.powf(-tau_m / (tau_m - tau_syn)) - r.powf(-tau_syn / (tau_m - tau_syn)))
            / c_m;
        psp / k
    };
    let w_e = psc(0.15); // 87.8 pA
    let w = |t: usize, s: usize| {
        if s % 2 == 1 {
            -4.0 * w_e
        } else if t == 0 && s == 2 {
            2.0 * w_e
        } else {
            w_e
        }
    };
    let indegree_full = |t: usize, s: usize| {
        let prod = N_FULL[t] * N_FULL[s];
        (1.0 - C[t][s]).ln() / ((prod - 1.0) / prod).ln() / N_FULL[t]
    };
    let sq = scale.sqrt();
    let mut net = Network::new().dt(dt).seed(seed);
    let mut pops = Vec::new();
    for (i, name) in MICROCIRCUIT_POPULATIONS.iter().enumerate() {
        let n = ((N_FULL[i] * scale).round() as usize).max(1);
        // Mean recurrent input (pA) at full scale that the downscaling loses.
        let rec: f64 = (0..8)
            .map(|s| w(i, s) * indegree_full(i, s) * RATES[s])
            .sum();
        let ext = w_e * K_EXT[i] * bg_rate;
        let mut dc = 0.001 * tau_syn * (1.0 - sq) * rec; // pA
        let lambda_bg = K_EXT[i] * scale * bg_rate * dt / 1000.0;
        let (background_eq, w_bg) = match background {
            Background::Dc => {
                dc += 0.001 * tau_syn * ext;
                (String::new(), 0.0)
            }
            Background::Poisson => {
                dc += 0.001 * tau_syn * (1.0 - sq) * ext;
                (
                    format!(
                        "xi = Uniform(0.0, 1.0)\ng_exc += w_bg * ({})\n",
                        poisson_count("xi", lambda_bg)
                    ),
                    w_e / sq / 1000.0,
                )
            }
        };
        let neuron = Neuron::spiking()
            .name(&format!("PD_{name}"))
            .parameters(&format!(
                "cm = {} : population
                 tau_m = {tau_m} : population
                 tau_syn = {tau_syn} : population
                 v_rest = -65.0 : population
                 v_thresh = -50.0 : population
                 v_reset = -65.0 : population
                 i_offset = {} : population
                 w_bg = {w_bg} : population",
                c_m / 1000.0,
                dc / 1000.0
            ))
            .equations(&format!(
                "{background_eq}cm * dv/dt = cm / tau_m * (v_rest - v) + g_exc - g_inh + i_offset : exponential, init = -65.0
                 tau_syn * dg_exc/dt = -g_exc : exponential
                 tau_syn * dg_inh/dt = -g_inh : exponential"
            ))
            .spike("v > v_thresh")
            .reset("v = v_reset")
            .refractory(2.0);
        let p = net.population(name, n, &neuron)?;
        net.set(p, "v", Dist::normal(-58.0, 10.0))?;
        pops.push(p);
    }
    for t in 0..8 {
        for s in 0..8 {
            if C[t][s] == 0.0 {
                continue;
            }
            let n_pre = net.pop(pops[s])?.size();
            let k = ((indegree_full(t, s) * scale).round() as usize).min(n_pre);
            if k == 0 {
                continue;
            }
            let mean = w(t, s).abs() / sq / 1000.0; // nA
            let (target, delay) = if s % 2 == 0 {
                ("exc", 1.5)
            } else {
                ("inh", 0.75)
            };
            let weights = Weights::random(Dist::normal(mean, 0.1 * mean).min(0.0));
            let b = net.projection(pops[s], pops[t], target);
            match connectivity {
                Connectivity::Stored => {
                    b.delays(Delays::random(Dist::normal(delay, 0.5 * delay).min(dt)))
                        .connect_fixed_number_pre(k, weights)?;
                }
                Connectivity::Procedural | Connectivity::ProceduralMeanDelays => {
                    // The unrounded scaled in-degree over the sources.
                    let p = (indegree_full(t, s) * scale / n_pre as f64).min(1.0);
                    let delays = if connectivity == Connectivity::Procedural {
                        Delays::random(Dist::normal(delay, 0.5 * delay).min(dt))
                    } else {
                        Delays::constant(delay)
                    };
                    b.delays(delays)
                        .connect_fixed_probability_procedural(p, weights)?;
                }
            }
        }
    }
    Ok((net, pops))
}

/// The populations of [`edges`].
#[derive(Debug, Clone, Copy)]
pub struct Edges {
    /// The image, `[size, size]`, `r` set to the grey levels.
    pub image: PopId,
    /// Rectified responses of four oriented edge filters, `[size, size, 4]`.
    pub edges: PopId,
    /// 2 x 2 max pooling of them, `[size / 2, size / 2, 4]`.
    pub pooled: PopId,
    /// Poisson neurons firing at `100 Hz x` the pooled responses, one per pooled neuron.
    pub spikes: PopId,
}

/// A test image of `size x size` pixels in [0, 1]: a disc, a square and a
/// triangle on a soft horizontal gradient.
pub fn test_image(size: usize) -> ndarray::Array2<f32> {
    let s = size as f32 / 128.0;
    ndarray::Array2::from_shape_fn((size, size), |(y, x)| {
        let (fx, fy) = (x as f32 / s, y as f32 / s);
        let mut v = 0.15 + 0.2 * fx / 128.0;
        if (fx - 40.0).powi(2) + (fy - 40.0).powi(2) < 22.0f32.powi(2) {
            v = 0.9;
        }
        if (70.0..110.0).contains(&fx) && (20.0..60.0).contains(&fy) {
            v = 0.6;
        }
        if fy > 70.0 && fy < 115.0 && (fx - 64.0).abs() < (fy - 70.0) * 0.9 {
            v = 1.0;
        }
        v
    })
}

/// The names of [`edge_filters`], in the bank's order (the last dimension
/// of the edges network's feature maps).
pub const EDGE_FILTERS: [&str; 4] = ["vertical", "horizontal", "diagonal", "antidiagonal"];

/// Four oriented 3 x 3 edge detectors (Sobel-like: vertical, horizontal,
/// diagonal, anti-diagonal), as a bank of shape (4, 3, 3).
pub fn edge_filters() -> ndarray::ArrayD<f32> {
    let f: [[f32; 9]; 4] = [
        [1.0, 0.0, -1.0, 2.0, 0.0, -2.0, 1.0, 0.0, -1.0],
        [1.0, 2.0, 1.0, 0.0, 0.0, 0.0, -1.0, -2.0, -1.0],
        [0.0, 1.0, 2.0, -1.0, 0.0, 1.0, -2.0, -1.0, 0.0],
        [2.0, 1.0, 0.0, 1.0, 0.0, -1.0, 0.0, -1.0, -2.0],
    ];
    ndarray::Array3::from_shape_fn((4, 3, 3), |(k, y, x)| f[k][3 * y + x]).into_dyn()
}

/// Convolution and pooling on an image (ANNarchy's convolution
/// extension): [`test_image`] of `size x size` (even) through the bank of
/// [`edge_filters`] (border padding, rectified: `r = max(sum(exc), 0)`),
/// then 2 x 2 max pooling, then Poisson neurons firing at 100 Hz times the
/// pooled responses; dt = 1 ms.
///
/// ```
/// let (net, e) = cajal::networks::edges(16, 1)?;
/// assert_eq!(net.pop(e.pooled)?.geometry.dims(), &[8, 8, 4]);
/// # Ok::<(), cajal::Error>(())
/// ```
pub fn edges(size: usize, seed: u64) -> Result<(Network, Edges)> {
    use crate::models::inputs::Rates;
    use crate::network::conv::Padding;
    if size < 2 || !size.is_multiple_of(2) {
        return Err(crate::Error::invalid(
            "edges network",
            format!("the image size must be even and at least 2, got {size}"),
        ));
    }
    let mut net = Network::new().dt(1.0).seed(seed);
    let image = net.population("image", [size, size], &Neuron::rate().parameters("r = 0.0"))?;
    net.set(image, "r", test_image(size).into_dyn())?;
    let edges = net.population(
        "edges",
        [size, size, 4],
        &Neuron::rate()
            .name("Rectified")
            .equations("r = max(sum(exc), 0.0)"),
    )?;
    let half = size / 2;
    let pooled = net.population(
        "pooled",
        [half, half, 4],
        &Neuron::rate().name("Pooled").equations("r = sum(exc)"),
    )?;
    let spikes =
        net.poisson_population("spikes", [half, half, 4], Rates::Target("exc".into()), None)?;
    net.convolution(image, edges, "exc")
        .padding(Padding::Border)
        .connect_filters(&edge_filters())?;
    net.pooling(edges, pooled, "exc").connect_pooling(None)?;
    net.projection(pooled, spikes, "exc")
        .connect_one_to_one(Weights::constant(100.0))?;
    Ok((
        net,
        Edges {
            image,
            edges,
            pooled,
            spikes,
        },
    ))
}

/// The populations and projections of [`bar_learning`].
#[derive(Debug, Clone, Copy)]
pub struct BarLearning {
    /// The 8 x 8 input (`r` set from the host, e.g. with [`bar_image`]).
    pub input: PopId,
    /// 32 feature neurons, geometry (8, 4).
    pub feature: PopId,
    /// Input -> feature (Oja, alpha = 8).
    pub feedforward: ProjId,
    /// Feature -> feature lateral inhibition (Oja, alpha = 0.3).
    pub lateral: ProjId,
}

/// The bar learning problem (Földiák 1990) as ANNarchy's BarLearning
/// notebook: 8 x 8 inputs feed 32 leaky rate neurons (`tau * dr/dt + r =
/// sum(exc) - sum(inh)`, tau = 10 ms, r >= 0) all to all through Oja's rule
/// (`tau * dw/dt = pre.r * post.r - alpha * post.r^2 * w`, tau = 2000 ms,
/// w >= 0; alpha = 8, weights from Uniform(0, 0.5)); the same rule with
/// alpha = 0.3 learns the lateral inhibition (weights from Uniform(0, 1));
/// dt = 1 ms. Present a new [`bar_image`] every 50 ms.
///
/// ```
/// let (net, b) = cajal::networks::bar_learning(1)?;
/// assert_eq!(net.pop(b.feature)?.size(), 32);
/// # Ok::<(), cajal::Error>(())
/// ```
pub fn bar_learning(seed: u64) -> Result<(Network, BarLearning)> {
    let mut net = Network::new().dt(1.0).seed(seed);
    let input = net.input_array("Input", [8, 8])?;
    let leaky = Neuron::rate()
        .name("LeakyNeuron")
        .parameters("tau = 10.0 : population")
        .equations("tau * dr/dt + r = sum(exc) - sum(inh) : min = 0.0");
    let feature = net.population("Feature", [8, 4], &leaky)?;
    let oja = |alpha: f32| {
        crate::network::model::Synapse::new()
            .name("Oja")
            .parameters(&format!(
                "tau = 2000.0 : projection\nalpha = {alpha:?} : projection"
            ))
            .equations("tau * dw/dt = pre.r * post.r - alpha * post.r^2 * w : min = 0.0")
    };
    let feedforward = net
        .projection(input, feature, "exc")
        .synapse(&oja(8.0))
        .connect_all_to_all(Weights::random(Dist::uniform(0.0, 0.5)))?;
    let lateral = net
        .projection(feature, feature, "inh")
        .synapse(&oja(0.3))
        .connect_all_to_all(Weights::random(Dist::uniform(0.0, 1.0)))?;
    Ok((
        net,
        BarLearning {
            input,
            feature,
            feedforward,
            lateral,
        },
    ))
}

/// An 8 x 8 image of the bar learning problem: each row and each column is
/// a bar of ones with probability 1/8.
pub fn bar_image(rng: &mut impl rand::Rng) -> ndarray::Array2<f32> {
    let mut img = ndarray::Array2::zeros((8, 8));
    for i in 0..8 {
        if rng.random::<f64>() < 1.0 / 8.0 {
            img.row_mut(i).fill(1.0);
        }
    }
    for j in 0..8 {
        if rng.random::<f64>() < 1.0 / 8.0 {
            img.column_mut(j).fill(1.0);
        }
    }
    img
}
