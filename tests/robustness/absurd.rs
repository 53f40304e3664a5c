//! Absurd sizes under a memory cap, each in a child process: this test
//! binary run again with `CAJAL_ROBUSTNESS_CHILD=<case>` (which `main`
//! hands to [`child`] before the harness starts), `CAJAL_MEMORY_LIMIT=256M`
//! (what `cajal::memory::available` honours) and, where `sh` and `ulimit
//! -v` exist, a hard cap of 2 GiB of address space, so that nothing a case
//! does can disturb the other tests or the machine. The child runs one
//! case and prints its outcome; the parent asserts that it exited normally
//! (no abort, no kill), that the case was refused with an error naming what
//! is too large, and that the child's peak resident memory stayed under the
//! cap: the sizes are refused before anything is allocated.

use std::process::Command;

use cajal::prelude::*;

use crate::common::tests;

tests! {
    cpu: [absurd_sizes_are_refused_in_a_capped_child],
}

/// The environment variable that makes the binary a child.
pub const CHILD: &str = "CAJAL_ROBUSTNESS_CHILD";
const LIMIT: &str = "256M";
/// The hard cap of the child's address space (KiB, for `ulimit -v`).
const ADDRESS_SPACE_KIB: u64 = 2 << 20;

/// Each case: its name, what its error must say.
pub const CASES: &[(&str, &str)] = &[
    ("population of 2^31 neurons", "of memory"),
    ("population of 2^30 neurons in a cube", "of memory"),
    ("geometry of 10^5 x 10^5", "more than 2^32 - 1 neurons"),
    (
        "geometry whose size overflows",
        "more than 2^32 - 1 neurons",
    ),
    ("all-to-all 20000 x 20000", "of memory"),
    ("fixed probability 1 on 20000 x 20000", "of memory"),
    ("fixed_number_pre 20000 of 20000 x 20000", "of memory"),
    (
        "fixed_number_pre larger than the population",
        "fixed_number_pre",
    ),
    ("fixed_number_post 20000 of 20000 x 20000", "of memory"),
    ("spiking delay of 4e8 ms", "of memory"),
    ("rate-coded delay of 4e8 ms", "of memory"),
    ("procedural delay of 4e8 ms", "65535 steps"),
    (
        "procedural delays of 6e4 ms onto 20000 neurons",
        "of memory",
    ),
    ("monitor of 10^6 neurons over 10^5 steps", "of memory"),
    ("firing-rate window of 4e8 ms", "window"),
    ("decoding window of 4e8 ms", "window"),
    ("gaussian connector on 20000 x 20000", "of memory"),
    ("monitor of 1 neuron over 10^13 steps", "of memory"),
    (
        "monitor of 10^4 neurons: short calls, then 10^4 steps",
        "of memory",
    ),
    ("monitor of 10^6 synapses over 10^5 steps", "of memory"),
    ("batch whose size overflows", "of memory"),
    ("batch of 4 x 10^8 copies", "of memory"),
];

fn rate() -> Neuron {
    Neuron::rate().equations("r = sum(exc)")
}

fn lif() -> Neuron {
    Neuron::spiking()
        .equations("dv/dt = 0.1 + g_exc")
        .spike("v > 1.0")
        .reset("v = 0.0")
}

/// Two populations of `n` rate-coded neurons.
fn pair(n: usize) -> cajal::Result<(Network, PopId, PopId)> {
    let mut net = Network::new();
    let a = net.population("a", n, &rate())?;
    let b = net.population("b", n, &rate())?;
    Ok((net, a, b))
}

/// Runs one case; `Ok(())` means it was accepted.
fn run(case: &str) -> cajal::Result<()> {
    match case {
        "population of 2^31 neurons" => {
            Network::new().population("huge", 1usize << 31, &rate())?;
        }
        "population of 2^30 neurons in a cube" => {
            Network::new().population("cube", (1024, 1024, 1024), &rate())?;
        }
        "geometry of 10^5 x 10^5" => {
            Network::new().population("sheet", (100_000, 100_000), &rate())?;
        }
        "geometry whose size overflows" => {
            Network::new().population("overflow", (1usize << 40, 1usize << 40), &rate())?;
        }
        "all-to-all 20000 x 20000" => {
            let (mut net, a, b) = pair(20_000)?;
            net.projection(a, b, "exc").connect_all_to_all(1.0)?;
        }
        "fixed probability 1 on 20000 x 20000" => {
            let (mut net, a, b) = pair(20_000)?;
            net.projection(a, b, "exc")
                .connect_fixed_probability(1.0, 1.0)?;
        }
        "fixed_number_pre 20000 of 20000 x 20000" => {
            let (mut net, a, b) = pair(20_000)?;
            net.projection(a, b, "exc")
                .connect_fixed_number_pre(20_000, 1.0)?;
        }
        "fixed_number_pre larger than the population" => {
            let (mut net, a, b) = pair(1000)?;
            net.projection(a, b, "exc")
                .connect_fixed_number_pre(1 << 40, 1.0)?;
        }
        "fixed_number_post 20000 of 20000 x 20000" => {
            let (mut net, a, b) = pair(20_000)?;
            net.projection(a, b, "exc")
                .connect_fixed_number_post(20_000, 1.0)?;
        }
        "spiking delay of 4e8 ms" => {
            let mut net = Network::new().dt(1.0);
            let s = net.population("s", 100, &lif())?;
            net.projection(s, s, "exc")
                .delays(4e8)
                .connect_fixed_number_pre(2, 0.1)?;
            net.compile(Backend::Cpu)?;
        }
        "rate-coded delay of 4e8 ms" => {
            let (mut net, a, b) = pair(100)?;
            net.projection(a, b, "exc")
                .delays(4e8)
                .connect_one_to_one(1.0)?;
            net.compile(Backend::Cpu)?;
        }
        "procedural delay of 4e8 ms" => {
            let mut net = Network::new().dt(1.0);
            let s = net.population("s", 100, &lif())?;
            net.projection(s, s, "exc")
                .delays(Delays::random(Dist::uniform(1.0, 4e8)))
                .connect_fixed_probability_procedural(0.1, 0.1)?;
            net.compile(Backend::Cpu)?;
        }
        "procedural delays of 6e4 ms onto 20000 neurons" => {
            let mut net = Network::new().dt(1.0);
            let a = net.population("a", 100, &lif())?;
            let b = net.population("b", 20_000, &lif())?;
            net.projection(a, b, "exc")
                .delays(Delays::random(Dist::uniform(1.0, 6e4)))
                .connect_fixed_probability_procedural(0.1, 0.1)?;
            net.compile(Backend::Cpu)?;
        }
        "monitor of 10^6 neurons over 10^5 steps" => {
            let mut net = Network::new().dt(1.0);
            let p = net.population("p", 1_000_000, &rate())?;
            net.monitor(p, &["r"])?;
            net.compile(Backend::Cpu)?.simulate(1e5)?;
        }
        "firing-rate window of 4e8 ms" => {
            let mut net = Network::new().dt(1.0);
            let s = net.population("s", 100, &lif())?;
            net.compute_firing_rate(s, 4e8)?;
            net.compile(Backend::Cpu)?;
        }
        "decoding window of 4e8 ms" => {
            let mut net = Network::new().dt(1.0);
            let s = net.population("s", 100, &lif())?;
            let r = net.population("r", 100, &rate())?;
            net.decoding_projection(s, r, "exc", 4e8)
                .connect_one_to_one(1.0)?;
            net.compile(Backend::Cpu)?;
        }
        "gaussian connector on 20000 x 20000" => {
            let mut net = Network::new();
            let a = net.population("a", (200, 100), &rate())?;
            let b = net.population("b", (200, 100), &rate())?;
            net.projection(a, b, "exc")
                .connect_gaussian(1.0, 10.0, 0.0)?;
        }
        "monitor of 1 neuron over 10^13 steps" => {
            let mut net = Network::new().dt(1.0);
            let p = net.population("p", 1, &rate())?;
            net.monitor(p, &["r"])?;
            net.compile(Backend::Cpu)?.simulate(1e13)?;
        }
        // The short calls' checks pass on a recent reading of the memory
        // (without reading it again); the long one's must not.
        "monitor of 10^4 neurons: short calls, then 10^4 steps" => {
            let mut net = Network::new().dt(1.0);
            let p = net.population("p", 10_000, &rate())?;
            net.monitor(p, &["r"])?;
            let mut sim = net.compile(Backend::Cpu)?;
            for _ in 0..3 {
                sim.simulate(10.0)?;
            }
            sim.simulate(1e4)?;
        }
        "monitor of 10^6 synapses over 10^5 steps" => {
            let (mut net, a, b) = pair(1000)?;
            let proj = net.projection(a, b, "exc").connect_all_to_all(1.0)?;
            net.monitor_projection(proj, None, &["w"], 1.0)?;
            net.compile(Backend::Cpu)?.simulate(1e5)?;
        }
        "batch whose size overflows" => {
            let mut net = Network::new();
            net.population("p", 10, &rate())?;
            net.compile_batched(Backend::Cpu, usize::MAX / 2)?;
        }
        "batch of 4 x 10^8 copies" => {
            let mut net = Network::new();
            net.population("p", 10, &rate())?;
            net.compile_batched(Backend::Cpu, 400_000_000)?;
        }
        other => panic!("no absurd case named '{other}'"),
    }
    Ok(())
}

/// The child's peak resident memory (KiB), where Linux says.
fn peak_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// The child: runs `case`, prints `outcome: refused|accepted|panicked:
/// <message>` and `peak: <KiB>`, and exits 0 (an abort or a kill is what
/// the parent looks for).
pub fn child(case: &str) -> ! {
    let outcome = std::panic::catch_unwind(|| run(case));
    match outcome {
        Ok(Err(e)) => println!("outcome: refused: {}", e.to_string().replace('\n', " ")),
        Ok(Ok(())) => println!("outcome: accepted"),
        Err(p) => {
            let msg = p
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            println!("outcome: panicked: {msg}");
        }
    }
    if let Some(kib) = peak_kib() {
        println!("peak: {kib}");
    }
    std::process::exit(0)
}

/// The child process for `case`, capped.
fn spawn(case: &str, hard_cap: bool) -> std::io::Result<std::process::Output> {
    let exe = std::env::current_exe()?;
    let mut cmd = if hard_cap {
        let mut c = Command::new("sh");
        c.arg("-c")
            .arg(format!(
                "ulimit -v {ADDRESS_SPACE_KIB} || exit 97; exec \"$0\""
            ))
            .arg(&exe);
        c
    } else {
        Command::new(&exe)
    };
    cmd.env(CHILD, case)
        .env("CAJAL_MEMORY_LIMIT", LIMIT)
        // One rayon thread: the child's work is the refusal.
        .env("RAYON_NUM_THREADS", "1")
        .output()
}

fn absurd_sizes_are_refused_in_a_capped_child() {
    let mut failures = Vec::new();
    let mut capped = cfg!(unix);
    let mut refused = 0;
    for (case, says) in CASES {
        let mut out = spawn(case, capped);
        if capped && out.as_ref().is_ok_and(|o| o.status.code() == Some(97)) {
            eprintln!(
                "robustness: `ulimit -v` is not available: the children run without a hard cap"
            );
            capped = false;
            out = spawn(case, false);
        }
        let out = match out {
            Ok(o) => o,
            Err(e) => {
                failures.push(format!("{case}: the child did not start: {e}"));
                continue;
            }
        };
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        if !out.status.success() {
            failures.push(format!(
                "{case}: the child ended with {} (an abort or a kill):\n{stdout}{stderr}",
                out.status
            ));
            continue;
        }
        let outcome = stdout
            .lines()
            .find_map(|l| l.strip_prefix("outcome: "))
            .unwrap_or("(none)");
        let peak = stdout
            .lines()
            .find_map(|l| l.strip_prefix("peak: "))
            .and_then(|k| k.parse::<u64>().ok());
        eprintln!(
            "robustness: absurd: {case}: {outcome} (peak {} MiB)",
            peak.map_or("?".into(), |k| (k >> 10).to_string())
        );
        match outcome.strip_prefix("refused: ") {
            Some(msg) if msg.contains(says) => refused += 1,
            Some(msg) => failures.push(format!(
                "{case}: refused, but the error does not say '{says}': {msg}"
            )),
            None => failures.push(format!("{case}: {outcome} (it must be refused)\n{stderr}")),
        }
        if let Some(kib) = peak {
            if kib > 256 << 10 {
                failures.push(format!(
                    "{case}: refused, but only after the child's memory peaked at {} MiB",
                    kib >> 10
                ));
            }
        }
    }
    eprintln!(
        "robustness: absurd sizes: {} cases in capped children ({LIMIT}{}), {refused} refused, {} failures",
        CASES.len(),
        if capped { ", 2 GiB of address space" } else { "" },
        failures.len()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
