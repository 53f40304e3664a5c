//! Spiking inference on the 8x8 digits (data/digits, scikit-learn's copy of
//! the UCI set): a ReLU network 64-64-10 trained here (ann.rs, Adam, 80
//! epochs, well under a second), converted to a few-spike SNN
//! (`cajal::convert::few_spike`, k = 10 steps a layer, alpha from the
//! training data) and run batched on the test set.
//!
//! Prints the ANN's test accuracy, then per engine and batch size the SNN's
//! accuracy, images per second (the pipelined `predict`, compile time
//! excluded) and the wall time; the SNN must stay within one point of the
//! ANN.
//!
//! `cargo run --release --example snn_classifier [cpu|gpu|both] [BATCHES]`
//! (BATCHES: comma-separated, default 1,16,64,256).

mod ann;

use std::time::Instant;

use cajal::convert::{few_spike, Alpha, Layer};
use cajal::prelude::*;

const K: u32 = 10;

fn main() -> std::result::Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let engines = match args.next().as_deref() {
        Some("gpu") => vec![Backend::Gpu],
        Some("both") => vec![Backend::Cpu, Backend::Gpu],
        _ => vec![Backend::Cpu],
    };
    let batches: Vec<usize> = match args.next() {
        Some(s) => s
            .split(',')
            .map(|x| x.trim().parse())
            .collect::<std::result::Result<_, _>>()?,
        None => vec![1, 16, 64, 256],
    };

    let t0 = Instant::now();
    let digits = ann::load_digits()?;
    let (train, test) = ann::split(&digits, 0.2, 42);
    let mlp = ann::Mlp::train(&train, 64, 80, 42);
    let ann_acc = ann::accuracy(mlp.forward(test.x.view()).view(), &test.y);
    println!(
        "ANN 64-64-10: trained on {} images in {:.2} s; test accuracy {:.2} % ({} images)",
        train.len(),
        t0.elapsed().as_secs_f64(),
        100.0 * ann_acc,
        test.len()
    );

    let t0 = Instant::now();
    let layers = [
        Layer::dense(mlp.w1.clone(), mlp.b1.clone()),
        Layer::dense(mlp.w2.clone(), mlp.b2.clone()),
    ];
    let snn = few_spike(&layers, K, Alpha::Data(train.x.view()))?;
    println!(
        "few-spike SNN: k = {K}, input alpha {:.3}, hidden alpha {:?}, {} steps of latency; converted in {:.1} ms",
        snn.input_alpha,
        snn.hidden_alpha,
        snn.steps_per_example,
        1e3 * t0.elapsed().as_secs_f64()
    );

    println!("\n| engine | batch | SNN accuracy | images/s | predict (s) | compile (s) |");
    println!("|---|---|---|---|---|---|");
    let mut worst: f64 = 0.0;
    for &backend in &engines {
        for &b in &batches {
            let t0 = Instant::now();
            let mut sim = snn.compile_batched(backend, b)?;
            let compile = t0.elapsed().as_secs_f64();
            let t0 = Instant::now();
            let out = snn.predict(&mut sim, test.x.view())?;
            let secs = t0.elapsed().as_secs_f64();
            let acc = ann::accuracy(out.view(), &test.y);
            worst = worst.max((ann_acc - acc).abs());
            let name = match sim.device() {
                Some(d) => format!("GPU ({})", d.name),
                None => "CPU".into(),
            };
            println!(
                "| {name} | {b} | {:.2} % | {:.0} | {secs:.3} | {compile:.3} |",
                100.0 * acc,
                test.len() as f64 / secs
            );
        }
    }
    println!(
        "\nlargest difference from the ANN: {:.2} points",
        100.0 * worst
    );
    if worst > 0.01 {
        return Err("the SNN is more than one point away from the ANN".into());
    }
    Ok(())
}
