//! Spike-train analysis (`cajal::analysis`): hand-computed cases for every
//! function, edge cases (no spike, one spike, a neuron with one spike),
//! invalid arguments, and the statistics of a Poisson population.

use crate::common::{close, tests, Tol};
use cajal::analysis::*;
use cajal::prelude::*;

tests! {
    cpu: [
        raster_plot_is_times_and_ranks,
        histogram_counts_spikes_per_bin,
        histogram_edge_cases_and_errors,
        inter_spike_intervals_flat_and_per_neuron,
        inter_spike_interval_errors,
        coefficient_of_variation_is_std_over_mean_of_each_neuron,
        coefficient_of_variation_edge_cases_and_errors,
        population_rate_per_step_and_smoothed,
        smoothed_rate_per_neuron_and_step,
        mean_fr_is_spikes_per_neuron_per_second,
        poisson_population_statistics,
    ],
}

fn is_invalid<T: std::fmt::Debug>(r: cajal::Result<T>) -> bool {
    matches!(r, Err(Error::Invalid { .. }))
}

/// `|a - b| <= 1e-9 * (1 + max(|a|, |b|))`.
const TOL: Tol<f64> = Tol::rel_one_plus(1e-9).of_larger();

fn raster_plot_is_times_and_ranks() {
    // dt = 0.25 ms: steps 0, 2, 2 are 0, 0.5, 0.5 ms.
    let (t, n) = raster_plot(&[(0, 1), (2, 0), (2, 3)], 0.25).unwrap();
    assert_eq!(t, vec![0.0, 0.5, 0.5]);
    assert_eq!(n, vec![1, 0, 3]);
    // One spike; no spike.
    assert_eq!(raster_plot(&[(4, 7)], 0.5).unwrap(), (vec![2.0], vec![7]));
    assert_eq!(raster_plot(&[], 0.5).unwrap(), (vec![], vec![]));
    assert!(is_invalid(raster_plot(&[(1, 0)], 0.0)));
    assert!(is_invalid(raster_plot(&[(1, 0)], -0.1)));
    assert!(is_invalid(raster_plot(&[(1, 0)], f64::NAN)));
}

fn histogram_counts_spikes_per_bin() {
    // dt = 0.5 ms, 1 ms bins = 2 steps: bin 0 = steps 0-1, bin 1 = 2-3,
    // bin 2 = 4-5, bin 3 = 6-7.
    // Steps 0, 1, 1 -> bin 0 (3); step 3 -> bin 1 (1); step 6 -> bin 3 (1).
    let s = [(0, 0), (1, 1), (1, 2), (3, 0), (6, 1)];
    assert_eq!(histogram(&s, 0.5, 1.0, None).unwrap(), vec![3, 1, 0, 1]);
    // 5 ms = 10 steps = 5 bins, the last one empty.
    assert_eq!(
        histogram(&s, 0.5, 1.0, Some(5.0)).unwrap(),
        vec![3, 1, 0, 1, 0]
    );
    // 3 ms = 6 steps = 3 bins: the spike at step 6 is outside.
    assert_eq!(histogram(&s, 0.5, 1.0, Some(3.0)).unwrap(), vec![3, 1, 0]);
    // 2.5 ms = 5 steps = ceil(5 / 2) = 3 bins, the last one half a bin (step 4).
    assert_eq!(histogram(&s, 0.5, 1.0, Some(2.5)).unwrap(), vec![3, 1, 0]);
    // A bin of one step is the spike count per step.
    assert_eq!(
        histogram(&s, 0.5, 0.5, None).unwrap(),
        vec![1, 2, 0, 1, 0, 0, 1]
    );
    // 0.3 / 0.1 is 2.9999999999999996: the bin is 3 steps, not 2.
    // Steps 0, 2 -> bin 0; 3, 5 -> bin 1; 6 -> bin 2.
    let s3 = [(0, 0), (2, 0), (3, 0), (5, 0), (6, 0)];
    assert_eq!(histogram(&s3, 0.1, 0.3, None).unwrap(), vec![2, 2, 1]);
}

fn histogram_edge_cases_and_errors() {
    // No spike: empty without a duration, zeros with one.
    assert_eq!(histogram(&[], 0.5, 1.0, None).unwrap(), Vec::<u32>::new());
    assert_eq!(histogram(&[], 0.5, 0.5, Some(1.0)).unwrap(), vec![0, 0]);
    assert_eq!(
        histogram(&[], 0.5, 0.5, Some(0.0)).unwrap(),
        Vec::<u32>::new()
    );
    // One spike at step 5, 1 ms bins of 2 steps: bins 0, 1, 2 (steps 4-5).
    assert_eq!(histogram(&[(5, 0)], 0.5, 1.0, None).unwrap(), vec![0, 0, 1]);
    let s = [(0, 0)];
    assert!(is_invalid(histogram(&s, 0.5, 0.0, None)));
    assert!(is_invalid(histogram(&s, 0.5, -1.0, None)));
    assert!(is_invalid(histogram(&s, 0.5, f64::INFINITY, None)));
    // 0.04 ms is less than half a step of 0.1 ms.
    assert!(is_invalid(histogram(&s, 0.1, 0.04, None)));
    assert!(is_invalid(histogram(&s, 0.0, 1.0, None)));
    assert!(is_invalid(histogram(&s, 0.5, 1.0, Some(-1.0))));
}

fn inter_spike_intervals_flat_and_per_neuron() {
    // dt = 0.5 ms. Neuron 0 at steps 1, 4, 10 -> ISIs 3 and 6 steps = 1.5, 3 ms.
    // Neuron 1 once (step 11) -> none. Neuron 2 at steps 2, 5 -> 1.5 ms.
    let s = [(1, 0), (2, 2), (4, 0), (5, 2), (10, 0), (11, 1)];
    assert_eq!(
        inter_spike_interval(&s, 0.5, 3, true).unwrap(),
        Isi::PerNeuron(vec![vec![1.5, 3.0], vec![], vec![1.5]])
    );
    // Flat: neuron after neuron in rank order.
    let flat = inter_spike_interval(&s, 0.5, 3, false).unwrap();
    assert_eq!(flat, Isi::Flat(vec![1.5, 3.0, 1.5]));
    assert_eq!(
        inter_spike_interval(&s, 0.5, 3, true).unwrap().into_flat(),
        flat.into_flat()
    );
    // More neurons than spiking ones: the silent ones have no interval.
    assert_eq!(
        inter_spike_interval(&s, 0.5, 4, true).unwrap(),
        Isi::PerNeuron(vec![vec![1.5, 3.0], vec![], vec![1.5], vec![]])
    );
    // No spike, one spike.
    assert_eq!(
        inter_spike_interval(&[], 1.0, 2, true).unwrap(),
        Isi::PerNeuron(vec![vec![], vec![]])
    );
    assert_eq!(
        inter_spike_interval(&[(3, 1)], 1.0, 2, false).unwrap(),
        Isi::Flat(vec![])
    );
}

fn inter_spike_interval_errors() {
    // Rank 3 in a population of 3.
    assert!(is_invalid(inter_spike_interval(&[(0, 3)], 1.0, 3, false)));
    // Not sorted by step.
    assert!(is_invalid(inter_spike_interval(
        &[(5, 0), (2, 1)],
        1.0,
        3,
        false
    )));
    // Neuron 0 twice in step 2.
    assert!(is_invalid(inter_spike_interval(
        &[(2, 0), (2, 0)],
        1.0,
        3,
        false
    )));
    assert!(is_invalid(inter_spike_interval(&[(0, 0)], 0.0, 3, false)));
}

fn coefficient_of_variation_is_std_over_mean_of_each_neuron() {
    // dt = 1 ms.
    // Neuron 0 at 0, 1, 3, 6: ISIs 1, 2, 3, mean 2, variance (1 + 0 + 1) / 3,
    //   CV = sqrt(2/3) / 2 = sqrt(1/6) ~ 0.408.
    // Neuron 1 at 0, 10, 20, 30: regular, CV 0.
    // Neuron 2 at 5, 8: one interval only, no CV.
    // Neuron 3 at 0, 1, 4: ISIs 1, 3, mean 2, std 1, CV 0.5.
    // Neuron 4 silent, no CV.
    let mut s = vec![
        (0, 0),
        (1, 0),
        (3, 0),
        (6, 0),
        (0, 1),
        (10, 1),
        (20, 1),
        (30, 1),
        (5, 2),
        (8, 2),
        (0, 3),
        (1, 3),
        (4, 3),
    ];
    s.sort();
    let per = coefficient_of_variation(&s, 1.0, 5, true).unwrap();
    let Cv::PerNeuron(v) = &per else {
        panic!("per neuron asked, got {per:?}")
    };
    assert_eq!(v.len(), 5);
    assert!(close(v[0].unwrap(), (1.0f64 / 6.0).sqrt(), TOL));
    assert_eq!(v[1], Some(0.0));
    assert_eq!(v[2], None);
    assert!(close(v[3].unwrap(), 0.5, TOL));
    assert_eq!(v[4], None);
    // Flat: the defined CVs in rank order.
    let Cv::Flat(f) = coefficient_of_variation(&s, 1.0, 5, false).unwrap() else {
        panic!("flat asked")
    };
    assert_eq!(f.len(), 3);
    assert!(close(f[0], (1.0f64 / 6.0).sqrt(), TOL) && f[1] == 0.0 && close(f[2], 0.5, TOL));
    assert_eq!(per.into_flat(), f);
    // The CV does not depend on dt.
    let Cv::Flat(f2) = coefficient_of_variation(&s, 0.1, 5, false).unwrap() else {
        panic!("flat asked")
    };
    assert!(f.iter().zip(&f2).all(|(a, b)| close(*a, *b, TOL)));
}

fn coefficient_of_variation_edge_cases_and_errors() {
    assert_eq!(
        coefficient_of_variation(&[], 1.0, 2, true).unwrap(),
        Cv::PerNeuron(vec![None, None])
    );
    assert_eq!(
        coefficient_of_variation(&[(1, 0)], 1.0, 2, false).unwrap(),
        Cv::Flat(vec![])
    );
    assert!(is_invalid(coefficient_of_variation(
        &[(0, 2)],
        1.0,
        2,
        false
    )));
    assert!(is_invalid(coefficient_of_variation(
        &[(0, 0)],
        -1.0,
        2,
        false
    )));
    assert!(is_invalid(coefficient_of_variation(
        &[(3, 0), (1, 0)],
        1.0,
        2,
        true
    )));
}

fn population_rate_per_step_and_smoothed() {
    // dt = 0.5 ms, 4 neurons: one spike in a step is 1000 / (0.5 * 4) = 500 Hz.
    // Counts per step 2, 0, 1, 1 -> 1000, 0, 500, 500 Hz.
    let s = [(0, 0), (0, 3), (2, 1), (3, 1)];
    assert_eq!(
        population_rate(&s, 0.5, 4, 0.0).unwrap(),
        vec![1000.0, 0.0, 500.0, 500.0]
    );
    // smooth = 1 ms, delta = dt / smooth = 0.5:
    // s0 = 1000; s1 = 1000 + (0 - 1000) * 0.5 = 500; s2 = 500 + 0 = 500; s3 = 500.
    assert_eq!(
        population_rate(&s, 0.5, 4, 1.0).unwrap(),
        vec![1000.0, 500.0, 500.0, 500.0]
    );
    // smooth = 2 ms, delta = 0.25: s1 = 750, s2 = 750 - 62.5 = 687.5,
    // s3 = 687.5 - 46.875 = 640.625.
    assert_eq!(
        population_rate(&s, 0.5, 4, 2.0).unwrap(),
        vec![1000.0, 750.0, 687.5, 640.625]
    );
    // smooth <= dt: the raw rate, as in ANNarchy.
    for smooth in [0.5, 0.25] {
        assert_eq!(
            population_rate(&s, 0.5, 4, smooth).unwrap(),
            vec![1000.0, 0.0, 500.0, 500.0]
        );
    }
    // One spike at step 2 of 2 neurons, dt = 1: 0, 0, 500 Hz.
    assert_eq!(
        population_rate(&[(2, 1)], 1.0, 2, 0.0).unwrap(),
        vec![0.0, 0.0, 500.0]
    );
    assert_eq!(
        population_rate(&[], 1.0, 2, 10.0).unwrap(),
        Vec::<f64>::new()
    );
    assert!(is_invalid(population_rate(&s, 0.5, 0, 0.0)));
    assert!(is_invalid(population_rate(&s, 0.5, 3, 0.0))); // rank 3
    assert!(is_invalid(population_rate(&s, 0.5, 4, -1.0)));
    assert!(is_invalid(population_rate(&s, 0.0, 4, 0.0)));
}

fn smoothed_rate_per_neuron_and_step() {
    // dt = 0.5 ms, 8 steps. Neuron 0 at steps 1, 3, 7: 1000 / (2 * 0.5) = 1000 Hz
    // on steps 1-2, 1000 / (4 * 0.5) = 500 Hz on steps 3-6, 0 before and from 7.
    // Neuron 1 spikes once (step 2): 0 everywhere.
    let s = [(1, 0), (2, 1), (3, 0), (7, 0)];
    let r = smoothed_rate(&s, 0.5, 2, 8, 0.0).unwrap();
    assert_eq!(r.dim(), (2, 8));
    assert_eq!(
        r.row(0).to_vec(),
        vec![0.0, 1000.0, 1000.0, 500.0, 500.0, 500.0, 500.0, 0.0]
    );
    assert_eq!(r.row(1).to_vec(), vec![0.0; 8]);
    // smooth = 1 ms, delta = 0.5: 0, 500, 750, 625, 562.5, 531.25, 515.625,
    // 257.8125.
    let r = smoothed_rate(&s, 0.5, 2, 8, 1.0).unwrap();
    assert_eq!(
        r.row(0).to_vec(),
        vec![0.0, 500.0, 750.0, 625.0, 562.5, 531.25, 515.625, 257.8125]
    );
    assert_eq!(r.row(1).to_vec(), vec![0.0; 8]);
    // A shorter window cuts the rows.
    let r = smoothed_rate(&s, 0.5, 2, 5, 0.0).unwrap();
    assert_eq!(r.row(0).to_vec(), vec![0.0, 1000.0, 1000.0, 500.0, 500.0]);
    // A spike after the window closes the interval running into it:
    // steps 1 and 9, dt = 0.5: 1000 / 4 = 250 Hz on steps 1-3 of 4.
    let r = smoothed_rate(&[(1, 0), (9, 0)], 0.5, 1, 4, 0.0).unwrap();
    assert_eq!(r.row(0).to_vec(), vec![0.0, 250.0, 250.0, 250.0]);
    // No spike, no step.
    assert_eq!(
        smoothed_rate(&[], 1.0, 3, 4, 5.0).unwrap(),
        ndarray::Array2::<f64>::zeros((3, 4))
    );
    assert_eq!(smoothed_rate(&s, 0.5, 2, 0, 1.0).unwrap().dim(), (2, 0));
    assert!(is_invalid(smoothed_rate(&s, 0.5, 1, 8, 0.0))); // rank 1
    assert!(is_invalid(smoothed_rate(&s, 0.5, 2, 8, -2.0)));
    assert!(is_invalid(smoothed_rate(&s, -0.5, 2, 8, 0.0)));
}

fn mean_fr_is_spikes_per_neuron_per_second() {
    // 4 spikes, 2 neurons, 100 ms: 4 / 2 / 0.1 s = 20 Hz.
    let s = [(0, 0), (1, 1), (5, 0), (9, 1)];
    assert!(close(mean_fr(&s, 2, 100.0).unwrap(), 20.0, TOL));
    assert_eq!(mean_fr(&[], 2, 100.0).unwrap(), 0.0);
    assert!(is_invalid(mean_fr(&s, 2, 0.0)));
    assert!(is_invalid(mean_fr(&s, 0, 100.0)));
}

fn poisson_population_statistics() {
    // 200 Poisson neurons at 20 Hz for 5 s: about 100 spikes each.
    let (n, rate, ms, dt) = (200usize, 20.0, 5000.0, 0.1);
    let mut net = Network::new().dt(dt).seed(3);
    let p = net.poisson_population("p", n, rate as f32, None).unwrap();
    let m = net.monitor(p, &["spike"]).unwrap();
    let mut sim = net.compile(Backend::Cpu).unwrap();
    sim.simulate(ms).unwrap();
    let spikes = sim.spikes(m).unwrap();
    let steps = (ms / dt).round() as usize;

    // CV of a Poisson train (geometric ISIs: sqrt(1 - p) ~ 0.999) is about 1.
    let cvs = coefficient_of_variation(&spikes, dt, n, false)
        .unwrap()
        .into_flat();
    assert!(cvs.len() > n * 9 / 10, "{} neurons with a CV", cvs.len());
    let mean_cv = cvs.iter().sum::<f64>() / cvs.len() as f64;
    assert!((mean_cv - 1.0).abs() < 0.05, "mean CV {mean_cv}");

    // Mean ISI about 1000 / rate = 50 ms.
    let isi = inter_spike_interval(&spikes, dt, n, false)
        .unwrap()
        .into_flat();
    let mean_isi = isi.iter().sum::<f64>() / isi.len() as f64;
    assert!((mean_isi - 50.0).abs() < 2.5, "mean ISI {mean_isi} ms");

    // The population rate averages to the rate (20 000 spikes: 0.7 % sd).
    let pr = population_rate(&spikes, dt, n, 0.0).unwrap();
    assert!(pr.len() <= steps);
    let mean_pr = pr.iter().sum::<f64>() / steps as f64;
    assert!(
        (mean_pr - rate).abs() < 0.05 * rate,
        "population rate {mean_pr}"
    );
    // ... and is the mean rate the simulation reports.
    let sim_rate = sim.population_rate(m, ms).unwrap();
    assert!(close(mean_pr, sim_rate, TOL), "{mean_pr} vs {sim_rate}");
    assert!(close(mean_fr(&spikes, n, ms).unwrap(), sim_rate, TOL));
    // Smoothed over 50 ms, it stays near the rate after the first second.
    let smooth = population_rate(&spikes, dt, n, 50.0).unwrap();
    let late = &smooth[10_000..];
    let mean_late = late.iter().sum::<f64>() / late.len() as f64;
    assert!(
        (mean_late - rate).abs() < 0.05 * rate,
        "smoothed {mean_late}"
    );
    assert!(late.iter().all(|&r| r > 5.0 && r < 40.0));

    // Histogram in 10 ms bins counts every spike: about n * rate / 100 per bin.
    let h = histogram(&spikes, dt, 10.0, Some(ms)).unwrap();
    assert_eq!(h.len(), 500);
    assert_eq!(h.iter().map(|&c| c as usize).sum::<usize>(), spikes.len());

    // The time average of each neuron's instantaneous rate is
    // (spikes - 1) / T between its first and last spikes: about the rate.
    let r = smoothed_rate(&spikes, dt, n, steps, 0.0).unwrap();
    assert_eq!(r.dim(), (n, steps));
    let mean_sr = r.mean().unwrap();
    assert!(
        (mean_sr - rate).abs() < 0.05 * rate,
        "smoothed rate {mean_sr}"
    );
}
