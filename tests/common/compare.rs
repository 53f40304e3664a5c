//! Closeness, one definition for every test binary: a [`Tol`] says how
//! close two numbers must be, [`close`] checks a pair, [`assert_close`] two
//! sequences or arrays (same shape, every element), and [`lockstep`] steps
//! simulations together and hands their values to a check after each step.
//!
//! The tests' bounds differ in their formula, not just in their numbers, and
//! each keeps its own exactly: a [`Tol`] is evaluated in the type (`f32` or
//! `f64`) and with the operations its test used (`rel * (1 + |want|)` is not
//! rewritten as `rel + rel * |want|`, which rounds differently).

use std::borrow::BorrowMut;
use std::fmt::{Debug, Display, LowerExp};
use std::ops::{Add, Mul, Sub};

use cajal::prelude::*;
use ndarray::ArrayD;

/// The float types a tolerance is evaluated in.
pub trait Real:
    Copy
    + PartialOrd
    + Debug
    + Display
    + LowerExp
    + Add<Output = Self>
    + Sub<Output = Self>
    + Mul<Output = Self>
{
    const ONE: Self;
    fn abs(self) -> Self;
    fn max(self, other: Self) -> Self;
    fn is_nan(self) -> bool;
    fn is_infinite(self) -> bool;
    fn bits(self) -> u64;
    fn to_f64(self) -> f64;
}

macro_rules! real {
    ($t:ty) => {
        impl Real for $t {
            const ONE: Self = 1.0;
            fn abs(self) -> Self {
                <$t>::abs(self)
            }
            fn max(self, other: Self) -> Self {
                <$t>::max(self, other)
            }
            fn is_nan(self) -> bool {
                <$t>::is_nan(self)
            }
            fn is_infinite(self) -> bool {
                <$t>::is_infinite(self)
            }
            fn bits(self) -> u64 {
                self.to_bits().into()
            }
            fn to_f64(self) -> f64 {
                self.into()
            }
        }
    };
}
real!(f32);
real!(f64);

/// What a relative bound scales with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Scale {
    /// `|want|`.
    Want,
    /// `max(|got|, |want|)` (symmetric).
    Larger,
}

#[derive(Clone, Copy, Debug)]
enum Bound<T> {
    /// The same bits.
    Bits,
    /// `abs + rel * scale`.
    Sum { abs: T, rel: T },
    /// `max(abs, rel * scale)`.
    Max { abs: T, rel: T },
    /// `rel * max(scale, floor)`.
    Floor { rel: T, floor: T },
    /// `rel * (1 + scale)`.
    OnePlus { rel: T },
}

/// How close `got` must be to `want`: `|got - want| <= bound`, the bound
/// given by the constructor; by default a NaN on either side fails (as the
/// comparison `NaN <= bound` does).
#[derive(Clone, Copy, Debug)]
pub struct Tol<T> {
    bound: Bound<T>,
    scale: Scale,
    specials: bool,
}

impl<T: Real> Tol<T> {
    const fn new(bound: Bound<T>) -> Self {
        Tol {
            bound,
            scale: Scale::Want,
            specials: false,
        }
    }

    /// The same bits (`to_bits`): `-0.0` is not `0.0`, a NaN equals the
    /// same NaN.
    pub const fn bits() -> Self {
        Tol::new(Bound::Bits)
    }

    /// `|got - want| <= abs + rel * |want|`.
    pub const fn abs_plus_rel(abs: T, rel: T) -> Self {
        Tol::new(Bound::Sum { abs, rel })
    }

    /// `|got - want| <= max(abs, rel * |want|)`.
    pub const fn abs_or_rel(abs: T, rel: T) -> Self {
        Tol::new(Bound::Max { abs, rel })
    }

    /// `|got - want| <= rel * max(|want|, floor)`.
    pub const fn rel_floor(rel: T, floor: T) -> Self {
        Tol::new(Bound::Floor { rel, floor })
    }

    /// `|got - want| <= rel * (1 + |want|)`.
    pub const fn rel_one_plus(rel: T) -> Self {
        Tol::new(Bound::OnePlus { rel })
    }

    /// The relative part scaled by `max(|got|, |want|)` instead of
    /// `|want|`: a symmetric tolerance.
    pub const fn of_larger(self) -> Self {
        Tol {
            scale: Scale::Larger,
            ..self
        }
    }

    /// IEEE special values first: NaN equals NaN (and nothing else), equal
    /// values pass, an infinity equals only itself; then the bound.
    pub const fn specials(self) -> Self {
        Tol {
            specials: true,
            ..self
        }
    }

    /// The bound on `|got - want|` (`None` for [`Tol::bits`]).
    pub fn bound(&self, got: T, want: T) -> Option<T> {
        let scale = match self.scale {
            Scale::Want => want.abs(),
            Scale::Larger => got.abs().max(want.abs()),
        };
        match self.bound {
            Bound::Bits => None,
            Bound::Sum { abs, rel } => Some(abs + rel * scale),
            Bound::Max { abs, rel } => Some(abs.max(rel * scale)),
            Bound::Floor { rel, floor } => Some(rel * scale.max(floor)),
            Bound::OnePlus { rel } => Some(rel * (T::ONE + scale)),
        }
    }

    /// Whether `got` is close enough to `want`.
    pub fn accepts(&self, got: T, want: T) -> bool {
        if self.specials {
            if got.is_nan() || want.is_nan() {
                return got.is_nan() && want.is_nan();
            }
            if got == want {
                return true;
            }
            if got.is_infinite() || want.is_infinite() {
                return false;
            }
        }
        match self.bound(got, want) {
            None => got.bits() == want.bits(),
            Some(bound) => (got - want).abs() <= bound,
        }
    }
}

/// A tolerance for each element: one [`Tol`] for all, or a function of the
/// element's (flat) index.
pub trait ItemTol<T> {
    fn at(&self, index: usize) -> Tol<T>;
}

impl<T: Real> ItemTol<T> for Tol<T> {
    fn at(&self, _: usize) -> Tol<T> {
        *self
    }
}

impl<T, F: Fn(usize) -> Tol<T>> ItemTol<T> for F {
    fn at(&self, index: usize) -> Tol<T> {
        self(index)
    }
}

/// Whether `got` is within `tol` of `want`, in `tol`'s type (an `f32`
/// compared in `f64` is converted exactly).
pub fn close<T: Real>(got: impl Into<T>, want: impl Into<T>, tol: Tol<T>) -> bool {
    tol.accepts(got.into(), want.into())
}

/// Values [`assert_close`] compares: a number, a slice (shape: its length)
/// or an n-dimensional array (its shape; elements in logical order).
pub trait Values<T> {
    fn shape(&self) -> Vec<usize>;
    fn values(&self) -> Vec<T>;
}

impl<T, X: Copy + Into<T>> Values<T> for [X] {
    fn shape(&self) -> Vec<usize> {
        vec![self.len()]
    }
    fn values(&self) -> Vec<T> {
        self.iter().map(|&x| x.into()).collect()
    }
}

impl<T, X: Copy + Into<T>> Values<T> for Vec<X> {
    fn shape(&self) -> Vec<usize> {
        vec![self.len()]
    }
    fn values(&self) -> Vec<T> {
        self.iter().map(|&x| x.into()).collect()
    }
}

impl<T, X: Copy + Into<T>> Values<T> for ArrayD<X> {
    fn shape(&self) -> Vec<usize> {
        ArrayD::shape(self).to_vec()
    }
    fn values(&self) -> Vec<T> {
        self.iter().map(|&x| x.into()).collect()
    }
}

macro_rules! scalar {
    ($t:ty) => {
        impl<T> Values<T> for $t
        where
            $t: Into<T>,
        {
            fn shape(&self) -> Vec<usize> {
                Vec::new()
            }
            fn values(&self) -> Vec<T> {
                vec![(*self).into()]
            }
        }
    };
}
scalar!(f32);
scalar!(f64);

/// How close [`assert_close`] found the values, over the elements that are
/// not identical (nor both NaN).
#[derive(Clone, Copy, Debug, Default)]
pub struct Closeness {
    /// The largest `|got - want| / bound`: under 1 when every element passes.
    pub of_tolerance: f64,
    /// The largest `|got - want|`.
    pub abs: f64,
    /// The largest `|got - want| / |want|`.
    pub rel: f64,
    /// The largest distance in units in the last place (of the bits).
    pub ulps: u64,
}

impl Display for Closeness {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "worst error {:.3} of the tolerance; abs {:e}, rel {:e}, {} ulps",
            self.of_tolerance, self.abs, self.rel, self.ulps
        )
    }
}

/// Asserts that `got` has the shape of `want` and every element is within
/// its tolerance (see [`close`]), listing those that are not; returns how
/// close they were.
#[track_caller]
pub fn assert_close<T: Real>(
    got: &(impl Values<T> + ?Sized),
    want: &(impl Values<T> + ?Sized),
    tol: impl ItemTol<T>,
    what: &str,
) -> Closeness {
    let shape = want.shape();
    assert_eq!(got.shape(), shape, "{what}: shape (got left, want right)");
    let (got, want) = (got.values(), want.values());
    let mut seen = Closeness::default();
    let mut fails = Vec::new();
    for (i, (&g, &w)) in got.iter().zip(&want).enumerate() {
        let tol = tol.at(i);
        let ok = tol.accepts(g, w);
        if g.bits() == w.bits() || (g.is_nan() && w.is_nan()) {
            if !ok {
                fails.push(format!("{}: got {g:e}, want {w:e}", at(&shape, i)));
            }
            continue;
        }
        let err = (g - w).abs().to_f64();
        let bound = tol.bound(g, w);
        seen.abs = seen.abs.max(err);
        seen.rel = seen.rel.max(err / w.abs().to_f64());
        seen.ulps = seen.ulps.max(g.bits().abs_diff(w.bits()));
        if let Some(b) = bound {
            let ratio = err / b.to_f64();
            seen.of_tolerance =
                seen.of_tolerance
                    .max(if ratio.is_nan() { f64::INFINITY } else { ratio });
        }
        if !ok {
            fails.push(match bound {
                Some(b) => format!(
                    "{}: got {g:e}, want {w:e}: error {err:e} > {b:e}",
                    at(&shape, i)
                ),
                None => format!(
                    "{}: got {g:e} ({:#x}), want {w:e} ({:#x}): not the same bits",
                    at(&shape, i),
                    g.bits(),
                    w.bits()
                ),
            });
        }
    }
    const SHOWN: usize = 40;
    assert!(
        fails.is_empty(),
        "{what}: {} of {} out of tolerance ({:?}); worst {:.3} of the tolerance:\n{}{}",
        fails.len(),
        want.len(),
        tol.at(0),
        seen.of_tolerance,
        fails[..fails.len().min(SHOWN)].join("\n"),
        if fails.len() > SHOWN { "\n..." } else { "" }
    );
    seen
}

/// Element `i` (flat) of an array of `shape`, for messages: its index, and
/// its position in a multi-dimensional array.
fn at(shape: &[usize], i: usize) -> String {
    if shape.len() < 2 {
        return format!("element {i}");
    }
    let mut pos = vec![0; shape.len()];
    let mut rest = i;
    for (p, &n) in pos.iter_mut().zip(shape).rev() {
        *p = rest % n;
        rest /= n;
    }
    format!("element {i} {pos:?}")
}

/// Lockstep: steps `sims` together, `steps` times (each in turn, the first
/// first); after each step, hands `check` the step just run (by the first
/// simulation's clock) and, for each `(population, variable)` of `vars`,
/// its value in every simulation (`values[var][sim]`; the first is the
/// reference). With `resync`, the others are then given the reference's
/// values, so that differences cannot grow from step to step.
pub fn lockstep<S: BorrowMut<Simulation>>(
    sims: &mut [S],
    vars: &[(PopId, String)],
    steps: u64,
    resync: bool,
    mut check: impl FnMut(u64, &[Vec<ArrayD<f32>>]),
) {
    for _ in 0..steps {
        for s in sims.iter_mut() {
            s.borrow_mut().step().unwrap();
        }
        let step = sims[0].borrow().current_step() - 1;
        let values: Vec<Vec<ArrayD<f32>>> = vars
            .iter()
            .map(|(p, var)| {
                sims.iter()
                    .map(|s| s.borrow().get(*p, var).unwrap())
                    .collect()
            })
            .collect();
        if resync {
            for ((p, var), v) in vars.iter().zip(&values) {
                for s in sims.iter_mut().skip(1) {
                    s.borrow_mut().set(*p, var, v[0].clone()).unwrap();
                }
            }
        }
        check(step, &values);
    }
}
