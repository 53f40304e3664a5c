//! The STDP window: 201 pre/post pairs, each with its own lag between the
//! pre-synaptic spike and the post-synaptic spike (-99..101 ms), through
//! ANNarchy's online STDP synapse; the weight change of each pair against
//! the exponentials of ANNarchy's timing, printed and plotted to
//! `stdp_window.png`. The pre spike arrives one step after it is emitted
//! and, as in ANNarchy, meets the post trace as it was at its emission: a
//! post spike in the same step as the pre spike depresses fully (-A_minus
//! at lag 0), one a step later potentiates fully (+A_plus at lag 1)
//! (ANNarchy's own window: tests/data/annarchy/stdp_window).
//!
//! `cargo run --release --example stdp [cpu|gpu|auto] [OUT.png]`

use cajal::models::synapses::stdp;
use cajal::prelude::*;
use plotters::prelude::*;

fn main() -> std::result::Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let backend = match args.next().as_deref() {
        Some("gpu") => Backend::Gpu,
        Some("auto") => Backend::Auto,
        _ => Backend::Cpu,
    };
    let out = args.next().unwrap_or_else(|| "stdp_window.png".into());
    let (tau_plus, tau_minus, a_plus, a_minus) = (20.0f32, 20.0f32, 0.01f32, 0.01f32);
    let n = 201;
    // Neurons firing once, at the time of their parameter `at`.
    let once = Neuron::spiking()
        .parameters("at = -1.0")
        .equations("g = g_exc")
        .spike("t == at");
    let mut net = Network::new().dt(1.0);
    let pre = net.population("pre", n, &once)?;
    let post = net.population("post", n, &once)?;
    // Pre fires at 200 ms and arrives at 201 ms; post k fires at 101 + k.
    net.set(pre, "at", 200.0)?;
    let post_times: Vec<f32> = (0..n).map(|k| 101.0 + k as f32).collect();
    net.set(post, "at", post_times.clone())?;
    let p = net
        .projection(pre, post, "exc")
        .synapse(&stdp(tau_plus, tau_minus, a_plus, a_minus, 0.0, 1.0))
        .connect_one_to_one(Weights::constant(0.5))?;
    let mut sim = net.compile(backend)?;
    sim.simulate(400.0)?;
    let (_, _, w) = sim.synapses(p, "w")?;
    let points: Vec<(f64, f64, f64)> = (0..n)
        .map(|k| {
            // t_post - t_pre, the pre spike emitted at 200 ms.
            let lag = f64::from(post_times[k]) - 200.0;
            let analytic = if lag >= 1.0 {
                f64::from(a_plus) * (-(lag - 1.0) / f64::from(tau_plus)).exp()
            } else {
                -f64::from(a_minus) * (lag / f64::from(tau_minus)).exp()
            };
            (lag, f64::from(w[k]) - 0.5, analytic)
        })
        .collect();
    println!(
        "{:?}: t_post - t_pre (ms), simulated dw, analytic dw",
        sim.backend()
    );
    let mut worst = 0.0f64;
    for &(dt, dw, a) in &points {
        worst = worst.max((dw - a).abs());
        if (dt as i64) % 20 == 0 {
            println!("{dt:>6} {dw:>12.6} {a:>12.6}");
        }
    }
    println!("largest difference from the analytic window: {worst:.2e}");

    let text = cajal::plot::register_font();
    let root = BitMapBackend::new(&out, (800, 500)).into_drawing_area();
    root.fill(&WHITE)?;
    let mut chart = ChartBuilder::on(&root)
        .margin(20)
        .x_label_area_size(40)
        .y_label_area_size(60)
        .build_cartesian_2d(-100.0f64..102.0, -0.012f64..0.012)?;
    // Labels need a font; without one the axes are drawn bare.
    if text {
        chart
            .configure_mesh()
            .x_desc("t_post - t_pre (ms)")
            .y_desc("dw")
            .draw()?;
    }
    chart.draw_series(LineSeries::new(
        points.iter().map(|&(dt, _, a)| (dt, a)),
        &BLUE,
    ))?;
    chart.draw_series(
        points
            .iter()
            .map(|&(dt, dw, _)| Circle::new((dt, dw), 3, RED.filled())),
    )?;
    root.present()?;
    println!("wrote {out}");
    Ok(())
}
