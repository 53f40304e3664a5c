//! The network's constants and functions (ANNarchy's `Constant`,
//! `get_constant`, `add_function` and `functions`).

use super::Network;
use crate::engine::cpu::vm::VmReal;
use crate::engine::cpu::vm::{run_chunks, Binder, Program, Src};
use crate::error::{Error, Result};
use crate::lang::ir::Expr;
use crate::real::{Dtype, Real};

impl Network {
    /// Declares a network constant (ANNarchy's `Constant(name, value)`):
    /// every neuron and synapse model may read it by name, unless it has a
    /// parameter or variable of that name, which hides it. Models read it
    /// at run time: [`Simulation::set_constant`](crate::engine::Simulation::set_constant)
    /// changes it after compilation without a rebuild. Declaring a name
    /// again changes its value (for every model, added before or after).
    /// A parameter's value written with a constant (`tau = 2 * tau_c`) is
    /// computed once, when the model is added, as ANNarchy computes it.
    ///
    /// ```
    /// # use cajal::prelude::*;
    /// let mut net = Network::new();
    /// net.constant("tau", 10.0)?;
    /// let pop = net.population("p", 1, &Neuron::rate().equations("tau * dr/dt + r = 1.0"))?;
    /// let mut sim = net.compile(Backend::Cpu)?;
    /// sim.simulate(10.0)?;
    /// sim.set_constant("tau", 1.0)?; // the next step relaxes ten times faster
    /// assert_eq!(sim.get_constant("tau")?, 1.0);
    /// # let _ = pop;
    /// # Ok::<(), cajal::Error>(())
    /// ```
    pub fn constant(&mut self, name: &str, value: impl Into<f64>) -> Result<()> {
        self.globals.set_constant(name, value.into()).map(|_| ())
    }

    /// The value of a constant (ANNarchy's `get_constant`); an unknown name
    /// is an error listing the constants.
    pub fn get_constant(&self, name: &str) -> Result<f64> {
        self.globals
            .constant_index(name)
            .map(|i| self.globals.constants()[i].1)
            .ok_or_else(|| self.unknown_constant(name))
    }

    /// The constants' names and values, in declaration order.
    pub fn constants(&self) -> Vec<(String, f64)> {
        self.globals.constants().to_vec()
    }

    pub(crate) fn unknown_constant(&self, name: &str) -> Error {
        Error::unknown("network", "constant", name, &self.globals.constant_names())
    }

    /// Declares network functions (ANNarchy's `add_function`), one
    /// `name(x, y) = expression` a line, usable in every neuron and synapse
    /// model added afterwards (a model's own function of the same name
    /// hides it). A network function reads only its arguments and may call
    /// the built-in functions and the network functions declared before
    /// it; it draws no random numbers. An error names the line and column
    /// and declares nothing.
    ///
    /// ```
    /// # use cajal::prelude::*;
    /// let mut net = Network::new();
    /// net.add_function("sigmoid(x) = 1.0 / (1.0 + exp(-x))")?;
    /// let pop = net.population("p", 2, &Neuron::rate().parameters("x = 0.0").equations("r = sigmoid(x)"))?;
    /// let sigmoid = net.function("sigmoid")?;
    /// let mut sim = net.compile(Backend::Cpu)?;
    /// sim.set(pop, "x", vec![0.0f32, 2.0])?;
    /// sim.simulate(1.0)?;
    /// let r = sim.get(pop, "r")?;
    /// assert_eq!(sigmoid.call_arrays(&[&[0.0, 2.0]])?, vec![r[[0]], r[[1]]]);
    /// # Ok::<(), cajal::Error>(())
    /// ```
    pub fn add_function(&mut self, text: &str) -> Result<()> {
        self.globals.add_functions(text).map(|_| ())
    }

    /// A network function, to call from the host (ANNarchy's
    /// `functions(name)`): it computes what the engines compute for
    /// per-element arguments, bit for bit.
    pub fn function(&self, name: &str) -> Result<Function> {
        let (args, body) = self.globals.function(name).ok_or_else(|| {
            Error::unknown("network", "function", name, &self.globals.function_names())
        })?;
        let binding = ArgBinding(args.len());
        let mut prog = Program::in_dtype(self.precision());
        prog.store(args.len() as u16, body, None, &binding);
        Ok(Function {
            name: name.to_string(),
            args: args.to_vec(),
            prog,
        })
    }
}

/// A network function callable from the host: see [`Network::function`].
#[derive(Debug, Clone)]
pub struct Function {
    name: String,
    args: Vec<String>,
    prog: Program,
}

/// Binds argument `i` to array `i` (the result is array `n`).
struct ArgBinding(usize);

impl Binder for ArgBinding {
    fn leaf(&self, e: &Expr) -> Option<Src> {
        match e {
            Expr::Var(i) if (*i as usize) < self.0 => Some(Src::Arr(*i as u16)),
            _ => None,
        }
    }

    fn n_scalars(&self) -> usize {
        0
    }
}

impl Function {
    /// The function's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The names of its arguments, in order.
    pub fn args(&self) -> &[String] {
        &self.args
    }

    /// The value at one point, computed in the network's precision (the
    /// arguments and the result `f32` or `f64`, converted).
    pub fn call<T: Real>(&self, args: &[T]) -> Result<T> {
        let columns: Vec<&[T]> = args.iter().map(std::slice::from_ref).collect();
        Ok(self.call_arrays(&columns)?[0])
    }

    /// The values over arrays of the same length, element by element (as
    /// ANNarchy's `functions(name)(array, ...)`), computed in the
    /// network's precision.
    pub fn call_arrays<T: Real>(&self, args: &[&[T]]) -> Result<Vec<T>> {
        let owner = format!("function '{}'", self.name);
        if args.len() != self.args.len() {
            return Err(Error::invalid(
                owner,
                format!(
                    "takes {} argument(s) ({}), got {}",
                    self.args.len(),
                    self.args.join(", "),
                    args.len()
                ),
            ));
        }
        let n = args.first().map_or(1, |a| a.len());
        if let Some((i, a)) = args.iter().enumerate().find(|(_, a)| a.len() != n) {
            return Err(Error::invalid(
                owner,
                format!(
                    "the arguments must have the same length: '{}' has {n} values, '{}' has {}",
                    self.args[0],
                    self.args[i],
                    a.len()
                ),
            ));
        }
        Ok(match self.prog.dtype {
            Dtype::F32 => self.run::<f32, T>(args, n),
            Dtype::F64 => self.run::<f64, T>(args, n),
        })
    }

    /// The program over `args` in `R`.
    fn run<R: VmReal, T: Real>(&self, args: &[&[T]], n: usize) -> Vec<T> {
        let mut arrays: Vec<Vec<R>> = args
            .iter()
            .map(|a| a.iter().map(|&x| R::of(x.f64())).collect())
            .collect();
        arrays.push(vec![R::ZERO; n]);
        let mut views: Vec<&mut [R]> = arrays.iter_mut().map(|a| a.as_mut_slice()).collect();
        run_chunks(&self.prog, &mut views, &[], 0, 0, 0, 0, |_, _, _| {});
        let out = arrays.pop().unwrap_or_default();
        out.into_iter().map(|x| T::of(x.f64())).collect()
    }
}
