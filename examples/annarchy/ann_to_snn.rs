//! ANNarchy's ANN2SNN (an MLP) and ANN2SNN2 (a CNN) notebooks: a ReLU
//! network without biases is trained, saved, loaded by the converter
//! (`ANNtoSNNConverter(input_encoding='IB', hidden_neuron='IaF',
//! read_out='spike_count')`, `load_keras_model`) and run for 200 ms per
//! image (`predict(X_test, duration_per_sample=200)`); the notebook
//! compares the SNN's accuracy with the ANN's.
//!
//! The notebooks train on MNIST with Keras; MNIST does not ship with
//! cajal, so here the networks are the same kinds on the bundled 8x8
//! digits (80 % to train, the other 359 images to test), trained in Rust
//! (`ann_train.rs`): 64-64-10 for the MLP (the notebook's is
//! 784-128-128-10), a 3x3 convolution of 16 filters, 2x2 max pooling and a
//! dense read-out for the CNN (the notebook's has three 5x5 convolutions
//! and poolings). They are written as `.npy` files and a JSON layer list
//! (`cajal::convert::load_layers`, Keras' layout for the MLP, torch's for
//! the CNN) and loaded back, as the notebooks load their `.keras` files.
//! What compares is the gap between the SNN and its ANN: the datasets and
//! the networks differ.
//!
//! Besides the notebooks' setting the program runs what ANNarchy 5.0.3
//! really computes (its normalised weights never reach the projections:
//! "unnormalised"), the Poisson input (`CPN`, ANNarchy's default), and for
//! the CNN a lower input drive (`max_f` 30 instead of 100), where the
//! bursting inputs no longer saturate the first convolution.
//!
//! `cargo run --release --example nb_ann_to_snn [cpu|gpu|auto]`

#[path = "../snn_classifier/ann.rs"]
mod ann;
#[path = "ann_train.rs"]
mod ann_train;
#[path = "common.rs"]
mod common;

use std::path::Path;
use std::time::Instant;

use cajal::convert::{
    load_layers, AnnToSnnConverter, HiddenNeuron, InputEncoding, Layer, ReadOut, ScaleFactor,
};
use cajal::prelude::*;
use ndarray::Array2;
use ndarray_npy::write_npy;

// The notebooks' outputs (ANNarchy 5.0.0, TensorFlow 2.18, MNIST).
const MLP_ANN: f64 = 0.9649; // 10 000 test images
const MLP_SNN: f64 = 0.9625;
const CNN_ANN: f64 = 0.9864; // 10 000 test images
const CNN_SNN: f64 = 0.98; // the first 300

type Res<T> = Result<T, Box<dyn std::error::Error>>;

/// The MLP as Keras saves it: kernels `[in, out]`, a Dropout between.
fn save_mlp(dir: &Path, layers: &[Layer]) -> Res<()> {
    let mut entries = vec![serde_json::json!({"name": "input_layer", "kind": "InputLayer"})];
    for (i, l) in layers.iter().enumerate() {
        if let Layer::Dense { w, .. } = l {
            let file = format!("dense_{i}.npy");
            write_npy(dir.join(&file), &w.t().to_owned())?;
            entries.push(
                serde_json::json!({"name": format!("dense_{i}"), "kind": "Dense", "weights": file}),
            );
            entries.push(serde_json::json!({"name": format!("dropout_{i}"), "kind": "Dropout"}));
        }
    }
    entries.pop();
    let json = serde_json::json!({"layout": "keras", "input_shape": [64], "layers": entries});
    std::fs::write(dir.join("mlp.json"), json.to_string())?;
    Ok(())
}

/// The CNN as torch holds it: Conv2d `[filters, channels, kh, kw]`, the
/// Linear's columns in channel-first order.
fn save_cnn(dir: &Path, layers: &[Layer]) -> Res<()> {
    let (Layer::Conv { w: cw, .. }, Layer::Dense { w: dw, .. }) = (&layers[0], &layers[2]) else {
        return Err("the CNN is conv, pool, dense".into());
    };
    let f = cw.dim().0;
    write_npy(
        dir.join("conv.npy"),
        &cw.clone()
            .permuted_axes([0, 3, 1, 2])
            .as_standard_layout()
            .to_owned(),
    )?;
    let torch_fc = Array2::from_shape_fn((10, 16 * f), |(o, r)| {
        let (ch, y, x) = (r / 16, (r / 4) % 4, r % 4);
        dw[[o, (y * 4 + x) * f + ch]]
    });
    write_npy(dir.join("fc.npy"), &torch_fc)?;
    let json = serde_json::json!({"layout": "torch", "input_shape": [8, 8, 1], "layers": [
        {"name": "conv", "kind": "Conv2d", "weights": "conv.npy", "strides": [1, 1], "padding": [1, 1]},
        {"name": "relu", "kind": "ReLU"},
        {"name": "pool", "kind": "MaxPool2d", "pool_size": 2},
        {"name": "flatten", "kind": "Flatten"},
        {"name": "fc", "kind": "Linear", "weights": "fc.npy"},
    ]});
    std::fs::write(dir.join("cnn.json"), json.to_string())?;
    Ok(())
}

/// Converts, runs the test set for 200 ms an image, prints one line.
#[allow(clippy::too_many_arguments)]
fn row(
    what: &str,
    layers: &[Layer],
    converter: &AnnToSnnConverter,
    scale: &ScaleFactor,
    backend: Backend,
    test: &ann::Digits,
    ann_acc: f64,
    notebook: Option<(f64, f64)>,
) -> cajal::Result<()> {
    let t0 = Instant::now();
    let snn = converter.convert(layers, scale)?;
    let mut sim = snn.compile_batched(backend, 128)?;
    let pred = snn.predict(&mut sim, test.x.view(), 200.0)?;
    let acc = pred.iter().zip(&test.y).filter(|(p, y)| p == y).count() as f64 / test.len() as f64;
    let nb = match notebook {
        Some((a, s)) => format!("{a:.4}  {s:.4}  {:+.2}", 100.0 * (s - a)),
        None => "-".into(),
    };
    println!(
        "{what:<44} {nb:<24} {ann_acc:.4}  {acc:.4}  {:+.2}   ({:.1} s)",
        100.0 * (acc - ann_acc),
        t0.elapsed().as_secs_f64()
    );
    Ok(())
}

fn main() -> Res<()> {
    let backend = common::backend();
    let digits = ann::load_digits()?;
    let (train, test) = ann::split(&digits, 0.2, 42);
    let dir = std::env::temp_dir().join(format!("cajal-nb-ann-to-snn-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;

    let mut mlp = ann_train::mlp(64, 7);
    ann_train::train(&mut mlp, &train, 30, 7);
    save_mlp(&dir, &mlp)?;
    let mlp = load_layers(dir.join("mlp.json"))?;
    let mlp_acc = ann_train::ann_accuracy(&mlp, test.x.view(), &test.y);

    let mut cnn = ann_train::cnn(16, 11);
    ann_train::train(&mut cnn, &train, 40, 11);
    save_cnn(&dir, &cnn)?;
    let cnn = load_layers(dir.join("cnn.json"))?;
    let cnn_acc = ann_train::ann_accuracy(&cnn, test.x.view(), &test.y);

    let (head, nb) = ("network, input, weights", "ANNarchy: ANN  SNN  gap");
    println!("{head:<44} {nb:<24} cajal: ANN  SNN  gap (points)");
    let ib = AnnToSnnConverter::new(InputEncoding::Ib, HiddenNeuron::IaF, ReadOut::SpikeCount);
    let cpn = AnnToSnnConverter::default();
    let norm = ScaleFactor::Depth;
    let raw = ScaleFactor::Unnormalised;
    let ib30 = ib.clone().max_f(30.0);
    let (mlp_nb, cnn_nb) = (Some((MLP_ANN, MLP_SNN)), Some((CNN_ANN, CNN_SNN)));
    let rows = [
        ("MLP, IB, normalised", &mlp, &ib, &norm, mlp_acc, None),
        (
            "MLP, IB, unnormalised (ANNarchy 5.0.3)",
            &mlp,
            &ib,
            &raw,
            mlp_acc,
            mlp_nb,
        ),
        ("MLP, CPN, normalised", &mlp, &cpn, &norm, mlp_acc, None),
        ("CNN, IB, normalised", &cnn, &ib, &norm, cnn_acc, None),
        (
            "CNN, IB, unnormalised (ANNarchy 5.0.3)",
            &cnn,
            &ib,
            &raw,
            cnn_acc,
            cnn_nb,
        ),
        (
            "CNN, IB max_f 30, normalised",
            &cnn,
            &ib30,
            &norm,
            cnn_acc,
            None,
        ),
        ("CNN, CPN, normalised", &cnn, &cpn, &norm, cnn_acc, None),
    ];
    for (what, layers, conv, scale, acc, nb) in rows {
        row(what, layers, conv, scale, backend, &test, acc, nb)?;
    }
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}
