//! Memory the machine can give, and the checks that turn a network, a
//! monitor or a run too large for it into an error naming the object,
//! instead of an abort (`memory allocation of N bytes failed`) or the
//! kernel's out-of-memory killer part-way through.
//!
//! Two guards, because neither is enough alone. Estimates are checked
//! against [`available`] before anything is allocated, since Linux
//! overcommits: a large zeroed vector is granted at once and only kills the
//! process when its pages are touched. Large buffers are also allocated
//! with `try_reserve` (`try_vec`), which catches what an estimate
//! missed and what the allocator refuses outright.

use crate::error::{Error, Result};

/// Bytes of memory this process can still use, as the operating system
/// reports it: Linux's `MemAvailable` plus free swap, or the room left
/// under a cgroup's `memory.max` when that is lower; `None` where nothing
/// says (other systems), in which case only failed allocations are
/// caught. `CAJAL_MEMORY_LIMIT` (bytes, or with a K, M, G or T suffix)
/// sets a lower cap, to keep a run within a share of a shared machine.
///
/// ```
/// if let Some(bytes) = cajal::memory::available() {
///     assert!(bytes > 0);
/// }
/// ```
pub fn available() -> Option<u64> {
    let limit = std::env::var("CAJAL_MEMORY_LIMIT").ok();
    let best = probe(limit.as_deref());
    if let Ok(mut last) = LAST.lock() {
        *last = best.map(|b| (b, std::time::Instant::now(), limit));
    }
    best
}

/// The last reading of [`available`]: its bytes, when it was taken, and
/// the `CAJAL_MEMORY_LIMIT` it was taken under.
static LAST: std::sync::Mutex<Option<(u64, std::time::Instant, Option<String>)>> =
    std::sync::Mutex::new(None);

/// How old a reading of [`available`] may be for [`surely_fits`].
const FRESH: std::time::Duration = std::time::Duration::from_secs(1);

/// Whether `bytes` is under a quarter of a reading of [`available`] taken
/// in the last second under the same `CAJAL_MEMORY_LIMIT`: then it fits
/// without reading the system's files again. A program that simulates in
/// many short calls (a trial at a time) checks its recording before each,
/// and reading `/proc/meminfo` and the cgroup's files cost more than a
/// short call's steps. Memory that shrinks by three quarters within a
/// second is what this lets through; the allocations themselves are still
/// guarded ([`try_vec`]).
pub(crate) fn surely_fits(bytes: f64) -> bool {
    let Ok(last) = LAST.lock() else {
        return false;
    };
    let Some((avail, when, limit)) = last.as_ref() else {
        return false;
    };
    bytes < *avail as f64 / 4.0
        && when.elapsed() < FRESH
        && std::env::var("CAJAL_MEMORY_LIMIT").ok() == *limit
}

/// What [`available`] reads, with `CAJAL_MEMORY_LIMIT` as `limit`.
fn probe(limit: Option<&str>) -> Option<u64> {
    let mut best: Option<u64> = None;
    let mut lower = |v: u64| best = Some(best.map_or(v, |b| b.min(v)));
    if let Ok(info) = std::fs::read_to_string("/proc/meminfo") {
        let field = |name: &str| {
            info.lines()
                .find_map(|l| l.strip_prefix(name))
                .and_then(|rest| {
                    rest.trim()
                        .trim_end_matches("kB")
                        .trim()
                        .parse::<u64>()
                        .ok()
                })
                .map(|kb| kb * 1024)
        };
        if let Some(avail) = field("MemAvailable:") {
            lower(avail + field("SwapFree:").unwrap_or(0));
        }
    }
    let cgroup = |f: &str| {
        std::fs::read_to_string(format!("/sys/fs/cgroup/{f}"))
            .ok()
            .and_then(|s| s.trim().parse::<u64>().ok())
    };
    if let (Some(max), Some(cur)) = (cgroup("memory.max"), cgroup("memory.current")) {
        lower(max.saturating_sub(cur));
    }
    if let Some(cap) = limit.and_then(parse_size) {
        lower(cap);
    }
    best
}

/// `"512M"`, `"2G"`, `"1000000"`: bytes.
fn parse_size(s: &str) -> Option<u64> {
    let s = s.trim();
    let (num, mult) = match s.chars().last()?.to_ascii_uppercase() {
        'K' => (&s[..s.len() - 1], 1u64 << 10),
        'M' => (&s[..s.len() - 1], 1 << 20),
        'G' => (&s[..s.len() - 1], 1 << 30),
        'T' => (&s[..s.len() - 1], 1 << 40),
        _ => (s, 1),
    };
    let v: f64 = num.trim().parse().ok()?;
    (v.is_finite() && v >= 0.0).then_some((v * mult as f64) as u64)
}

/// A size for people: `1.5 GiB`.
pub(crate) fn human(bytes: u64) -> String {
    const UNITS: [&str; 6] = ["bytes", "KiB", "MiB", "GiB", "TiB", "PiB"];
    let mut v = bytes as f64;
    let mut u = 0;
    while v >= 1024.0 && u + 1 < UNITS.len() {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 {
        format!("{bytes} bytes")
    } else {
        format!("{v:.1} {}", UNITS[u])
    }
}

/// Refuses `bytes` (an estimate; f64 so that no product of counts
/// overflows on the way) for `owner` when it exceeds what is
/// [`available`].
pub(crate) fn check(owner: &str, what: &str, bytes: f64, advice: &str) -> Result<()> {
    if surely_fits(bytes) {
        return Ok(());
    }
    let Some(avail) = available() else {
        return Ok(());
    };
    if bytes > avail as f64 {
        return Err(Error::Memory {
            owner: owner.to_string(),
            what: what.to_string(),
            bytes: bytes.min(u64::MAX as f64) as u64,
            available: avail,
            advice: advice.to_string(),
        });
    }
    Ok(())
}

/// `vec![value; n]`, or an error naming `owner` when the allocator
/// refuses it (an overflowing size included).
pub(crate) fn try_vec<T: Clone>(n: usize, value: T, owner: &str, what: &str) -> Result<Vec<T>> {
    let bytes = (n as u128 * std::mem::size_of::<T>() as u128).min(u64::MAX as u128) as u64;
    let mut v = Vec::new();
    v.try_reserve_exact(n).map_err(|_| Error::Memory {
        owner: owner.to_string(),
        what: what.to_string(),
        bytes,
        available: available().unwrap_or(0),
        advice: "the allocation was refused".into(),
    })?;
    v.resize(n, value);
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A request far under a fresh reading fits without another; one
    /// near or past it is read again (and refused where it is past).
    #[test]
    fn a_recent_reading_answers_only_requests_far_under_it() {
        let Some(avail) = available() else {
            return;
        };
        let avail = avail as f64;
        assert!(surely_fits(avail / 8.0));
        assert!(!surely_fits(avail / 2.0));
        assert!(!surely_fits(avail * 2.0));
        let refused = check("a test", "twice the memory", avail * 2.0, "none");
        assert!(matches!(refused, Err(Error::Memory { .. })), "{refused:?}");
    }

    #[test]
    fn sizes_are_parsed_and_written() {
        assert_eq!(parse_size("512M"), Some(512 << 20));
        assert_eq!(parse_size("2g"), Some(2 << 30));
        assert_eq!(parse_size("1000"), Some(1000));
        assert_eq!(parse_size("x"), None);
        assert_eq!(human(1536 << 20), "1.5 GiB");
        assert_eq!(human(12), "12 bytes");
    }
}
