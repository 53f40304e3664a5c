//! The exchange between thread ranks (`engine::distributed::Threads`):
//! microseconds a round of `all_gather` between ranks that do nothing
//! else, so the round is all there is (a step of a network on thread
//! ranks pays it once per exchange interval). From two ranks to as many
//! as the cores (at most four: more ranks than cores wait for each other
//! by yielding, hundreds of microseconds a round, which thread ranks never
//! do), 8 and 1 024 words a rank (a few spikes; the values of a
//! population); the minimum over rounds of 100 000 exchanges each.
//!
//! `cargo bench --bench exchange [-- ROUNDS]`; results are recorded in
//! BENCHMARKS.md.
use cajal::engine::distributed::Threads;
use std::time::Instant;

fn main() {
    let rounds: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(5);
    const EXCHANGES: usize = 100_000;
    println!("| ranks | words a rank | us per round |\n|---:|---:|---:|");
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    for ranks in 2..=cores.clamp(2, 4) {
        for words in [8usize, 1024] {
            let mut best = f64::MAX;
            for _ in 0..rounds {
                let t = Instant::now();
                Threads::run(ranks, |comm| {
                    let mine = vec![comm.rank() as u32; words];
                    for _ in 0..EXCHANGES {
                        let all = comm.all_gather(&mine)?;
                        assert_eq!(all.len(), ranks);
                    }
                    Ok(())
                })
                .expect("the ranks exchange");
                best = best.min(t.elapsed().as_secs_f64() / EXCHANGES as f64 * 1e6);
            }
            println!("| {ranks} | {words} | {best:.3} |");
        }
    }
}
