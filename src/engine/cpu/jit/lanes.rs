//! The functions native code computes a lane at a time, by calling the
//! very Rust function the interpreter calls.

use crate::lang::ir::Func;
use crate::real::{Dtype, Real};

// The functions computed a lane at a time, by calling the Rust function
// the interpreter calls (`Real::pow`, `%`, `Real::apply`), in either
// precision.
pub(in crate::engine::cpu) extern "C" fn lane_pow<R: Real>(x: R, y: R) -> R {
    x.pow(y)
}
pub(in crate::engine::cpu) extern "C" fn lane_rem<R: Real>(x: R, y: R) -> R {
    x % y
}
macro_rules! lane_funcs {
    ($($name:ident => $f:ident),* $(,)?) => {
        $(extern "C" fn $name<R: Real>(x: R) -> R { R::apply(Func::$f, x, R::ZERO, R::ZERO) })*
        /// The function of one argument a lane at a time, for precision
        /// `R`.
        fn lane_fn<R: Real>(f: Func) -> Option<extern "C" fn(R) -> R> {
            match f {
                $(Func::$f => Some($name::<R>),)*
                _ => None,
            }
        }
    };
}
lane_funcs!(
    lane_exp => Exp, lane_log => Log, lane_sin => Sin, lane_cos => Cos, lane_tan => Tan,
    lane_tanh => Tanh, lane_asin => Asin, lane_acos => Acos, lane_atan => Atan,
    lane_sinh => Sinh, lane_cosh => Cosh,
);

/// The lane-at-a-time functions' addresses in one precision.
#[derive(Clone, Copy)]
pub(super) struct LaneFns {
    pub(super) pow: *const (),
    pub(super) rem: *const (),
    pub(super) one: fn(Func) -> Option<*const ()>,
}

impl LaneFns {
    pub(super) fn of(dtype: Dtype) -> LaneFns {
        fn one<R: Real>(f: Func) -> Option<*const ()> {
            lane_fn::<R>(f).map(|f| f as *const ())
        }
        match dtype {
            Dtype::F32 => LaneFns {
                pow: lane_pow::<f32> as *const (),
                rem: lane_rem::<f32> as *const (),
                one: one::<f32>,
            },
            Dtype::F64 => LaneFns {
                pow: lane_pow::<f64> as *const (),
                rem: lane_rem::<f64> as *const (),
                one: one::<f64>,
            },
        }
    }
}
