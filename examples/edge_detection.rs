//! Edge detection with ANNarchy's convolution extension
//! (`cajal::networks::edges`): a generated image (shapes on a gradient)
//! goes through a bank of four oriented 3x3 edge filters (rectified), then
//! 2x2 max pooling; the image, the four feature maps and the four pooled
//! maps are written as PNG.
//!
//! `cargo run --release --example edge_detection [cpu|gpu|auto] [OUT_DIR]`

use cajal::prelude::*;
use ndarray::Array2;
use plotters::prelude::*;
use std::time::Instant;

const SIZE: usize = 128;

/// Writes a grey-level PNG of `map`, scaled to its own maximum.
fn write_png(
    path: &std::path::Path,
    map: &Array2<f32>,
) -> std::result::Result<(), Box<dyn std::error::Error>> {
    let (h, w) = map.dim();
    let max = map.iter().cloned().fold(f32::MIN_POSITIVE, f32::max);
    let root = BitMapBackend::new(path, (w as u32, h as u32)).into_drawing_area();
    for ((y, x), &v) in map.indexed_iter() {
        let g = (255.0 * (v / max).clamp(0.0, 1.0)) as u8;
        root.draw_pixel((x as i32, y as i32), &RGBColor(g, g, g))?;
    }
    root.present()?;
    Ok(())
}

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

    write_png(&out.join("image.png"), &picture)?;
    let e = sim.get(edges, "r")?;
    let p = sim.get(pooled, "r")?;
    for (k, name) in ["vertical", "horizontal", "diagonal", "antidiagonal"]
        .iter()
        .enumerate()
    {
        let fm = e
            .index_axis(ndarray::Axis(2), k)
            .to_owned()
            .into_dimensionality()?;
        let pm = p
            .index_axis(ndarray::Axis(2), k)
            .to_owned()
            .into_dimensionality()?;
        write_png(&out.join(format!("edges_{name}.png")), &fm)?;
        write_png(&out.join(format!("pooled_{name}.png")), &pm)?;
    }
    println!("wrote 9 PNGs to {}", out.display());
    Ok(())
}
