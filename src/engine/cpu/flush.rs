//! Subnormal numbers flushed to zero ([`Network::flush_subnormals`]): the
//! engine's steps run on a pool whose threads compute with the
//! processor's flush-to-zero and denormals-are-zero modes, so that every
//! thread a step uses treats subnormals alike, whatever else runs on the
//! process's other pools.
//!
//! [`Network::flush_subnormals`]: crate::network::Network::flush_subnormals

use std::sync::{Arc, Mutex};

use crate::error::{Error, Result};

/// The flush-to-zero (bit 15) and denormals-are-zero (bit 6) bits of MXCSR.
#[cfg(target_arch = "x86_64")]
const FTZ_DAZ: u32 = 0x8040;

/// A pool of `threads` threads that flush subnormals to zero, for an
/// engine that runs as a rank of a distributed run a pool of its `own`
/// (its steps wait for the other ranks', which must not wait for a thread
/// of a shared pool), else the one every such engine shares for that
/// number of threads, as engines share rayon's global pool (so that the
/// many engines of a `parallel_run` add no threads each); `None` where
/// the processor has no such mode this engine sets (not x86-64).
pub(crate) fn pool(threads: usize, own: bool) -> Result<Option<Arc<rayon::ThreadPool>>> {
    if !cfg!(target_arch = "x86_64") {
        return Ok(None);
    }
    let threads = threads.max(1);
    let build = || {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .thread_name(|i| format!("cajal-flush-{i}"))
            .start_handler(|_| flush_here())
            .build()
            .map(Arc::new)
            .map_err(|e| Error::invalid("CPU engine threads", e.to_string()))
    };
    if own {
        return build().map(Some);
    }
    static SHARED: Mutex<Vec<(usize, Arc<rayon::ThreadPool>)>> = Mutex::new(Vec::new());
    let mut shared = SHARED.lock().unwrap_or_else(|e| e.into_inner());
    if let Some((_, p)) = shared.iter().find(|(n, _)| *n == threads) {
        return Ok(Some(p.clone()));
    }
    let p = build()?;
    shared.push((threads, p.clone()));
    Ok(Some(p))
}

/// Sets this thread's flush-to-zero and denormals-are-zero modes, for good:
/// only the pool's own threads call it, at their start.
fn flush_here() {
    #[cfg(target_arch = "x86_64")]
    {
        let mut csr: u32 = 0;
        // SAFETY: stmxcsr stores the 4-byte MXCSR at the address given,
        // that of a live u32. Setting the two bits changes no memory and
        // no register the compiler relies on; what it changes is the
        // result of floating-point operations with subnormal operands or
        // results on this thread, the option's purpose. The compiler
        // assumes the default floating-point environment where it computes
        // at compile time: such values keep IEEE subnormals, a difference
        // below 2^-126 that the option's contract allows.
        unsafe {
            std::arch::asm!("stmxcsr [{}]", in(reg) &mut csr, options(nostack, preserves_flags));
            csr |= FTZ_DAZ;
            std::arch::asm!("ldmxcsr [{}]", in(reg) &csr, options(nostack, preserves_flags, readonly));
        }
    }
}

#[cfg(test)]
mod tests {
    /// The pool's threads flush a subnormal product to zero and read a
    /// subnormal operand as zero; the thread that made it does neither.
    #[test]
    #[cfg(target_arch = "x86_64")]
    fn the_pools_threads_flush_subnormals_and_no_other() {
        let tiny = std::hint::black_box(f32::MIN_POSITIVE);
        let half = std::hint::black_box(0.5f32);
        let sub = std::hint::black_box(f32::from_bits(1));
        let products = || (tiny * half, sub + 0.0, sub * 2.0);
        let pool = super::pool(1, true).unwrap().unwrap();
        assert_eq!(pool.install(products), (0.0, 0.0, 0.0));
        let here = products();
        assert!(here.0 > 0.0 && here.1 == sub && here.2 > sub, "{here:?}");
        // Engines that are not ranks share one pool per size.
        let (a, b) = (
            super::pool(3, false).unwrap().unwrap(),
            super::pool(3, false).unwrap().unwrap(),
        );
        assert!(std::sync::Arc::ptr_eq(&a, &b));
        assert_eq!(a.install(products), (0.0, 0.0, 0.0));
    }
}
