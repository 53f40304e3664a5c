//! Edge detection with ANNarchy's convolution extension
//! (`cajal::networks::edges`): a generated image (shapes on a gradient)
//! goes through a bank of four oriented 3x3 edge filters (rectified), then
//! 2x2 max pooling; the image, the four feature maps and the four pooled
//! maps are written as PNG.
//!
//! `cargo run --release --example edge_detection [cpu|gpu|auto] [OUT_DIR]`

use cajal::prelude::*;
use std::time::Instant;

const SIZE: usize = 128;

fn main() -> std::result::Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let backend = match args.next().as_deref() {
        Some("gpu") => Backend::Gpu,
        Some("auto") => Backend::Auto,
        _ => Backend::Cpu,
    };
    let out = std::path::PathBuf::from(args.next().unwrap_or_else(|| "edges-out".into()));
    std::fs::create_dir_all(&out)?;

    let t0 = Instant::now();
    let (net, e) = cajal::networks::edges(SIZE, 42)?;
    let (edges, pooled) = (e.edges, e.pooled);
    let picture = cajal::networks::test_image(SIZE);
    let mut sim = net.compile(backend)?;
    let built = t0.elapsed();
    // Two steps: the convolution reads the image, the pooling one step later.
    let t1 = Instant::now();
    sim.simulate(2.0)?;
    println!(
        "{:?}: built in {:.3} s, 2 steps in {:.3} s",
        sim.backend(),
        built.as_secs_f64(),
        t1.elapsed().as_secs_f64()
    );

    cajal::plot::image(out.join("image.png"), picture.view())?;
    let e = sim.get(edges, "r")?;
    let p = sim.get(pooled, "r")?;
    for (k, name) in cajal::networks::EDGE_FILTERS.iter().enumerate() {
        let fm = e.index_axis(ndarray::Axis(2), k).into_dimensionality()?;
        let pm = p.index_axis(ndarray::Axis(2), k).into_dimensionality()?;
        cajal::plot::image(out.join(format!("edges_{name}.png")), fm)?;
        cajal::plot::image(out.join(format!("pooled_{name}.png")), pm)?;
    }
    println!("wrote 9 PNGs to {}", out.display());
    Ok(())
}
