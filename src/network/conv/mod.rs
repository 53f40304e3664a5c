//! ANNarchy's convolution extension: `Convolution` (one filter or a bank of
//! filters) and `Pooling`, as projections with shared weights and nothing
//! stored per synapse. Both are a [`Window`]: each post-synaptic neuron
//! reads a box of pre-synaptic neurons, whose position is an affine function
//! of its coordinates, and combines one psp per tap with an operation.
//!
//! Semantics are ANNarchy's documented ones (`ANNarchy.extensions.convolution`),
//! with two departures from ANNarchy 5.0.4.1's generated code, which does
//! not follow its own documentation: `max` / `min` start from the first tap
//! (ANNarchy starts them at 0.0, so an all-negative window gives 0 under
//! `max`), and a constant padding stands for the rate of every
//! out-of-bounds tap, weighted like any other (ANNarchy adds the raw padding
//! value once per out-of-bounds kernel row).

use std::sync::Arc;

use ndarray::ArrayD;

use crate::error::{Error, Result};
use crate::lang::analysis::analyse_synapse;
use crate::lang::ir::Locality;
use crate::network::model::{Operation, Synapse};
use crate::network::{slot_of, Network, PopId, ProjId, Projection};

mod window;

pub(crate) use window::{convolution_window, pooling_window, ConvOptions};
pub use window::{Axis, Padding, Window};

/// A convolution or pooling projection: its window and shared weights.
#[derive(Debug, Clone, PartialEq)]
pub struct Conv {
    /// The window.
    pub window: Window,
    /// Shared weights, `filters x taps` (1 per tap for pooling).
    pub weights: Vec<f32>,
    /// Whether it is a pooling (no weights in the psp).
    pub pooling: bool,
}

/// Builds a `Convolution` projection; created by [`Network::convolution`].
pub struct ConvolutionBuilder<'a> {
    net: &'a mut Network,
    pre: PopId,
    post: PopId,
    target: String,
    psp: String,
    operation: Operation,
    options: ConvOptions,
    name: Option<String>,
    delay_ms: f64,
}

/// Builds a `Pooling` projection; created by [`Network::pooling`].
pub struct PoolingBuilder<'a> {
    net: &'a mut Network,
    pre: PopId,
    post: PopId,
    target: String,
    psp: String,
    operation: Operation,
    name: Option<String>,
    delay_ms: f64,
}

impl Network {
    /// ANNarchy's `Convolution(pre, post, target)`: shared-weight filters,
    /// nothing stored per synapse. Finish with
    /// [`connect_filter`](ConvolutionBuilder::connect_filter) or
    /// [`connect_filters`](ConvolutionBuilder::connect_filters).
    ///
    /// ```
    /// # use cajal::prelude::*;
    /// use ndarray::array;
    /// let mut net = Network::new().dt(1.0);
    /// let img = net.population("img", [32, 32], &Neuron::rate().parameters("r = 0.0"))?;
    /// let out = net.population("out", [16, 16], &Neuron::rate().equations("r = sum(exc)"))?;
    /// // A vertical edge detector, subsampled 2x (centres 0, 2, 4, ...).
    /// let edge = array![[1.0f32, 0.0, -1.0], [1.0, 0.0, -1.0], [1.0, 0.0, -1.0]];
    /// net.convolution(img, out, "exc").connect_filter(&edge.into_dyn())?;
    /// # Ok::<(), cajal::Error>(())
    /// ```
    pub fn convolution(&mut self, pre: PopId, post: PopId, target: &str) -> ConvolutionBuilder<'_> {
        ConvolutionBuilder {
            net: self,
            pre,
            post,
            target: target.to_string(),
            psp: "w * pre.r".into(),
            operation: Operation::Sum,
            options: ConvOptions {
                padding: Padding::Value(0.0),
                subsampling: None,
                keep_last_dimension: false,
            },
            name: None,
            delay_ms: 0.0,
        }
    }

    /// ANNarchy's `Pooling(pre, post, target, operation)` (default `max` of
    /// `pre.r`). Finish with [`connect_pooling`](PoolingBuilder::connect_pooling).
    ///
    /// ```
    /// # use cajal::prelude::*;
    /// let mut net = Network::new().dt(1.0);
    /// let fm = net.population("fm", [32, 32, 4], &Neuron::rate().parameters("r = 0.0"))?;
    /// let pooled = net.population("pooled", [16, 16, 4], &Neuron::rate().equations("r = sum(exc)"))?;
    /// net.pooling(fm, pooled, "exc").connect_pooling(None)?; // 2 x 2 x 1 max pooling
    /// # Ok::<(), cajal::Error>(())
    /// ```
    pub fn pooling(&mut self, pre: PopId, post: PopId, target: &str) -> PoolingBuilder<'_> {
        PoolingBuilder {
            net: self,
            pre,
            post,
            target: target.to_string(),
            psp: "pre.r".into(),
            operation: Operation::Max,
            name: None,
            delay_ms: 0.0,
        }
    }
}

impl<'a> ConvolutionBuilder<'a> {
    /// The psp of one tap, an expression of `w` and pre-synaptic variables
    /// (default `w * pre.r`), e.g. `w * log(1 + pre.r)`.
    pub fn psp(mut self, psp: &str) -> Self {
        self.psp = psp.to_string();
        self
    }

    /// How the taps combine: sum (cross-correlation, the default), max, min,
    /// or mean (the sum divided by the number of taps).
    pub fn operation(mut self, op: Operation) -> Self {
        self.operation = op;
        self
    }

    /// What out-of-bounds taps read: a value (default 0.0) or
    /// [`Padding::Border`].
    pub fn padding(mut self, padding: impl Into<Padding>) -> Self {
        self.options.padding = padding.into();
        self
    }

    /// Explicit centres, one pre-synaptic coordinate per post neuron (in
    /// rank order), instead of the automatic subsampling.
    pub fn subsampling(mut self, centres: Vec<Vec<usize>>) -> Self {
        self.options.subsampling = Some(centres);
        self
    }

    /// Applies a filter with one dimension less than pre to each slice of
    /// pre's last dimension (post keeps that dimension).
    pub fn keep_last_dimension(mut self, keep: bool) -> Self {
        self.options.keep_last_dimension = keep;
        self
    }

    /// Names the projection (default `pre->post:target`).
    pub fn name(mut self, name: &str) -> Self {
        self.name = Some(name.to_string());
        self
    }

    /// A uniform delay in ms (default none: one step, as every projection).
    pub fn delay(mut self, ms: f64) -> Self {
        self.delay_ms = ms;
        self
    }

    /// One filter with as many dimensions as pre (or one less with
    /// `keep_last_dimension`; or spanning pre's last dimension, which post
    /// then drops, e.g. an RGB filter of shape (3, 3, 3) from (h, w, 3) to
    /// (h, w)). Post's dimensions equal pre's or divide them (subsampling).
    pub fn connect_filter(self, filter: &ArrayD<f32>) -> Result<ProjId> {
        self.build(filter, false)
    }

    /// A bank of filters: the first dimension of `filters` is the filter
    /// index, which is post's last dimension.
    pub fn connect_filters(self, filters: &ArrayD<f32>) -> Result<ProjId> {
        self.build(filters, true)
    }

    fn build(self, filter: &ArrayD<f32>, bank: bool) -> Result<ProjId> {
        let net = self.net;
        let (name, pre, post) = names(net, self.pre, self.post, &self.target, self.name)?;
        let owner = format!("projection '{name}'");
        let (window, weights) = convolution_window(
            &owner,
            &net.pop(self.pre)?.geometry,
            &net.pop(self.post)?.geometry,
            filter,
            bank,
            &self.options,
        )?;
        let conv = Conv {
            window,
            weights,
            pooling: false,
        };
        let connector = format!(
            "connect_{}({:?}, padding {:?}{})",
            if bank { "filters" } else { "filter" },
            filter.shape(),
            self.options.padding,
            if self.options.keep_last_dimension {
                ", keep_last_dimension"
            } else {
                ""
            }
        );
        push(
            net,
            Parts {
                name,
                pre,
                post,
                target: self.target,
                psp: self.psp,
                operation: self.operation,
                delay_ms: self.delay_ms,
                conv,
                connector,
            },
        )
    }
}

impl<'a> PoolingBuilder<'a> {
    /// The value pooled, an expression of pre-synaptic variables (default `pre.r`).
    pub fn psp(mut self, psp: &str) -> Self {
        self.psp = psp.to_string();
        self
    }

    /// max (the default), min or mean (sum does too). Between spiking
    /// populations: sum or mean (ml_genn's average pooling), as a spiking
    /// convolution whose weights are 1 or 1 / the block size.
    pub fn operation(mut self, op: Operation) -> Self {
        self.operation = op;
        self
    }

    /// Names the projection (default `pre->post:target`).
    pub fn name(mut self, name: &str) -> Self {
        self.name = Some(name.to_string());
        self
    }

    /// A uniform delay in ms (default none: one step).
    pub fn delay(mut self, ms: f64) -> Self {
        self.delay_ms = ms;
        self
    }

    /// Pools blocks of `extent` pre neurons (one value per pre dimension),
    /// or, with `None`, blocks derived from the geometries: each pre
    /// dimension divided by post's, and pre dimensions post lacks pooled
    /// whole (e.g. (100, 100, 10) to (50, 50) pools 2 x 2 x 10).
    pub fn connect_pooling(self, extent: Option<&[usize]>) -> Result<ProjId> {
        let net = self.net;
        let (name, pre, post) = names(net, self.pre, self.post, &self.target, self.name)?;
        let owner = format!("projection '{name}'");
        let window = pooling_window(
            &owner,
            &net.pop(self.pre)?.geometry,
            &net.pop(self.post)?.geometry,
            extent,
        )?;
        let taps = window.taps();
        let connector = format!(
            "connect_pooling(extent {:?})",
            window.axes.iter().map(|a| a.kernel).collect::<Vec<_>>()
        );
        push(
            net,
            Parts {
                name,
                pre,
                post,
                target: self.target,
                psp: self.psp,
                operation: self.operation,
                delay_ms: self.delay_ms,
                conv: Conv {
                    window,
                    weights: vec![1.0; taps],
                    pooling: true,
                },
                connector,
            },
        )
    }
}

/// The projection's name and its two populations, checked.
fn names(
    net: &Network,
    pre: PopId,
    post: PopId,
    target: &str,
    name: Option<String>,
) -> Result<(String, PopId, PopId)> {
    net.check_dt()?;
    let (a, b) = (net.pop(pre)?, net.pop(post)?);
    let name = name.unwrap_or_else(|| format!("{}->{}:{}", a.name, b.name, target));
    if net.projs.iter().any(|p| p.name == name) {
        return Err(Error::invalid(
            "network",
            format!("a projection named '{name}' already exists"),
        ));
    }
    Ok((name, pre, post))
}

struct Parts {
    name: String,
    pre: PopId,
    post: PopId,
    target: String,
    psp: String,
    operation: Operation,
    delay_ms: f64,
    conv: Conv,
    connector: String,
}

/// Checks the psp against the populations and adds the projection.
fn push(net: &mut Network, mut p: Parts) -> Result<ProjId> {
    let owner = format!("projection '{}'", p.name);
    let pre = net.pop(p.pre)?.clone();
    let post = net.pop(p.post)?.clone();
    let spiking = pre.ir.spiking;
    // Sum or average pooling of spikes is linear: a spike adds 1 (or
    // 1 / taps) to the post neuron whose block holds it, so it is a spiking
    // convolution with constant weights (ml_genn's average pooling).
    if spiking && post.ir.spiking && p.conv.pooling && p.psp == "pre.r" {
        let taps = p.conv.window.taps();
        let w = match p.operation {
            Operation::Sum => Some(1.0),
            Operation::Mean => Some(1.0 / taps as f32),
            Operation::Max | Operation::Min => None,
        };
        match w {
            Some(w) => {
                p.conv.weights = vec![w; taps];
                p.conv.pooling = false;
                p.operation = Operation::Sum;
                p.psp = "w * pre.r".into();
            }
            None => {
                return Err(Error::Unsupported {
                    owner,
                    message: "between spiking populations, pooling is sum or mean (a spike adds 1, or 1 / the block size, to its block's neuron); max and min of spikes are not defined: .operation(Operation::Mean)".into(),
                })
            }
        }
    }
    if pre.ir.spiking != post.ir.spiking {
        return Err(Error::Unsupported {
            owner,
            message: format!(
                "a convolution joins two rate-coded or two spiking populations ('{}' is {}, '{}' is {})",
                pre.name,
                if pre.ir.spiking { "spiking" } else { "rate-coded" },
                post.name,
                if post.ir.spiking { "spiking" } else { "rate-coded" }
            ),
        });
    }
    if spiking {
        // Event-driven: a spike adds the weights of the taps that read it.
        let w = &p.conv.window;
        let why = if p.conv.pooling {
            Some("pooling of spikes takes the default psp (sum or mean of the spikes)")
        } else if p.operation != Operation::Sum || p.psp != "w * pre.r" {
            Some("a spike adds the filter weights to the conductance: no psp or operation")
        } else if w.padding != Padding::Value(0.0) {
            Some("out-of-bounds taps read no spikes: padding must be 0")
        } else if w.starts.is_some() {
            Some("explicit subsampling centres are available between rate-coded populations only")
        } else {
            None
        };
        if let Some(m) = why {
            return Err(Error::Unsupported {
                owner,
                message: format!("between spiking populations: {m}"),
            });
        }
        if !post.ir.conductances.iter().any(|(t, _, _)| *t == p.target) {
            return Err(Error::Connector {
                projection: p.name.clone(),
                message: format!(
                    "population '{}' (model '{}') does not use the conductance g_{}: add it to its equations",
                    post.name, post.ir.name, p.target
                ),
            });
        }
    } else if !post.ir.targets.contains(&p.target) {
        return Err(Error::Connector {
            projection: p.name.clone(),
            message: format!(
                "population '{}' (model '{}') does not read sum({}) in its equations",
                post.name, post.ir.name, p.target
            ),
        });
    }
    let model = Synapse::new()
        .name(if p.conv.pooling {
            "pooling"
        } else {
            "convolution"
        })
        .psp(&p.psp)
        .operation(p.operation);
    let ir = analyse_synapse(&model, &net.globals)?;
    if ir.vars.len() != 1 || ir.n_random > 0 || !ir.post_refs.is_empty() {
        return Err(Error::invalid(
            owner,
            "the psp of a convolution or pooling reads only w, pre-synaptic variables, constants and t (no random draws, no post-synaptic variables)",
        ));
    }
    // A spiking convolution has no psp: only w.
    for r in ir.pre_refs.iter().filter(|_| !spiking) {
        let slot = slot_of(&pre, r).map_err(|_| Error::Connector {
            projection: p.name.clone(),
            message: format!(
                "the psp reads pre.{r} but population '{}' (model '{}') has no '{r}'",
                pre.name, pre.ir.name
            ),
        })?;
        if pre.ir.vars[slot].locality == Locality::Global {
            return Err(Error::invalid(
                owner,
                format!("pre.{r} is population-wide: the psp reads per-neuron values"),
            ));
        }
    }
    if !(p.delay_ms.is_finite() && p.delay_ms >= 0.0) {
        return Err(Error::invalid(
            owner,
            format!(
                "the delay must be a non-negative number of ms, got {}",
                p.delay_ms
            ),
        ));
    }
    // As a connector's (`Delays`): a rate-coded convolution reads the
    // previous step's r with no delay, D steps before it with one.
    let steps = (p.delay_ms / net.dt).round() as u32;
    let delay = crate::connect::rate_or_spike_steps(steps, !net.pops[p.pre.0].ir.spiking);
    net.projs.push(Projection {
        set_slots: Default::default(),
        name: p.name,
        pre: p.pre,
        post: p.post,
        target: p.target,
        more_targets: Vec::new(),
        ir: Arc::new(ir),
        operation: p.operation,
        synapses: Default::default(),
        parts: None,
        values: vec![crate::real::Reals::empty(net.precision())],
        connector: p.connector,
        model,
        window: None,
        inject: false,
        conv: Some(Arc::new(ConvProjection {
            conv: p.conv,
            delay,
            transposed: false,
        })),
        procedural: None,
    });
    Ok(ProjId(net.projs.len() - 1, net.tag))
}

/// A convolution or pooling as a projection holds it.
#[derive(Debug, Clone, PartialEq)]
pub struct ConvProjection {
    /// Window and weights.
    pub conv: Conv,
    /// Uniform delay in steps (at least 1).
    pub delay: u32,
    /// ANNarchy's Transpose of the convolution `conv` (pre and post
    /// swapped, `w * pre.r` summed).
    pub transposed: bool,
}

impl Network {
    /// ANNarchy's `Convolution.center`: the pre-synaptic coordinates at the
    /// centre of the window of the post neuron at `coords` (they may lie
    /// outside pre where the window hangs over the edge).
    ///
    /// ```
    /// # use cajal::prelude::*;
    /// let mut net = Network::new().dt(1.0);
    /// let a = net.population("a", [32, 32], &Neuron::rate().parameters("r = 0.0"))?;
    /// let b = net.population("b", [16, 16], &Neuron::rate().equations("r = sum(exc)"))?;
    /// let c = net.convolution(a, b, "exc").connect_filter(&ndarray::Array2::<f32>::ones((3, 3)).into_dyn())?;
    /// assert_eq!(net.convolution_center(c, &[3, 5])?, vec![6, 10]);
    /// # Ok::<(), cajal::Error>(())
    /// ```
    pub fn convolution_center(&self, proj: ProjId, coords: &[usize]) -> Result<Vec<i64>> {
        let pr = self.proj(proj)?;
        let owner = format!("projection '{}'", pr.name);
        let Some(cp) = &pr.conv else {
            return Err(Error::invalid(owner, "not a convolution or pooling"));
        };
        let w = &cp.conv.window;
        // A transpose's post is the original's pre: no window of its own.
        if cp.transposed {
            return Err(Error::invalid(
                owner,
                "a transpose has no windows of its own",
            ));
        }
        if coords.len() != w.post.len() || coords.iter().zip(&w.post).any(|(c, n)| c >= n) {
            return Err(Error::Shape {
                owner,
                message: format!(
                    "{coords:?} is not a post-synaptic coordinate of {:?}",
                    w.post
                ),
            });
        }
        Ok(w.center(coords))
    }

    /// ANNarchy's `Transpose(proj, target)`: a projection from `proj`'s
    /// post-synaptic population back to its pre-synaptic one through the
    /// same weights, transposed, with the default psp `w * pre.r` summed.
    /// For a convolution this is the transposed convolution (each pre
    /// neuron of the original sums over the post neurons whose windows read
    /// it, weighted by the tap that reads it; nothing stored per synapse).
    /// Weights are those of `proj` when the transpose is built.
    ///
    /// ```
    /// # use cajal::prelude::*;
    /// use ndarray::array;
    /// let mut net = Network::new().dt(1.0);
    /// let sum = Neuron::rate().equations("r = sum(exc) + sum(fb)");
    /// let a = net.population("a", [8, 8], &sum)?;
    /// let b = net.population("b", [4, 4], &sum)?;
    /// let fwd = net.convolution(a, b, "exc").connect_filter(&array![[1.0f32, 2.0], [3.0, 4.0]].into_dyn())?;
    /// net.transpose(fwd, "fb")?;
    /// # Ok::<(), cajal::Error>(())
    /// ```
    pub fn transpose(&mut self, proj: ProjId, target: &str) -> Result<ProjId> {
        let orig = self.proj(proj)?.clone();
        let name = format!("transpose of '{}'", orig.name);
        let owner = format!("projection '{name}'");
        let (pre, post) = (self.pop(orig.post)?.clone(), self.pop(orig.pre)?.clone());
        if pre.ir.spiking || post.ir.spiking {
            return Err(Error::Unsupported {
                owner,
                message: "a Transpose reverses a rate-coded projection".into(),
            });
        }
        if orig.parts.is_some() {
            return Err(Error::Unsupported {
                owner,
                message: "a network built as one rank of a distributed run holds the synapses onto its neurons, not those from them: a Transpose is not supported yet there".into(),
            });
        }
        let Some(cp) = &orig.conv else {
            // A projection with a synapse list: the same synapses, reversed.
            let s = &orig.synapses;
            let w = orig.values[orig.ir.slot("w").unwrap_or(0) as usize].clone();
            let w = if w.len() == s.len() {
                w
            } else {
                crate::real::Reals::filled(w.dtype(), w.get(0), s.len())
            };
            let delays = self.delays_ms(&orig);
            return self
                .projection(orig.post, orig.pre, target)
                .name(&name)
                .connect_from_sparse(s.pre.clone(), s.post.clone(), w.into_f64(), Some(delays));
        };
        let why = if cp.conv.pooling {
            Some("a pooling has no weights to transpose")
        } else if cp.transposed {
            Some("it is already a transpose")
        } else if orig.operation != Operation::Sum {
            Some("only a summing convolution has a transpose")
        } else if cp.conv.window.padding == Padding::Border {
            Some("border padding reads edge neurons through several taps: no transpose")
        } else if cp.conv.window.starts.is_some() {
            Some("explicit subsampling centres have no transpose in this version")
        } else {
            None
        };
        if let Some(m) = why {
            return Err(Error::Unsupported {
                owner,
                message: format!("cannot transpose '{}': {m}", orig.name),
            });
        }
        let (_, _, _) = names(self, orig.post, orig.pre, target, Some(name.clone()))?;
        if !post.ir.targets.iter().any(|t| t == target) {
            return Err(Error::Connector {
                projection: name,
                message: format!(
                    "population '{}' (model '{}') does not read sum({target}) in its equations",
                    post.name, post.ir.name
                ),
            });
        }
        let model = Synapse::new().name("transpose");
        let ir = analyse_synapse(&model, &self.globals)?;
        slot_of(&pre, "r").map_err(|_| Error::Connector {
            projection: name.clone(),
            message: format!(
                "the transpose reads pre.r but population '{}' has no 'r'",
                pre.name
            ),
        })?;
        self.projs.push(Projection {
            set_slots: Default::default(),
            name,
            pre: orig.post,
            post: orig.pre,
            target: target.to_string(),
            more_targets: Vec::new(),
            ir: Arc::new(ir),
            operation: Operation::Sum,
            synapses: Default::default(),
            parts: None,
            values: vec![crate::real::Reals::empty(self.precision())],
            connector: format!("transpose of {}", orig.connector),
            model,
            window: None,
            inject: false,
            conv: Some(Arc::new(ConvProjection {
                conv: cp.conv.clone(),
                delay: 1,
                transposed: true,
            })),
            procedural: None,
        });
        Ok(ProjId(self.projs.len() - 1, self.tag))
    }

    /// ANNarchy's `Copy(pre, post, target).connect_copy(proj)`: a new
    /// projection between populations shaped like `proj`'s, with `proj`'s
    /// connectivity, weights (as they are now), delays, psp and operation.
    /// (ANNarchy's Copy takes its own psp and operation; here they are the
    /// original's.)
    pub fn copy(&mut self, proj: ProjId, pre: PopId, post: PopId, target: &str) -> Result<ProjId> {
        let orig = self.proj(proj)?.clone();
        let (a, b) = (self.pop(pre)?.clone(), self.pop(post)?.clone());
        let (oa, ob) = (self.pop(orig.pre)?.clone(), self.pop(orig.post)?.clone());
        if a.geometry != oa.geometry || b.geometry != ob.geometry {
            return Err(Error::Shape {
                owner: format!("copy of projection '{}'", orig.name),
                message: format!(
                    "a copy joins populations shaped like the original's: {:?} -> {:?}, got {:?} -> {:?}",
                    oa.geometry.dims(),
                    ob.geometry.dims(),
                    a.geometry.dims(),
                    b.geometry.dims()
                ),
            });
        }
        match &orig.conv {
            Some(cp) if !cp.transposed => {
                let (name, pre, post) = names(self, pre, post, target, None)?;
                let psp = if orig.model.psp.trim().is_empty() {
                    "w * pre.r".to_string()
                } else {
                    orig.model.psp.clone()
                };
                push(
                    self,
                    Parts {
                        name,
                        pre,
                        post,
                        target: target.to_string(),
                        psp,
                        operation: orig.operation,
                        delay_ms: self.delay_ms(orig.pre, cp.delay),
                        conv: cp.conv.clone(),
                        connector: format!("copy of {}", orig.connector),
                    },
                )
            }
            Some(_) => Err(Error::Unsupported {
                owner: format!("copy of projection '{}'", orig.name),
                message: "copy the original projection and transpose the copy".into(),
            }),
            None if orig.window.is_some() || orig.inject => Err(Error::Unsupported {
                owner: format!("copy of projection '{}'", orig.name),
                message: "a DecodingProjection or CurrentInjection is not copied".into(),
            }),
            None if orig.parts.is_some() => Err(Error::Unsupported {
                owner: format!("copy of projection '{}'", orig.name),
                message: "a copy of a projection in a network built as one rank of a distributed run is not supported yet".into(),
            }),
            None if orig.procedural.is_some() => Err(Error::Unsupported {
                owner: format!("copy of projection '{}'", orig.name),
                message: "procedural connectivity is drawn per projection: read its synapses (Simulation::synapses) and connect_from_sparse them".into(),
            }),
            None => {
                let s = &orig.synapses;
                let w = orig.values[orig.ir.slot("w").unwrap_or(0) as usize].clone();
                let w = if w.len() == s.len() {
                    w
                } else {
                    crate::real::Reals::filled(w.dtype(), w.get(0), s.len())
                };
                let delays = self.delays_ms(&orig);
                self.projection(pre, post, target)
                    .synapse(&orig.model)
                    .connect_from_sparse(s.post.clone(), s.pre.clone(), w.into_f64(), Some(delays))
            }
        }
    }
}
