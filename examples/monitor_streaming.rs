//! Memory of a long recording, in memory against streamed to disk
//! (`Simulation::stream_to`): the microcircuit at scale 0.1 with every
//! spike of its 8 populations recorded, simulated in 10 s pieces; prints
//! the process's resident memory after each piece and its peak.
//!
//! `cargo run --release --example monitor_streaming -- SECONDS [stream]`

use cajal::networks::{microcircuit, Background};
use cajal::prelude::*;

fn rss_mb(field: &str) -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

fn main() -> cajal::Result<()> {
    let mut args = std::env::args().skip(1);
    let seconds: u64 = args.next().and_then(|s| s.parse().ok()).unwrap_or(60);
    let stream = args.next().as_deref() == Some("stream");
    let (mut net, pops) = microcircuit(0.1, Background::Poisson, 0.1, 1)?;
    let monitors = pops
        .iter()
        .map(|&p| net.monitor(p, &["spike"]))
        .collect::<cajal::Result<Vec<_>>>()?;
    let mut sim = net.compile(Backend::Cpu)?;
    let dir = std::env::temp_dir().join(format!("cajal-stream-{}", std::process::id()));
    if stream {
        for (k, &m) in monitors.iter().enumerate() {
            sim.stream_to(m, dir.join(format!("pop{k}")))?;
        }
    }
    let mut spikes = 0usize;
    for s in 0..seconds / 10 {
        sim.simulate(10_000.0)?;
        if !stream {
            spikes = monitors
                .iter()
                .map(|&m| sim.spikes(m).map_or(0, |v| v.len()))
                .sum();
        }
        println!("{:>5} s: resident {:.0} MB", (s + 1) * 10, rss_mb("VmRSS:"));
    }
    if stream {
        for (k, &m) in monitors.iter().enumerate() {
            sim.stop_streaming(m)?;
            spikes += cajal::io::read_recording(dir.join(format!("pop{k}")))?
                .spikes
                .len();
        }
        std::fs::remove_dir_all(&dir).ok();
    }
    println!(
        "{} s, {} spikes recorded, {}: peak resident {:.0} MB",
        seconds,
        spikes,
        if stream { "streamed" } else { "in memory" },
        rss_mb("VmHWM:")
    );
    Ok(())
}
