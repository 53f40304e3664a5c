//! Subnormal numbers flushed to zero ([`Network::flush_subnormals`]): the
//! engine's steps run on a pool of its own whose threads compute with the
//! processor's flush-to-zero and denormals-are-zero modes, so that every
//! thread a step uses treats subnormals alike, whatever else runs on the
//! process's other pools.
//!
//! [`Network::flush_subnormals`]: crate::network::Network::flush_subnormals

use crate::error::{Error, Result};

/// The flush-to-zero (bit 15) and denormals-are-zero (bit 6) bits of MXCSR.
#[cfg(target_arch = "x86_64")]
const FTZ_DAZ: u32 = 0x8040;

/// A pool of `threads` threads that flush subnormals to zero; `None` where
/// the processor has no such mode this engine sets (not x86-64).
pub(crate) fn pool(threads: usize) -> Result<Option<rayon::ThreadPool>> {
    if !cfg!(target_arch = "x86_64") {
        return Ok(None);
    }
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads.max(1))
        .thread_name(|i| format!("cajal-flush-{i}"))
        .start_handler(|_| flush_here())
        .build()
        .map(Some)
        .map_err(|e| Error::invalid("CPU engine threads", e.to_string()))
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
        let pool = super::pool(1).unwrap().unwrap();
        assert_eq!(pool.install(products), (0.0, 0.0, 0.0));
        let here = products();
        assert!(here.0 > 0.0 && here.1 == sub && here.2 > sub, "{here:?}");
    }
}
