//! ANNarchy's Image notebook (convolutions and pooling): a photo in an
//! `ImagePopulation` of 480 x 640 x 3, mean-pooled to 48 x 64 x 3,
//! smoothed by a 3 x 3 box filter per colour channel, then a bank of three
//! 1 x 1 filters, each selective to red, green or blue (`r = sum(exc)`,
//! `min = 0`). Four steps carry the picture through the four populations.
//!
//! The picture is the one cajal bundles, `examples/data/grace_hopper.jpg`
//! (Grace Hopper's official US Navy portrait, public domain: a work of the
//! US federal government; 512 x 600, resized to 640 x 480 as the
//! notebook's population asks). Deterministic: each population's mean per
//! channel and a few values beside ANNarchy 5.0.4.1's for the same picture
//! (`tests/data/annarchy/notebooks/image`); the JPEG decoders differ by a
//! level or so here and there, so the last digits may too. With the `plot`
//! feature the red, green and blue channels of each population go to
//! `target/nb_image/*.png`.
//!
//! `cargo run --release --example nb_image [cpu|gpu|auto]`

#[path = "common.rs"]
mod common;

use cajal::prelude::*;
use common::exact;
use ndarray::{Array, ArrayD, IxDyn};

// ANNarchy 5.0.4.1 (tests/data/annarchy/notebooks/image/image.json): the
// mean of r per channel, and r at a few places.
const MEANS: [(&str, [f64; 3]); 4] = [
    ("image", [0.323435, 0.284071, 0.338956]),
    ("pooled", [0.323435, 0.284071, 0.338956]),
    ("smoothed", [0.317354, 0.277705, 0.329755]),
    ("filtered", [0.146406, 0.000249, 0.167425]),
];
const SAMPLES: [(&str, [usize; 2], [f64; 3]); 4] = [
    ("image", [240, 320], [0.843137, 0.529412, 0.396078]),
    ("pooled", [24, 32], [0.949569, 0.675608, 0.531098]),
    ("smoothed", [5, 7], [0.320244, 0.311556, 0.433695]),
    ("filtered", [24, 32], [0.773564, 0.0, 0.0]),
];

fn main() -> cajal::Result<()> {
    let backend = common::backend();
    let picture = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/examples/data/grace_hopper.jpg"
    );
    let mut net = Network::new();
    let image = net.image_population("image", (480, 640, 3))?;
    let linear = Neuron::rate().equations("r=sum(exc): min=0.0");
    let pooled = net.population("pooled", (48, 64, 3), &linear)?;
    net.pooling(image, pooled, "exc")
        .operation(Operation::Mean)
        .connect_pooling(None)?;
    let smoothed = net.population("smoothed", (48, 64, 3), &linear)?;
    let box_filter = ArrayD::from_elem(IxDyn(&[3, 3, 1]), 1.0f32 / 9.0);
    net.convolution(pooled, smoothed, "exc")
        .connect_filter(&box_filter)?;
    let filtered = net.population("filtered", (48, 64, 3), &linear)?;
    let bank = Array::from_shape_vec(
        (3, 1, 1, 3),
        vec![2.0f32, -1.0, -1.0, -1.0, 2.0, -1.0, -1.0, -1.0, 2.0],
    )
    .expect("3 filters of 1 x 1 x 3")
    .into_dyn();
    net.convolution(smoothed, filtered, "exc")
        .connect_filters(&bank)?;
    let mut sim = net.compile(backend)?;
    let t0 = std::time::Instant::now();
    sim.set_image(image, picture)?;
    sim.simulate(4.0)?;
    common::timings(&sim);
    let pops = [image, pooled, smoothed, filtered];
    println!("{:<40} {:>12}   ANNarchy 5.0.4.1", "", "cajal");
    for ((name, want), &p) in MEANS.iter().zip(&pops) {
        let r = sim.get(p, "r")?;
        for (c, colour) in ["red", "green", "blue"].iter().enumerate() {
            let ch = r.index_axis(ndarray::Axis(2), c);
            let mean = ch.iter().map(|&x| f64::from(x)).sum::<f64>() / ch.len() as f64;
            exact(&format!("{name} mean r ({colour})"), mean, want[c]);
        }
    }
    for ((name, at, want), &p) in SAMPLES.iter().zip(&pops) {
        let r = sim.get(p, "r")?;
        for (c, colour) in ["red", "green", "blue"].iter().enumerate() {
            exact(
                &format!("{name} r at {at:?} ({colour})"),
                f64::from(r[[at[0], at[1], c]]),
                want[c],
            );
        }
    }
    println!("({:?}, {:.2} s)", sim.backend(), t0.elapsed().as_secs_f64());
    #[cfg(feature = "plot")]
    {
        let out = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/nb_image");
        std::fs::create_dir_all(&out).expect("target/ is writable");
        for (name, &p) in ["image", "pooled", "smoothed", "filtered"]
            .iter()
            .zip(&pops)
        {
            let r = sim.get(p, "r")?;
            for (c, colour) in ["r", "g", "b"].iter().enumerate() {
                let ch = r
                    .index_axis(ndarray::Axis(2), c)
                    .into_dimensionality::<ndarray::Ix2>()
                    .expect("a 2-D channel");
                cajal::plot::image(out.join(format!("{name}_{colour}.png")), ch)?;
            }
        }
        println!("channels written to {}", out.display());
    }
    Ok(())
}
