//! Native code that meets subnormal numbers runs a make of itself whose
//! f32 products, quotients and square roots that meet them go through f64
//! (`jit::fmul_of`): the same bits, without the processor's slow path.
//!
//! On Intel's processors an f32 multiplication, division or square root
//! with a subnormal operand or result is finished by a microcode assist of
//! some 100 cycles (32 ns a vector on this workplace's Xeon, against 0.13
//! for normal operands; additions, comparisons, conversions, minima and
//! roundings take none). An f32 trace that nothing resets decays into the
//! subnormal range after some 87 time constants and stays there, so that
//! a notebook's state can be subnormal for much of a run (ANNarchy's
//! structural plasticity and SORF, DECISIONS.md). Flushing subnormals to
//! zero would change results, and stays an option
//! (`Network::flush_subnormals`). Widening changes none: a product of two
//! f32 values is exact in f64 and is rounded once to f32, and a quotient's
//! or root's rounding to f64 never changes its rounding to f32 (53 bits
//! are at least twice 24 plus 2). It costs ten instructions where the
//! plain code has one, so only the operations (*sites*) that meet
//! subnormals are widened, only while they do, and only where that is
//! quicker.
//!
//! Whether subnormals are met is told by the processor's sticky exception
//! flags (MXCSR): the denormal-operand flag (an operation read a
//! subnormal) and the underflow flag (one made a tiny result).
//! [`watch_start`] clears them before a call and reads them after it (one
//! call in [`WATCH_EVERY`] of code that has never met any, every call of
//! code that has); the wide code sets them too (its conversions read and
//! make the same subnormals), so a piece of code learns when its
//! subnormals are gone and goes back to the plain code, untimed, after
//! [`CLEAN_CALLS`] calls without. Between, a census tells which sites meet
//! them and the makes are timed ([`Wide`]). The flags are per thread, as
//! the calls are; the choice is shared by the threads that run one piece
//! of code, which changes only its speed. Where the engine flushes
//! subnormals, or the processor computes on them at full speed (AMD's
//! Zen), or the host is not x86-64, nothing is watched and the plain code
//! always runs.

use std::sync::atomic::{
    AtomicBool, AtomicU32, AtomicU64, AtomicU8, AtomicUsize, Ordering::Relaxed,
};
use std::sync::{Arc, OnceLock};

use super::jit::{Code, Widen};

/// Calls without subnormals after which a piece of code that met them is
/// taken to be rid of them (the plain code, untimed, from then on).
pub(crate) const CLEAN_CALLS: u32 = 16;

/// Code that has never met a subnormal has the flags read around one call
/// in this many: reading them waits for the code's last operations, which
/// a small network's step of a few hundred nanoseconds felt (gap junctions
/// 3 %, BCM 8 % slower with every call watched).
pub(crate) const WATCH_EVERY: u32 = 64;

/// Calls of each make timed, the quicker (least time) chosen.
const PROBE_CALLS: u32 = 4;

/// Calls that run the chosen make before both are timed again: the
/// first time, and doubled at each choice that stays the same, up to
/// [`CHOSEN_CALLS_MAX`].
const CHOSEN_CALLS: u32 = 256;

/// The most calls between two timings of both makes.
const CHOSEN_CALLS_MAX: u32 = 1 << 16;

/// Wide makes a piece of code keeps, each for the sites a census found
/// (a census that finds others once these are made keeps the last).
const MAKES: usize = 4;

/// The wide makes of a piece of native code whose entry point is of type
/// `E`, and which make runs.
///
/// Where no subnormal is met, the plain code runs and only the flags are
/// read. Once the code meets one, a census make (the plain code that also
/// notes which of its products, quotients and roots, its *sites*, had a
/// subnormal operand or result) runs once, and the wide make for those
/// sites (made then, the first time) is timed against the plain one (the
/// processor's time-stamp counter over [`PROBE_CALLS`] calls each): the
/// quicker runs for [`CHOSEN_CALLS`] calls (more while the choice stays
/// the same), then the census and the timing are made again. Code whose
/// subnormals come back (a trace that decays anew after each input) runs
/// the wide make chosen last again without timing the plain one, as long
/// as the census finds the same sites. Widening a
/// product costs ten instructions, which a site that meets subnormals
/// repays many times over, and one that never does never repays (SORF's
/// neuron update ran 4 times as long with every site wide). Every make
/// gives the same bits, so the choice, made from times that vary from run
/// to run, changes no result.
pub(super) struct Wide<E> {
    /// Whether the code has met subnormals within the last
    /// [`CLEAN_CALLS`] calls: the makes are then timed and chosen.
    contested: AtomicBool,
    /// Calls of the plain code while uncontested, one in [`WATCH_EVERY`]
    /// watched; every one where the code has met subnormals before
    /// (counted by [`WATCH_EVERY`] then, from 0).
    quiet: AtomicU32,
    /// What `quiet` counts a call: 1, or [`WATCH_EVERY`] once the code
    /// has met subnormals.
    step: AtomicU32,
    /// Whether the next contested call runs the census make.
    census_due: AtomicBool,
    /// Whether the wide make runs at the next call.
    wide: AtomicBool,
    /// Whether the wide make was chosen at the last timing.
    chose_wide: AtomicBool,
    /// Whether the calls now are timed to choose (else the chosen make
    /// runs).
    probing: AtomicBool,
    /// Calls in the current phase (probing a make, or running the chosen
    /// one).
    calls: AtomicU32,
    /// Consecutive calls without subnormals.
    clean: AtomicU32,
    /// Calls the chosen make runs before both are timed again.
    period: AtomicU32,
    /// The least time of a probed call of each make, plain and wide.
    least: [AtomicU64; 2],
    /// The wide make always runs (tests).
    pinned: bool,
    /// One byte a site, set by the census make where the site met a
    /// subnormal.
    census: Box<[AtomicU8]>,
    census_code: OnceLock<Option<(E, Arc<Code>)>>,
    /// The wide makes made, each with its sites, and which is in use
    /// (`usize::MAX`: none).
    makes: [OnceLock<Made<E>>; MAKES],
    current: AtomicUsize,
    make: Arc<Maker<E>>,
}

/// A wide make: its sites, its entry point and its code (`None`: it could
/// not be made).
type Made<E> = (Arc<[bool]>, Option<(E, Arc<Code>)>);

/// Which make a call ran.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ran {
    Plain,
    Wide,
    Census,
}

/// What [`Wide::leave`] needs of its [`Wide::enter`].
#[derive(Debug, Clone, Copy)]
pub(super) struct Entered {
    contested: bool,
    watched: bool,
    probing: bool,
    ran: Ran,
    start: u64,
}

/// What makes a make of the code, as [`Widen`] says.
type Maker<E> = dyn Fn(Widen) -> Option<(E, Arc<Code>)> + Send + Sync;

impl<E: Copy> Wide<E> {
    /// The wide makes of a piece of code of `sites` sites, made by `make`
    /// when first needed.
    pub(super) fn new(
        sites: usize,
        make: impl Fn(Widen) -> Option<(E, Arc<Code>)> + Send + Sync + 'static,
    ) -> Self {
        // Asked now, when code is made, not in a run: `cpuid` traps to
        // the hypervisor in a virtual machine (10 us on this workplace's),
        // a tenth of a small network's whole run (BCM's notebook).
        #[cfg(target_arch = "x86_64")]
        slow_subnormals();
        Self::with(sites, Arc::new(make), false)
    }

    fn with(sites: usize, make: Arc<Maker<E>>, pinned: bool) -> Self {
        Wide {
            // Pinned code takes the contested path, which runs it wide.
            contested: AtomicBool::new(pinned),
            quiet: AtomicU32::new(0),
            step: AtomicU32::new(1),
            census_due: AtomicBool::new(false),
            wide: AtomicBool::new(false),
            chose_wide: AtomicBool::new(false),
            probing: AtomicBool::new(false),
            calls: AtomicU32::new(0),
            clean: AtomicU32::new(0),
            period: AtomicU32::new(CHOSEN_CALLS),
            least: [AtomicU64::new(u64::MAX), AtomicU64::new(u64::MAX)],
            pinned,
            census: (0..sites).map(|_| AtomicU8::new(0)).collect(),
            census_code: OnceLock::new(),
            makes: std::array::from_fn(|_| OnceLock::new()),
            current: AtomicUsize::new(usize::MAX),
            make,
        }
    }

    /// The entry point of the wide make in use, if any.
    fn wide_entry(&self) -> Option<E> {
        let made = self.makes.get(self.current.load(Relaxed))?.get()?;
        made.1.as_ref().map(|m| m.0)
    }

    /// The census make's entry point, made the first time.
    fn census_entry(&self) -> Option<E> {
        let at = self.census.as_ptr() as usize;
        let len = self.census.len();
        self.census_code
            .get_or_init(|| (self.make)(Widen::Census(at, len)))
            .as_ref()
            .map(|m| m.0)
    }

    /// The entry point to call now, `plain`'s or a wide make's, and
    /// what [`leave`](Self::leave) is to be given after the call. The code
    /// that meets no subnormal pays a count a call, and two reads of the
    /// flags every [`WATCH_EVERY`] calls (a small population's update is
    /// called at every step); the rest is out of line.
    #[inline(always)]
    pub(super) fn enter(&self, plain: E) -> (E, Entered) {
        let contested = self.contested.load(Relaxed);
        let (entry, watched, probing, ran) = match contested {
            true => self.pick(plain),
            false => {
                // Code that met subnormals before is watched at every
                // call: they come back (a trace decays again after each
                // spike), and it runs slowly until they are seen.
                let n = self
                    .quiet
                    .load(Relaxed)
                    .wrapping_add(self.step.load(Relaxed));
                self.quiet.store(n, Relaxed);
                let watched = n.is_multiple_of(WATCH_EVERY) && watch_start();
                (plain, watched, false, Ran::Plain)
            }
        };
        // Timed only to choose: a small population's call is a few
        // hundred cycles, and reading the counter twice some fifty.
        let start = if probing { ticks() } else { 0 };
        let entered = Entered {
            contested,
            watched,
            probing,
            ran,
            start,
        };
        (entry, entered)
    }

    /// After the call of what [`enter`](Self::enter) gave.
    #[inline(always)]
    pub(super) fn leave(&self, entered: Entered) {
        if entered.contested {
            let took = match entered.probing {
                true => ticks().wrapping_sub(entered.start),
                false => 0,
            };
            self.after(entered, took);
        } else if entered.watched && watch_met() {
            self.met();
        }
    }

    /// The plain code met subnormals: a census from the next call.
    #[cold]
    #[inline(never)]
    fn met(&self) {
        clear_flags();
        if self.census.is_empty() {
            return;
        }
        self.census_due.store(true, Relaxed);
        self.clean.store(0, Relaxed);
        self.period.store(CHOSEN_CALLS, Relaxed);
        self.step.store(WATCH_EVERY, Relaxed);
        self.quiet.store(0, Relaxed);
        self.contested.store(true, Relaxed);
    }

    /// Timing of the plain make (both times forgotten) or of the wide one
    /// from the next call.
    fn probe(&self, wide: bool) {
        if !wide {
            self.least.iter().for_each(|l| l.store(u64::MAX, Relaxed));
        }
        self.wide.store(wide, Relaxed);
        self.probing.store(true, Relaxed);
        self.calls.store(0, Relaxed);
    }

    /// A contested call's (one of code that met subnormals lately, or is
    /// pinned wide) entry point, whether the flags are watched, whether
    /// the call is timed, and which make it is.
    #[inline(never)]
    fn pick(&self, plain: E) -> (E, bool, bool, Ran) {
        if self.pinned {
            return match self.wide_entry() {
                Some(e) => (e, false, false, Ran::Wide),
                None => (plain, false, false, Ran::Plain),
            };
        }
        if !watch_start() {
            return (plain, false, false, Ran::Plain);
        }
        if self.census_due.load(Relaxed) {
            if let Some(e) = self.census_entry() {
                return (e, true, false, Ran::Census);
            }
        }
        let probing = self.probing.load(Relaxed);
        match self.wide.load(Relaxed).then(|| self.wide_entry()).flatten() {
            Some(e) => (e, true, probing, Ran::Wide),
            None => (plain, true, probing, Ran::Plain),
        }
    }

    /// After a contested call: `took` ticks where it was timed.
    #[inline(never)]
    fn after(&self, entered: Entered, took: u64) {
        if !entered.watched {
            return;
        }
        if watch_met() {
            clear_flags();
            self.clean.store(0, Relaxed);
        } else {
            let clean = self.clean.load(Relaxed) + 1;
            self.clean.store(clean, Relaxed);
            if clean >= CLEAN_CALLS {
                self.wide.store(false, Relaxed);
                self.contested.store(false, Relaxed);
                return;
            }
        }
        if entered.ran == Ran::Census {
            self.counted();
            return;
        }
        let calls = self.calls.load(Relaxed) + 1;
        self.calls.store(calls, Relaxed);
        if entered.probing {
            let wide = entered.ran == Ran::Wide;
            self.least[usize::from(wide)].fetch_min(took, Relaxed);
            if calls >= PROBE_CALLS {
                if wide || self.wide_entry().is_none() {
                    self.choose();
                } else {
                    self.probe(true);
                }
            }
        } else if calls >= self.period.load(Relaxed) {
            self.census_due.store(true, Relaxed);
        }
    }

    /// After a census: the wide make for the sites it found (made the
    /// first time), to be timed against the plain one; none found (the
    /// flags were raised by operations that cost nothing on subnormals,
    /// additions and comparisons), the plain code, untimed, still watched
    /// at every call. Backing off to one call in [`WATCH_EVERY`] after an
    /// empty census (or after eight in a row) made structural
    /// plasticity's notebook 11-17 % slower: a census sees one call.
    fn counted(&self) {
        self.census_due.store(false, Relaxed);
        let sites: Arc<[bool]> = self
            .census
            .iter()
            .map(|c| c.swap(0, Relaxed) != 0)
            .collect();
        if !sites.iter().any(|&s| s) {
            self.wide.store(false, Relaxed);
            self.contested.store(false, Relaxed);
            return;
        }
        let found = self
            .makes
            .iter()
            .position(|m| m.get().is_none_or(|m| m.0 == sites))
            .unwrap_or(MAKES - 1);
        self.makes[found].get_or_init(|| (sites.clone(), (self.make)(Widen::Sites(sites.clone()))));
        let same = self.current.swap(found, Relaxed) == found;
        if same && self.chose_wide.load(Relaxed) {
            // The make the last timing chose, for the same sites: run
            // again without timing the plain one (its calls are those
            // that meet the assists) until the period ends.
            self.wide.store(true, Relaxed);
            self.probing.store(false, Relaxed);
            self.calls.store(0, Relaxed);
        } else {
            self.probe(false);
        }
    }

    /// The quicker make from the times probed, to run for a period twice
    /// the last if it was chosen then too.
    fn choose(&self) {
        let [p, w] = &self.least;
        let wide = w.load(Relaxed) < p.load(Relaxed);
        let period = match wide == self.chose_wide.load(Relaxed) {
            true => (self.period.load(Relaxed) * 2).min(CHOSEN_CALLS_MAX),
            false => CHOSEN_CALLS,
        };
        self.period.store(period, Relaxed);
        self.chose_wide.store(wide, Relaxed);
        self.wide.store(wide, Relaxed);
        self.probing.store(false, Relaxed);
        self.calls.store(0, Relaxed);
    }

    /// Whether the code has met subnormals lately (its makes are timed).
    #[cfg(test)]
    pub(super) fn is_contested(&self) -> bool {
        self.contested.load(Relaxed)
    }

    /// Another of the same code that runs the make `widen` says at every
    /// call (tests compare it with the plain code and the interpreter):
    /// `None` where it cannot be made.
    #[cfg(test)]
    pub(super) fn pinned(&self, widen: Widen) -> Option<Wide<E>> {
        let pinned = Self::with(self.census.len(), self.make.clone(), true);
        let made = (pinned.make)(widen)?;
        pinned.makes[0].get_or_init(|| (Arc::from([]), Some(made)));
        pinned.current.store(0, Relaxed);
        Some(pinned)
    }

    /// The sites of the code.
    #[cfg(test)]
    pub(super) fn sites(&self) -> usize {
        self.census.len()
    }
}

/// The processor's time-stamp counter (0 elsewhere than x86-64, where
/// nothing is timed: [`watch_start`] is false).
#[inline]
fn ticks() -> u64 {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: reads the time-stamp counter, nothing else.
    unsafe {
        std::arch::x86_64::_rdtsc()
    }
    #[cfg(not(target_arch = "x86_64"))]
    0
}

/// MXCSR's denormal-operand and underflow flags.
#[cfg(target_arch = "x86_64")]
const FLAGS: u32 = (1 << 1) | (1 << 4);
/// MXCSR's flush-to-zero and denormals-are-zero modes.
#[cfg(target_arch = "x86_64")]
const FLUSHING: u32 = (1 << 15) | (1 << 6);

#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn mxcsr() -> u32 {
    let mut m = std::mem::MaybeUninit::<u32>::uninit();
    // SAFETY: stores the control and status register into `m`, nothing
    // else, which initialises it.
    unsafe {
        std::arch::asm!("stmxcsr [{}]", in(reg) m.as_mut_ptr(), options(nostack, preserves_flags));
        m.assume_init()
    }
}

#[cfg(target_arch = "x86_64")]
fn set_mxcsr(m: u32) {
    // SAFETY: `m` is the register as read, less sticky flags: the
    // rounding and flushing modes and the exception masks are unchanged.
    unsafe { std::arch::asm!("ldmxcsr [{}]", in(reg) &m, options(nostack, readonly)) };
}

/// Whether the flags are watched on this thread now, cleared (of what
/// ran before on the thread) where they are: not where the thread
/// flushes subnormals, nor where the processor computes on subnormals at
/// full speed ([`slow_subnormals`]).
#[inline]
fn watch_start() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        let m = mxcsr();
        (m & (FLUSHING | FLAGS) == 0 && slow_subnormals()) || watch_start_cold(m)
    }
    #[cfg(not(target_arch = "x86_64"))]
    false
}

/// Whether the processor takes a slow path for subnormal operands: x86-64
/// processors but AMD's Zen and its Hygon derivatives, which compute on
/// them at nearly full speed (measured on an EPYC, sessions 14-22 of
/// issue 24: SORF, whose traces sit in the subnormal range, as fast as
/// with flushing). Elsewhere the plain code always runs, with no timing
/// and no wide code made.
#[cfg(target_arch = "x86_64")]
pub(super) fn slow_subnormals() -> bool {
    static SLOW: OnceLock<bool> = OnceLock::new();
    *SLOW.get_or_init(|| {
        // Leaf 0: the vendor's name, on every x86-64 processor.
        let id = std::arch::x86_64::__cpuid(0);
        let vendor: Vec<u8> = [id.ebx, id.edx, id.ecx]
            .iter()
            .flat_map(|r| r.to_le_bytes())
            .collect();
        !matches!(&vendor[..], b"AuthenticAMD" | b"HygonGenuine")
    })
}

/// [`watch_start`] where a flag is set or the thread flushes.
#[cfg(target_arch = "x86_64")]
#[cold]
#[inline(never)]
fn watch_start_cold(m: u32) -> bool {
    if m & FLUSHING != 0 || !slow_subnormals() {
        return false;
    }
    set_mxcsr(m & !FLAGS);
    true
}

/// Whether an operation since [`watch_start`] read a subnormal or made a
/// tiny result.
#[inline]
fn watch_met() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        mxcsr() & FLAGS != 0
    }
    #[cfg(not(target_arch = "x86_64"))]
    false
}

/// Clears the flags.
fn clear_flags() {
    #[cfg(target_arch = "x86_64")]
    set_mxcsr(mxcsr() & !FLAGS);
}

/// Whether code is watched for subnormals on this host: where it is not,
/// it runs plain, untimed.
#[cfg(test)]
pub(crate) fn watched_here() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        slow_subnormals()
    }
    #[cfg(not(target_arch = "x86_64"))]
    false
}
