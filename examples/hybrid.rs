//! The hybrid rate/spiking network of Vitay et al. 2015 (Fig. 4), as
//! ANNarchy's hybrid example: a rate-coded neuron drives 1000 Poisson
//! neurons, whose spikes a DecodingProjection (10 ms window) turns back
//! into rates; decoding neuron k reads Poisson neurons 0..=k. The baseline
//! steps through 0, 10, 50, 100 Hz for 250 ms each.
//!
//! Prints the normalized decoding error |r_k - L| / L (averaged over each
//! level) against the number k+1 of neurons decoded, with ANNarchy
//! 5.0.4.1's values for 1000 neurons, and writes `hybrid.svg` (decoded rate
//! of the 1000-neuron decoder over time; error against k+1, log-log).
//!
//! `cargo run --release --example hybrid [cpu|gpu|auto] [OUT.svg]`

use cajal::prelude::*;
use std::fmt::Write as _;
use std::time::Instant;

/// ANNarchy 5.0.4.1, mean of 5 seeds, 1000 neurons.
const ANNARCHY: [(f32, f64); 3] = [(10.0, 0.100), (50.0, 0.051), (100.0, 0.037)];

fn main() -> cajal::Result<()> {
    let mut args = std::env::args().skip(1);
    let backend = match args.next().as_deref() {
        Some("gpu") => Backend::Gpu,
        Some("auto") => Backend::Auto,
        _ => Backend::Cpu,
    };
    let out = args.next().unwrap_or_else(|| "hybrid.svg".into());
    let n = 1000;
    let t0 = Instant::now();
    let (mut net, h) = cajal::networks::hybrid(n, 42)?;
    let m = net.monitor(h.decoded, &["r"])?;
    let mut sim = net.compile(backend)?;
    println!(
        "{} neurons on {:?}, built in {:.3} s",
        2 * n + 1,
        sim.backend(),
        t0.elapsed().as_secs_f64()
    );
    let t1 = Instant::now();
    let mut errors = Vec::new();
    for level in [0.0f32, 10.0, 50.0, 100.0] {
        sim.set(h.input, "baseline", level)?;
        sim.simulate(250.0)?;
        if level > 0.0 {
            let r = sim.recorded(m, "r")?;
            let level_rows = r.slice(ndarray::s![r.nrows() - 2500.., ..]).to_owned();
            errors.push((level, cajal::networks::decoding_error(&level_rows, level)));
        }
    }
    println!("1 s simulated in {:.2} s", t1.elapsed().as_secs_f64());
    println!("normalized error |r_k - L| / L, mean over each 250 ms level:");
    println!(
        "{:>8} {:>8} {:>8} {:>8} {:>8}   ANNarchy (k+1 = 1000)",
        "L (Hz)", "k+1=1", "10", "100", "1000"
    );
    for ((level, e), (_, annarchy)) in errors.iter().zip(ANNARCHY) {
        println!(
            "{level:>8} {:>8.3} {:>8.3} {:>8.3} {:>8.3}   {annarchy:.3}",
            e[0],
            e[9],
            e[99],
            e[n - 1]
        );
    }
    let r = sim.recorded(m, "r")?;
    let trace: Vec<f64> = r.column(n - 1).iter().map(|&x| f64::from(x)).collect();
    std::fs::write(&out, svg(&trace, &errors)).map_err(|e| cajal::Error::Io {
        path: out.clone(),
        source: e,
    })?;
    println!("wrote {out}");
    Ok(())
}

/// Two panels: the decoded rate over time, and the errors against k+1 on
/// log-log axes.
fn svg(trace: &[f64], errors: &[(f32, Vec<f64>)]) -> String {
    let (w, h, pad) = (480.0, 300.0, 40.0);
    let mut s = String::new();
    let _ = writeln!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{}" height="{h}" font-family="sans-serif" font-size="11">"#,
        2.0 * w
    );
    // Left: decoded rate (Hz) over time (s), 0..120 Hz.
    let x = |i: usize| pad + (w - 2.0 * pad) * i as f64 / trace.len().max(1) as f64;
    let y = |v: f64| h - pad - (h - 2.0 * pad) * (v / 120.0).clamp(0.0, 1.0);
    let pts: Vec<String> = trace
        .iter()
        .enumerate()
        .step_by(5)
        .map(|(i, &v)| format!("{:.1},{:.1}", x(i), y(v)))
        .collect();
    let _ = writeln!(
        s,
        r#"<polyline fill="none" stroke="black" stroke-width="0.7" points="{}"/>"#,
        pts.join(" ")
    );
    let _ = writeln!(
        s,
        r#"<text x="{pad}" y="20">decoded rate of 1000 neurons (0-120 Hz) over 1 s</text>"#
    );
    // Right: error against k+1, log-log (1..1000, 0.01..10).
    let lx = |k: usize| w + pad + (w - 2.0 * pad) * (k as f64).log10() / 3.0;
    let ly =
        |e: f64| h - pad - (h - 2.0 * pad) * ((e.max(1e-2).log10() + 2.0) / 3.0).clamp(0.0, 1.0);
    for ((level, e), colour) in errors.iter().zip(["#1b9e77", "#d95f02", "#7570b3"]) {
        let pts: Vec<String> = e
            .iter()
            .enumerate()
            .map(|(k, &v)| format!("{:.1},{:.1}", lx(k + 1), ly(v)))
            .collect();
        let _ = writeln!(
            s,
            r#"<polyline fill="none" stroke="{colour}" points="{}"/>"#,
            pts.join(" ")
        );
        let _ = writeln!(
            s,
            r#"<text x="{:.1}" y="{:.1}" fill="{colour}">{level} Hz</text>"#,
            lx(1000) - 50.0,
            ly(e[e.len() - 1]) - 4.0
        );
    }
    let _ = writeln!(
        s,
        r#"<text x="{}" y="20">error |r - L| / L against k+1 (log-log, 1-1000 x 0.01-10)</text>"#,
        w + pad
    );
    for (x0, x1) in [(pad, w - pad), (w + pad, 2.0 * w - pad)] {
        let _ = writeln!(
            s,
            r#"<rect x="{x0}" y="{pad}" width="{}" height="{}" fill="none" stroke="grey"/>"#,
            x1 - x0,
            h - 2.0 * pad
        );
    }
    s.push_str("</svg>\n");
    s
}
