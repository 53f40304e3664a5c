//! Poisson populations on both engines: counts within 3 sigma of the rate,
//! ISI coefficient of variation near 1, rates as expressions of t,
//! refractoriness, the same spikes on both engines for the same seed.

use crate::common::{backends, tests};
use cajal::models::inputs::Rates;
use cajal::prelude::*;

tests! {
    cpu: [
        bad_rates_are_refused,
    ],
    both: [
        poisson_counts_and_isis_are_those_of_the_rate,
        rates_can_follow_time_and_respect_refractoriness,
        a_rate_expression_reads_parameters_of_its_own,
    ],
}

fn run(b: Backend, rates: Rates, refractory: Option<f64>, ms: f64) -> (Vec<(u64, u32)>, usize) {
    let n = 500;
    let mut net = Network::new().dt(0.1).seed(17);
    let p = net.poisson_population("p", n, rates, refractory).unwrap();
    let m = net.monitor(p, &["spike"]).unwrap();
    let mut sim = net.compile(b).unwrap();
    sim.simulate(ms).unwrap();
    (sim.spikes(m).unwrap(), n)
}

fn poisson_counts_and_isis_are_those_of_the_rate() {
    let mut all = Vec::new();
    for b in backends() {
        let (spikes, n) = run(b, Rates::Constant(20.0), None, 2000.0);
        // Bernoulli(p = rate * dt / 1000) per step: mean n*T*p, sd sqrt(n*T*p*(1-p)).
        let steps = 20_000.0;
        let p = 20.0 * 0.1 / 1000.0;
        let mean = n as f64 * steps * p;
        let sd = (n as f64 * steps * p * (1.0 - p)).sqrt();
        let count = spikes.len() as f64;
        assert!(
            (count - mean).abs() < 3.0 * sd,
            "{b:?}: {count} spikes, expected {mean} +- {sd}"
        );
        // Pooled ISIs: CV of a geometric distribution, sqrt(1 - p) ~ 1.
        let mut last = vec![None; n];
        let mut isi = Vec::new();
        for &(s, i) in &spikes {
            if let Some(l) = last[i as usize] {
                isi.push((s - l) as f64);
            }
            last[i as usize] = Some(s);
        }
        let m = isi.iter().sum::<f64>() / isi.len() as f64;
        let v = isi.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / isi.len() as f64;
        let cv = v.sqrt() / m;
        assert!((cv - 1.0).abs() < 0.05, "{b:?}: CV {cv}");
        all.push(spikes);
    }
    if all.len() == 2 {
        assert_eq!(all[0], all[1], "the same Philox draws on both engines");
    }
}

fn rates_can_follow_time_and_respect_refractoriness() {
    for b in backends() {
        // Silent for 200 ms, then 100 Hz.
        let (spikes, n) = run(
            b,
            Rates::Expr("if t >= 200.0 then 100.0 else 0.0".into()),
            None,
            400.0,
        );
        assert!(
            spikes.iter().all(|&(s, _)| s >= 2000),
            "{b:?}: a spike before 200 ms"
        );
        let mean = n as f64 * 2000.0 * 0.01;
        let sd = (mean * 0.99).sqrt();
        assert!(
            (spikes.len() as f64 - mean).abs() < 3.0 * sd,
            "{b:?}: {}",
            spikes.len()
        );
        // 500 Hz with a 5 ms refractory period: no ISI under 5 ms (a neuron
        // may fire again in the step its period ends, as in ANNarchy).
        let (spikes, n) = run(b, Rates::Constant(500.0), Some(5.0), 200.0);
        let mut last = vec![None; n];
        for &(s, i) in &spikes {
            if let Some(l) = last[i as usize] {
                assert!(s - l >= 50, "{b:?}: ISI of {} steps", s - l);
            }
            last[i as usize] = Some(s);
        }
        assert!(spikes.len() > n * 10, "{b:?}: {}", spikes.len());
    }
}

fn bad_rates_are_refused() {
    let mut net = Network::new();
    assert!(net.poisson_population("a", 3, -1.0, None).is_err());
    assert!(net
        .poisson_population("b", 3, vec![1.0, 2.0], None)
        .unwrap_err()
        .to_string()
        .contains("2 rates for 3 neurons"));
    assert!(net.poisson_population("c", 3, 1.0, Some(f64::NAN)).is_err());
    assert!(net.poisson_population("d", 3, "t +", None).is_err());
    assert!(net.populations().is_empty(), "nothing was added");
}

/// ANNarchy's `PoissonPopulation(parameters="amp = 80.0", rates="if t >
/// 100.0: amp else: 0.0")` (ANNarchy 5.0.4.1 fires 0 Hz before 100 ms and
/// about 78 Hz after with 2000 neurons): no spike before, then each step a
/// Bernoulli draw of p = amp * dt / 1000, with amp as set per population.
fn a_rate_expression_reads_parameters_of_its_own() {
    for b in backends() {
        let n = 2000usize;
        let mut net = Network::new().dt(1.0).seed(5);
        let rates = Rates::ExprWith {
            expr: "if t > 100.0: amp else: 0.0".into(),
            parameters: "amp = 80.0".into(),
        };
        let p = net.poisson_population("p", n, rates.clone(), None).unwrap();
        let q = net.poisson_population("q", n, rates, None).unwrap();
        net.set(q, "amp", 20.0).unwrap();
        let (mp, mq) = (
            net.monitor(p, &["spike"]).unwrap(),
            net.monitor(q, &["spike"]).unwrap(),
        );
        let mut sim = net.compile(b).unwrap();
        sim.simulate(200.0).unwrap();
        for (m, amp) in [(mp, 80.0f64), (mq, 20.0)] {
            let spikes = sim.spikes(m).unwrap();
            // t > 100 ms from step 101: 99 steps of the 200.
            assert!(
                spikes.iter().all(|&(s, _)| s > 100),
                "{b:?}: a spike at or before 100 ms"
            );
            let trials = (n * 99) as f64;
            let pr = amp / 1000.0;
            let (mean, sd) = (trials * pr, (trials * pr * (1.0 - pr)).sqrt());
            let count = spikes.len() as f64;
            assert!(
                (count - mean).abs() < 4.0 * sd,
                "{b:?} amp {amp}: {count} spikes, expected {mean:.0} +- {sd:.0}"
            );
        }
    }
}
