//! ANNarchy's ANN-to-SNN conversion (`cajal::convert::AnnToSnnConverter`):
//!
//! * the notebooks' idea (ANN2SNN: an MLP, ANN2SNN2: a CNN, both without
//!   biases, `IB` input, IaF neurons, spike-count read-out) on the bundled
//!   8x8 digits: networks trained here, written as `.npy` + JSON (Keras
//!   layout for the MLP, torch layout for the CNN), loaded back unchanged,
//!   converted and run batched: the SNN's accuracy within 1 point of the
//!   ANN's (MLP) and 2 points (CNN) on the CPU engine; the GPU trial runs a
//!   subset on both engines and compares them;
//! * each input encoding and read-out on tiny networks against a
//!   step-by-step computation written here in f64 (the encodings' spike
//!   trains, IaF integration, the spike traces read by convolutions and
//!   pooling, the normalisation factors and thresholds);
//! * the errors of loading and converting.

#[path = "../../examples/annarchy/ann_train.rs"]
mod ann_train;

use std::path::{Path, PathBuf};

use crate::common::{backends, temp_path, tests};
use crate::snn_classifier::ann;
use ann_train::{ann_accuracy, train};
use cajal::convert::{
    load_layers, AnnToSnnConverter, AnnToSnnNet, HiddenNeuron, InputEncoding, Layer, PoolOp,
    ReadOut, ScaleFactor,
};
use cajal::prelude::*;
use ndarray::{array, Array1, Array2, Array4, ArrayView2};
use ndarray_npy::write_npy;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

tests! {
    cpu: [
        loading_and_conversion_errors_name_the_file_and_layer,
        encodings_and_read_outs_have_annarchys_names,
    ],
    both: [
        mlp_on_the_digits_within_one_point_of_the_ann,
        cnn_on_the_digits_within_two_points_of_the_ann,
        input_encodings_spike_as_computed_by_hand,
        read_outs_score_as_computed_by_hand,
        convolution_and_pooling_read_the_spike_traces,
    ],
}

fn class_accuracy(pred: &[usize], y: &[usize]) -> f64 {
    pred.iter().zip(y).filter(|(p, y)| p == y).count() as f64 / y.len() as f64
}

/// A fresh folder for a test's files.
fn folder(name: &str) -> PathBuf {
    let dir = temp_path(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn write_json(path: &Path, v: serde_json::Value) {
    std::fs::write(path, serde_json::to_string_pretty(&v).unwrap()).unwrap();
}

fn digits() -> (ann::Digits, ann::Digits) {
    let d = ann::load_digits().unwrap();
    ann::split(&d, 0.2, 42)
}

/// Runs the converted network on `test` on each engine: the whole set,
/// batched, on the CPU engine (its accuracy within `points` of the ANN's);
/// in the GPU trial the first `subset` examples on both engines, whose
/// spike counts must agree.
fn check_accuracy(snn: &AnnToSnnNet, test: &ann::Digits, ann_acc: f64, points: f64, what: &str) {
    let backends = backends();
    let duration = 200.0;
    if backends.len() == 1 {
        let mut sim = snn.compile_batched(Backend::Cpu, 128).unwrap();
        let pred = snn.predict(&mut sim, test.x.view(), duration).unwrap();
        let acc = class_accuracy(&pred, &test.y);
        eprintln!(
            "{what}: ANN {ann_acc:.4}, SNN {acc:.4} ({} test images)",
            test.len()
        );
        assert!(
            (acc - ann_acc).abs() <= points / 100.0,
            "{what}: SNN {acc} vs ANN {ann_acc}"
        );
        // The same prediction again: the seeds are restored.
        let again = snn.predict(&mut sim, test.x.view(), duration).unwrap();
        assert_eq!(pred, again);
        return;
    }
    let subset = 32;
    let x = test.x.slice(ndarray::s![..subset, ..]);
    let mut scores = Vec::new();
    for backend in backends {
        let mut sim = snn.compile_batched(backend, subset).unwrap();
        scores.push(snn.scores(&mut sim, x, duration).unwrap());
    }
    let differ = scores[0]
        .iter()
        .zip(scores[1].iter())
        .filter(|(a, b)| a != b)
        .count();
    assert_eq!(differ, 0, "{what}: spike counts differ between the engines");
    let best = |s: &Array2<f32>| ann::argmax_rows(s.view());
    let acc = class_accuracy(&best(&scores[1]), &test.y[..subset]);
    assert!(acc > 0.8, "{what}: GPU accuracy {acc} on {subset} images");
}

fn mlp_on_the_digits_within_one_point_of_the_ann() {
    let (train_set, test) = digits();
    let mut layers = ann_train::mlp(64, 7);
    train(&mut layers, &train_set, 30, 7);
    let ann_acc = ann_accuracy(&layers, test.x.view(), &test.y);
    assert!(ann_acc > 0.93, "ANN accuracy {ann_acc}");
    // Exported as Keras would (kernels [in, out]), with its Dropout.
    let dir = folder("mlp");
    let kernel = |l: &Layer| match l {
        Layer::Dense { w, .. } => w.t().to_owned(),
        _ => unreachable!(),
    };
    write_npy(dir.join("dense_w.npy"), &kernel(&layers[0])).unwrap();
    write_npy(dir.join("dense_1_w.npy"), &kernel(&layers[1])).unwrap();
    write_json(
        &dir.join("mlp.json"),
        serde_json::json!({
            "layout": "keras",
            "input_shape": [64],
            "layers": [
                {"name": "input_layer", "kind": "InputLayer"},
                {"name": "dense", "kind": "Dense", "weights": "dense_w.npy"},
                {"name": "dropout", "kind": "Dropout"},
                {"name": "dense_1", "kind": "Dense", "weights": "dense_1_w.npy"},
            ]
        }),
    );
    assert_eq!(load_layers(dir.join("mlp.json")).unwrap(), layers);
    let converter =
        AnnToSnnConverter::new(InputEncoding::Ib, HiddenNeuron::IaF, ReadOut::SpikeCount);
    let snn = converter
        .load(dir.join("mlp.json"), &ScaleFactor::Depth)
        .unwrap();
    check_accuracy(&snn, &test, ann_acc, 1.0, "MLP");
}

fn cnn_on_the_digits_within_two_points_of_the_ann() {
    let (train_set, test) = digits();
    let filters = 16;
    let mut layers = ann_train::cnn(filters, 11);
    train(&mut layers, &train_set, 40, 11);
    let ann_acc = ann_accuracy(&layers, test.x.view(), &test.y);
    assert!(ann_acc > 0.93, "ANN accuracy {ann_acc}");
    // Exported as torch would: Conv2d [filters, channels, kh, kw], the
    // Linear's columns in channel-first order (c, y, x).
    let dir = folder("cnn");
    let (conv_w, dense_w) = match (&layers[0], &layers[2]) {
        (Layer::Conv { w: cw, .. }, Layer::Dense { w: dw, .. }) => (cw, dw),
        _ => unreachable!(),
    };
    let torch_conv = conv_w
        .clone()
        .permuted_axes([0, 3, 1, 2])
        .as_standard_layout()
        .to_owned();
    let torch_dense = Array2::from_shape_fn((10, 16 * filters), |(o, r)| {
        let (ch, y, x) = (r / 16, (r / 4) % 4, r % 4);
        dense_w[[o, (y * 4 + x) * filters + ch]]
    });
    write_npy(dir.join("conv.npy"), &torch_conv).unwrap();
    write_npy(dir.join("fc.npy"), &torch_dense).unwrap();
    write_json(
        &dir.join("cnn.json"),
        serde_json::json!({
            "layout": "torch",
            "input_shape": [8, 8, 1],
            "layers": [
                {"name": "0", "kind": "Conv2d", "weights": "conv.npy", "strides": [1, 1], "padding": [1, 1]},
                {"name": "1", "kind": "ReLU"},
                {"name": "2", "kind": "MaxPool2d", "pool_size": 2, "strides": 2},
                {"name": "3", "kind": "Flatten"},
                {"name": "4", "kind": "Linear", "weights": "fc.npy"},
            ]
        }),
    );
    assert_eq!(load_layers(dir.join("cnn.json")).unwrap(), layers);
    // An IB input driven by 100 x fires at almost every step where x is
    // near 1, and the 3x3 sums of such inputs, scaled by 2 / (the largest
    // sum of a filter's positive weights), drive the convolution beyond a
    // spike a step, where an IaF neuron saturates: with max_f = 30 the
    // inputs stay in the range where the rates follow the values (at 100
    // the SNN loses 2.2 points to the ANN, at 30 0.3; the example shows
    // both).
    let converter =
        AnnToSnnConverter::new(InputEncoding::Ib, HiddenNeuron::IaF, ReadOut::SpikeCount)
            .max_f(30.0);
    let snn = converter
        .load(dir.join("cnn.json"), &ScaleFactor::Depth)
        .unwrap();
    check_accuracy(&snn, &test, ann_acc, 2.0, "CNN");
}

// ---------------------------------------------------------------------
// Hand computations.

const TAU: f64 = 20.0;

/// The input encodings' spike trains, computed here: `steps` steps of
/// each value `x` (times max_f = 100), deterministic encodings only.
fn encode_by_hand(enc: InputEncoding, xs: &[f64], steps: usize) -> Vec<Vec<bool>> {
    xs.iter()
        .map(|&x| {
            let i = 100.0 * x;
            let (mut v, mut u) = (-55.0f64, -13.0f64);
            (0..steps)
                .map(|t| match enc {
                    // Explicit Euler of Izhikevich (a, b, c, d) = (0.02,
                    // 0.2, -55, 4), both from the old values.
                    InputEncoding::Ib => {
                        let dv = 0.04 * v * v + 5.0 * v + 140.0 - u + i;
                        let du = 0.02 * (0.2 * v - u);
                        v += dv;
                        u += du;
                        if v > 30.0 {
                            v = -55.0;
                            u += 4.0;
                            true
                        } else {
                            false
                        }
                    }
                    // Threshold 2^(-1 + fmod(t - 1, 8)), t in ms.
                    InputEncoding::Pso => {
                        let m = (t as f64 - 1.0) % 8.0;
                        i > 2f64.powf(-1.0 + m)
                    }
                    InputEncoding::Cpn => unreachable!(),
                })
                .collect()
        })
        .collect()
}

/// The spike steps of a population recorded by `m`, per neuron.
fn spike_trains(sim: &Simulation, m: MonitorId, n: usize, steps: usize) -> Vec<Vec<bool>> {
    let mut out = vec![vec![false; steps]; n];
    for (step, rank) in sim.spikes_batch(m).unwrap().remove(0) {
        out[rank as usize][step as usize] = true;
    }
    out
}

fn input_encodings_spike_as_computed_by_hand() {
    let xs = [0.0f32, 0.05, 0.2, 0.33, 0.5, 0.9, 1.0];
    let layers = [Layer::dense(array![[1.0f32; 7]], array![0.0])];
    let steps = 120;
    let mut runs = Vec::new();
    for backend in backends() {
        for enc in [InputEncoding::Ib, InputEncoding::Pso] {
            let conv = AnnToSnnConverter::new(enc, HiddenNeuron::IaF, ReadOut::MembranePotential);
            let mut snn = conv.convert(&layers, &ScaleFactor::Unnormalised).unwrap();
            let m = snn.network.monitor(snn.input, &["spike"]).unwrap();
            let mut sim = snn.compile(backend).unwrap();
            snn.scores(
                &mut sim,
                ArrayView2::from_shape((1, 7), &xs).unwrap(),
                steps as f64,
            )
            .unwrap();
            let got = spike_trains(&sim, m, xs.len(), steps);
            let xs64: Vec<f64> = xs.iter().map(|&x| x as f64).collect();
            let want = encode_by_hand(enc, &xs64, steps);
            assert_eq!(got, want, "{backend:?} {enc:?}");
            runs.push(got);
        }
        // Poisson: 200 inputs at 0.4 (40 Hz) for 1000 steps: 8000 spikes
        // expected, binomial sd 87; 0 spikes at 0.
        let n = 200;
        let layers = [Layer::dense(Array2::ones((1, n)), array![0.0])];
        let conv = AnnToSnnConverter::default();
        let mut snn = conv.convert(&layers, &ScaleFactor::Depth).unwrap();
        let m = snn.network.monitor(snn.input, &["spike"]).unwrap();
        let mut sim = snn.compile(backend).unwrap();
        let mut x = Array2::from_elem((1, n), 0.4f32);
        x[[0, 0]] = 0.0;
        snn.scores(&mut sim, x.view(), 1000.0).unwrap();
        let trains = spike_trains(&sim, m, n, 1000);
        assert!(
            trains[0].iter().all(|&s| !s),
            "{backend:?}: a 0 input spiked"
        );
        let total: usize = trains[1..].iter().flatten().filter(|&&s| s).count();
        let mean = 199.0 * 1000.0 * 0.04;
        let sd = (mean * 0.96f64).sqrt();
        assert!(
            (total as f64 - mean).abs() < 4.0 * sd,
            "{backend:?}: {total} Poisson spikes, {mean} expected"
        );
        runs.push(trains);
    }
    if runs.len() == 6 {
        assert_eq!(runs[..3], runs[3..], "the engines differ");
    }
}

/// A deterministic network simulated here in f64: input spike trains,
/// then each layer (weights already scaled) of IaF neurons with
/// thresholds `vt[l]`, dense layers fed by the spikes of the step before,
/// convolutions and pooling by the spike traces left by the step before.
/// Returns each layer's spike trains and its last `v`.
fn simulate_by_hand(
    layers: &[Layer],
    vt: &[f64],
    spiking_last: bool,
    input: &[Vec<bool>],
    steps: usize,
) -> Vec<(Vec<Vec<bool>>, Vec<f64>)> {
    let mut prev_spikes: Vec<Vec<bool>> = input.to_vec();
    let trace = |spikes: &[Vec<bool>]| -> Vec<Vec<f64>> {
        spikes
            .iter()
            .map(|train| {
                let mut m = 0.0;
                train
                    .iter()
                    .map(|&s| {
                        m -= m / TAU;
                        if s {
                            m += 1.0 / TAU;
                        }
                        m
                    })
                    .collect()
            })
            .collect()
    };
    let mut out = Vec::new();
    for (l, layer) in layers.iter().enumerate() {
        let n = layer.shape().1;
        let masks = trace(&prev_spikes);
        let syn = layer.synapses();
        let mut v = vec![0.0f64; n];
        let mut spikes = vec![vec![false; steps]; n];
        for t in 0..steps {
            let mut g = vec![0.0f64; n];
            if t > 0 {
                match layer {
                    Layer::Dense { .. } => {
                        for &(post, pre, w) in &syn {
                            if prev_spikes[pre as usize][t - 1] {
                                g[post as usize] += w as f64;
                            }
                        }
                    }
                    Layer::Conv { .. } => {
                        for &(post, pre, w) in &syn {
                            g[post as usize] += w as f64 * masks[pre as usize][t - 1];
                        }
                    }
                    Layer::Pool { op, size, .. } => {
                        let mut best = vec![f64::NEG_INFINITY; n];
                        for &(post, pre, _) in &syn {
                            let m = masks[pre as usize][t - 1];
                            match op {
                                PoolOp::Max => best[post as usize] = best[post as usize].max(m),
                                PoolOp::Average => g[post as usize] += m / (size.0 * size.1) as f64,
                            }
                        }
                        if *op == PoolOp::Max {
                            g = best;
                        }
                    }
                    _ => unreachable!(),
                }
            }
            for i in 0..n {
                v[i] = (v[i] + g[i]).max(-2.0);
                let last = l + 1 == layers.len();
                if (!last || spiking_last) && v[i] > vt[l] {
                    v[i] = 0.0;
                    spikes[i][t] = true;
                }
            }
        }
        out.push((spikes.clone(), v));
        prev_spikes = spikes;
    }
    out
}

fn scaled(layers: &[Layer], factors: &[f32]) -> Vec<Layer> {
    layers
        .iter()
        .zip(factors)
        .map(|(l, &f)| match l {
            Layer::Dense { w, b } => Layer::dense(w.mapv(|v| v * f), b.clone()),
            Layer::Conv {
                w,
                b,
                input,
                stride,
            } => Layer::conv(w.mapv(|v| v * f), b.clone(), *input, *stride),
            other => other.clone(),
        })
        .collect()
}

fn read_outs_score_as_computed_by_hand() {
    // PSO inputs (deterministic) -> 4 hidden -> 3 outputs.
    let w1 = array![
        [0.31f32, -0.12, 0.27, 0.05],
        [0.02, 0.44, -0.3, 0.18],
        [-0.2, 0.15, 0.36, 0.41],
        [0.25, 0.25, 0.1, -0.05]
    ];
    let w2 = array![
        [0.6f32, -0.2, 0.35, 0.1],
        [0.05, 0.7, 0.2, -0.1],
        [0.3, 0.15, -0.25, 0.55]
    ];
    let layers = [
        Layer::dense(w1.clone(), Array1::zeros(4)),
        Layer::dense(w2.clone(), Array1::zeros(3)),
    ];
    let xs = array![[0.9f32, 0.2, 0.45, 0.7], [0.1, 0.8, 0.3, 0.05]];
    let steps = 150;
    // Model-based normalisation: (l + 2) / the largest sum of positive
    // weights of a neuron.
    let f0 = 2.0 / (0.15 + 0.36 + 0.41f64).max(0.63).max(0.64).max(0.6);
    let f1 = 3.0 / (0.6 + 0.35 + 0.1f64).max(0.95).max(1.0);
    for backend in backends() {
        for read_out in [
            ReadOut::SpikeCount,
            ReadOut::TimeToFirstSpike,
            ReadOut::TimeToKSpikes(3),
            ReadOut::MembranePotential,
        ] {
            let conv = AnnToSnnConverter::new(InputEncoding::Pso, HiddenNeuron::IaF, read_out);
            let snn = conv.convert(&layers, &ScaleFactor::Depth).unwrap();
            assert!(
                (snn.factors[0] as f64 - f0).abs() < 1e-6,
                "{:?}",
                snn.factors
            );
            assert!(
                (snn.factors[1] as f64 - f1).abs() < 1e-6,
                "{:?}",
                snn.factors
            );
            let mut sim = snn.compile_batched(backend, 2).unwrap();
            let got = snn.scores(&mut sim, xs.view(), steps as f64).unwrap();
            // The hidden layer's threshold: 1 - 0.05.
            let vt = sim.get(snn.layers[0], "vt").unwrap();
            assert!(vt.iter().all(|&v| (v - 0.95).abs() < 1e-6), "vt {vt}");
            let net = scaled(&layers, &snn.factors);
            for (e, row) in xs.outer_iter().enumerate() {
                let x: Vec<f64> = row.iter().map(|&v| v as f64).collect();
                let input = encode_by_hand(InputEncoding::Pso, &x, steps);
                let spiking = read_out != ReadOut::MembranePotential;
                let layers_out = simulate_by_hand(&net, &[0.95, 1.0], spiking, &input, steps);
                let (spikes, v) = &layers_out[1];
                let stop = |k: usize| {
                    (0..steps)
                        .find(|&t| {
                            spikes
                                .iter()
                                .any(|tr| tr[..=t].iter().filter(|&&s| s).count() >= k)
                        })
                        .unwrap_or(steps - 1)
                };
                let count = |until: usize| -> Vec<f64> {
                    spikes
                        .iter()
                        .map(|tr| tr[..=until].iter().filter(|&&s| s).count() as f64)
                        .collect()
                };
                let want = match read_out {
                    ReadOut::SpikeCount => count(steps - 1),
                    ReadOut::TimeToFirstSpike => count(stop(1)),
                    ReadOut::TimeToKSpikes(k) => count(stop(k as usize)),
                    ReadOut::MembranePotential => v.clone(),
                };
                for (o, &w) in want.iter().enumerate() {
                    let g = got[[e, o]] as f64;
                    assert!(
                        (g - w).abs() <= 1e-4 * w.abs().max(1.0),
                        "{backend:?} {read_out:?} example {e} output {o}: {g} vs {w} by hand"
                    );
                }
                if read_out == ReadOut::SpikeCount {
                    // Both classes are active: the check is not of zeros.
                    assert!(want.iter().sum::<f64>() > 5.0, "{want:?}");
                }
            }
        }
    }
}

fn convolution_and_pooling_read_the_spike_traces() {
    // IB inputs 4x4x1 -> conv 3x3 (2 filters) -> max pool 2x2 -> average
    // pool... a second pooling keeps it small: -> dense 2, spike count.
    let mut rng = StdRng::seed_from_u64(3);
    let w = Array4::from_shape_fn((2, 3, 3, 1), |_| rng.random_range(-0.3..0.8f32));
    for (op, name) in [(PoolOp::Max, "max"), (PoolOp::Average, "average")] {
        let layers = [
            Layer::conv(w.clone(), Array1::zeros(2), (4, 4), 1),
            Layer::pool((4, 4, 2), (2, 2), op),
            Layer::dense(
                Array2::from_shape_fn((2, 8), |(o, i)| if i % 2 == o { 0.5 } else { -0.1 }),
                Array1::zeros(2),
            ),
        ];
        let x: Vec<f32> = (0..16).map(|_| rng.random_range(0.0..1.0f32)).collect();
        let steps = 150;
        let mut per_engine = Vec::new();
        for backend in backends() {
            let conv =
                AnnToSnnConverter::new(InputEncoding::Ib, HiddenNeuron::IaF, ReadOut::SpikeCount);
            let mut snn = conv.convert(&layers, &ScaleFactor::Depth).unwrap();
            let mons: Vec<MonitorId> = snn
                .layers
                .clone()
                .into_iter()
                .map(|p| snn.network.monitor(p, &["spike"]).unwrap())
                .collect();
            let mut sim = snn.compile(backend).unwrap();
            let xs = ArrayView2::from_shape((1, 16), &x).unwrap();
            snn.scores(&mut sim, xs, steps as f64).unwrap();
            let x64: Vec<f64> = x.iter().map(|&v| v as f64).collect();
            let input = encode_by_hand(InputEncoding::Ib, &x64, steps);
            let want = simulate_by_hand(
                &scaled(&layers, &snn.factors),
                &[0.95, 0.9, 1.0],
                true,
                &input,
                steps,
            );
            let mut got_all = Vec::new();
            for (l, (&m, (spikes, _))) in mons.iter().zip(&want).enumerate() {
                let n = layers[l].shape().1;
                let got = spike_trains(&sim, m, n, steps);
                let active = spikes.iter().flatten().filter(|&&s| s).count();
                assert!(active > 0, "{name} layer {l}: silent by hand");
                assert_eq!(&got, spikes, "{backend:?} {name} layer {l}");
                got_all.push(got);
            }
            per_engine.push(got_all);
        }
        if per_engine.len() == 2 {
            assert_eq!(per_engine[0], per_engine[1], "{name}: the engines differ");
        }
    }
}

// ---------------------------------------------------------------------
// Errors and names.

fn encodings_and_read_outs_have_annarchys_names() {
    assert_eq!(InputEncoding::from_name("CPN").unwrap(), InputEncoding::Cpn);
    assert_eq!(
        InputEncoding::from_name("poisson").unwrap(),
        InputEncoding::Cpn
    );
    assert_eq!(InputEncoding::from_name("IB").unwrap(), InputEncoding::Ib);
    assert_eq!(InputEncoding::from_name("PSO").unwrap(), InputEncoding::Pso);
    assert!(InputEncoding::from_name("rate")
        .unwrap_err()
        .to_string()
        .contains("unknown input encoding 'rate'"));
    assert_eq!(
        ReadOut::from_name("time_to_k_spikes", Some(4)).unwrap(),
        ReadOut::TimeToKSpikes(4)
    );
    assert!(ReadOut::from_name("time_to_k_spikes", None)
        .unwrap_err()
        .to_string()
        .contains("k must be given"));
    assert_eq!(
        ReadOut::from_name("membrane_potential", None).unwrap(),
        ReadOut::MembranePotential
    );
    let d = AnnToSnnConverter::default();
    assert_eq!(
        (d.input_encoding, d.read_out, d.max_f),
        (InputEncoding::Cpn, ReadOut::SpikeCount, 100.0)
    );
}

fn loading_and_conversion_errors_name_the_file_and_layer() {
    let dir = folder("errors");
    write_npy(dir.join("w.npy"), &Array2::<f32>::ones((64, 10))).unwrap();
    let json = dir.join("net.json");
    let err = |layers: serde_json::Value| {
        write_json(
            &json,
            serde_json::json!({"layout": "keras", "input_shape": [64], "layers": layers}),
        );
        load_layers(&json).unwrap_err().to_string()
    };
    // A missing .npy: the path and the layer.
    let e = err(serde_json::json!([{"name": "fc", "kind": "Dense", "weights": "nope.npy"}]));
    assert!(e.contains("nope.npy") && e.contains("layer 'fc'"), "{e}");
    // An unsupported kind: the JSON file and the layer.
    let e = err(serde_json::json!([
        {"name": "fc", "kind": "Dense", "weights": "w.npy"},
        {"name": "bn", "kind": "BatchNormalization"}
    ]));
    assert!(
        e.contains("net.json") && e.contains("layer 'bn' (#1)") && e.contains("BatchNormalization"),
        "{e}"
    );
    // A shape that does not fit the layer before: the .npy and the layer.
    let e = err(serde_json::json!([
        {"name": "fc", "kind": "Dense", "weights": "w.npy"},
        {"name": "fc2", "kind": "Dense", "weights": "w.npy"}
    ]));
    assert!(
        e.contains("w.npy") && e.contains("layer 'fc2'") && e.contains("10"),
        "{e}"
    );
    // Valid padding is refused.
    write_npy(dir.join("k.npy"), &Array4::<f32>::ones((3, 3, 1, 2))).unwrap();
    write_json(
        &json,
        serde_json::json!({"layout": "keras", "input_shape": [8, 8, 1], "layers": [
            {"name": "c", "kind": "Conv2D", "weights": "k.npy", "padding": "valid"}]}),
    );
    let e = load_layers(&json).unwrap_err().to_string();
    assert!(e.contains("layer 'c'") && e.contains("same"), "{e}");
    // A missing JSON file.
    let e = load_layers(dir.join("absent.json"))
        .unwrap_err()
        .to_string();
    assert!(e.contains("absent.json"), "{e}");
    // Not a layer list.
    std::fs::write(&json, "{\"layers\": 3}").unwrap();
    let e = load_layers(&json).unwrap_err().to_string();
    assert!(
        e.contains("net.json") && e.contains("not a layer list"),
        "{e}"
    );

    // Conversion: biases, a non-dense read-out, no positive weight.
    let conv = AnnToSnnConverter::default();
    let e = conv
        .convert(
            &[Layer::dense(array![[1.0f32]], array![0.5])],
            &ScaleFactor::Depth,
        )
        .unwrap_err()
        .to_string();
    assert!(e.contains("layer 0 has biases"), "{e}");
    let e = conv
        .convert(
            &[Layer::pool((2, 2, 1), (2, 2), PoolOp::Max)],
            &ScaleFactor::Depth,
        )
        .unwrap_err()
        .to_string();
    assert!(e.contains("must be dense"), "{e}");
    let e = conv
        .convert(
            &[Layer::dense(array![[-1.0f32, 0.0]], array![0.0])],
            &ScaleFactor::Depth,
        )
        .unwrap_err()
        .to_string();
    assert!(e.contains("no positive weight"), "{e}");
    let e = conv
        .convert(
            &[Layer::dense(array![[1.0f32]], array![0.0])],
            &ScaleFactor::PerLayer(vec![1.0, 2.0]),
        )
        .unwrap_err()
        .to_string();
    assert!(e.contains("2 values for 1 layers"), "{e}");
    // A hidden neuron without the spike trace.
    let plain = Neuron::spiking()
        .name("plain")
        .parameters("vt = 1.0")
        .equations("dv/dt = g_exc")
        .spike("v > vt")
        .reset("v = 0.0");
    let e = AnnToSnnConverter::new(
        InputEncoding::Cpn,
        HiddenNeuron::Custom(plain),
        ReadOut::SpikeCount,
    )
    .convert(
        &[
            Layer::dense(array![[1.0f32]], array![0.0]),
            Layer::dense(array![[1.0f32]], array![0.0]),
        ],
        &ScaleFactor::Depth,
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("plain") && e.contains("mask"), "{e}");
    // Samples of the wrong width.
    let snn = conv
        .convert(
            &[Layer::dense(array![[1.0f32, 1.0]], array![0.0])],
            &ScaleFactor::Depth,
        )
        .unwrap();
    let mut sim = snn.compile(Backend::Cpu).unwrap();
    let e = snn
        .predict(&mut sim, Array2::zeros((1, 3)).view(), 10.0)
        .unwrap_err()
        .to_string();
    assert!(e.contains("for 2 inputs"), "{e}");
}
