//! The window of a convolution or pooling ([`Window`]): which box of
//! pre-synaptic neurons each post-synaptic neuron reads (strides, centres,
//! subsampling, padding), made from what the builder was told and checked
//! against the populations' geometries.

use ndarray::ArrayD;

use crate::error::{Error, Result};
use crate::network::geometry::Geometry;

/// What out-of-bounds taps read.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Padding {
    /// Every pre-synaptic variable of an out-of-bounds tap has this value
    /// (ANNarchy's `padding=0.0`, the default).
    Value(f32),
    /// The nearest neuron on the edge (ANNarchy's `padding='border'`).
    Border,
}

impl From<f32> for Padding {
    fn from(v: f32) -> Self {
        Padding::Value(v)
    }
}

/// How the window walks one pre-synaptic dimension: tap `k` of post
/// coordinate `p` reads pre coordinate `offset + stride * p + k`, with
/// `k` in `0..kernel`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Axis {
    /// Taps along this dimension.
    pub kernel: usize,
    /// The post-synaptic dimension whose coordinate `p` is; `None` when the
    /// window spans the whole dimension (then `p = 0`).
    pub post_dim: Option<usize>,
    /// Step between the windows of neighbouring post neurons.
    pub stride: i64,
    /// Where the window of post coordinate 0 starts (may be negative).
    pub offset: i64,
}

/// The window of a convolution or pooling projection.
#[derive(Debug, Clone, PartialEq)]
pub struct Window {
    /// Pre-synaptic dimensions.
    pub pre: Vec<usize>,
    /// Post-synaptic dimensions.
    pub post: Vec<usize>,
    /// One per pre-synaptic dimension.
    pub axes: Vec<Axis>,
    /// Explicit subsampling: for each post neuron, the pre coordinate of its
    /// tap 0 in each dimension (centre minus half the kernel); replaces the
    /// axes' offset and stride.
    pub starts: Option<Vec<i32>>,
    /// The post dimension holding the filter index of a bank.
    pub bank: Option<usize>,
    /// Out-of-bounds taps.
    pub padding: Padding,
}

impl Window {
    /// Taps per filter.
    pub fn taps(&self) -> usize {
        self.axes.iter().map(|a| a.kernel).product()
    }

    /// Number of filters (1 unless a bank).
    pub fn filters(&self) -> usize {
        self.bank.map_or(1, |d| self.post[d])
    }

    /// Pre coordinate of tap 0 of post neuron `rank` (coordinates `p`), per
    /// pre dimension.
    pub fn start(&self, rank: usize, p: &[usize]) -> Vec<i64> {
        match &self.starts {
            Some(s) => {
                let d = self.pre.len();
                s[rank * d..(rank + 1) * d]
                    .iter()
                    .map(|&x| i64::from(x))
                    .collect()
            }
            None => self
                .axes
                .iter()
                .map(|a| a.offset + a.stride * a.post_dim.map_or(0, |d| p[d]) as i64)
                .collect(),
        }
    }

    /// The pre rank tap `k` (kernel coordinates) of a window starting at
    /// `start` reads, or `None` for the padding value.
    pub fn pre_rank(&self, start: &[i64], k: &[usize]) -> Option<usize> {
        let mut rank = 0usize;
        for ((&s, &kd), &n) in start.iter().zip(k).zip(&self.pre) {
            let mut q = s + kd as i64;
            if q < 0 || q >= n as i64 {
                match self.padding {
                    Padding::Value(_) => return None,
                    Padding::Border => q = q.clamp(0, n as i64 - 1),
                }
            }
            rank = rank * n + q as usize;
        }
        Some(rank)
    }

    /// The kernel coordinates of tap `t` (row-major over the kernel).
    pub fn tap(&self, mut t: usize) -> Vec<usize> {
        let mut k = vec![0; self.axes.len()];
        for (d, a) in self.axes.iter().enumerate().rev() {
            k[d] = t % a.kernel;
            t /= a.kernel;
        }
        k
    }

    /// The filter of post neuron `p` (coordinates).
    pub fn filter(&self, p: &[usize]) -> usize {
        self.bank.map_or(0, |d| p[d])
    }

    /// ANNarchy's `center`: the pre-synaptic coordinates at the centre of
    /// the window of post neuron `p` (tap `K / 2` along each dimension; a
    /// spanned dimension's middle). May lie outside pre when the window
    /// hangs over the edge (then the padding applies).
    pub fn center(&self, p: &[usize]) -> Vec<i64> {
        let rank = p.iter().zip(&self.post).fold(0, |r, (&x, &n)| r * n + x);
        self.start(rank, p)
            .iter()
            .zip(&self.axes)
            .map(|(s, a)| s + (a.kernel / 2) as i64)
            .collect()
    }
}

/// How a convolution maps post to pre, as the builder was told.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ConvOptions {
    pub padding: Padding,
    pub subsampling: Option<Vec<Vec<usize>>>,
    pub keep_last_dimension: bool,
}

/// The automatic centre of post coordinate `a` along a dimension of `pre`
/// pre neurons and `post` post neurons: `a` itself when they are equal,
/// else `(s - 1) / 2 + s a` with `s = pre / post`, which must be whole.
fn auto_stride(owner: &str, dim: usize, pre: usize, post: usize) -> Result<(i64, i64)> {
    if pre == post {
        return Ok((1, 0));
    }
    if post == 0 || !pre.is_multiple_of(post) {
        return Err(Error::Shape {
            owner: owner.to_string(),
            message: format!(
                "dimension {dim}: {post} post-synaptic neurons do not divide {pre} pre-synaptic ones (automatic subsampling needs a whole ratio; give explicit centres with subsampling)"
            ),
        });
    }
    let s = (pre / post) as i64;
    Ok((s, (s - 1) / 2))
}

/// The window of `Convolution.connect_filter` (`bank = false`: `filter`
/// is one filter) or `connect_filters` (`bank = true`: the first dimension
/// of `filter` is the filter index, post's last dimension). Returns the
/// window and the weights (filter after filter, row-major).
pub(crate) fn convolution_window(
    owner: &str,
    pre: &Geometry,
    post: &Geometry,
    filter: &ArrayD<f32>,
    bank: bool,
    o: &ConvOptions,
) -> Result<(Window, Vec<f32>)> {
    let shape_err = |m: String| Error::Shape {
        owner: owner.to_string(),
        message: m,
    };
    let pre_d = pre.dims().to_vec();
    let post_d = post.dims().to_vec();
    let fshape = filter.shape().to_vec();
    if filter.is_empty() {
        return Err(shape_err(format!("the filter is empty (shape {fshape:?})")));
    }
    if let Some(v) = filter.iter().find(|v| !v.is_finite()) {
        return Err(Error::invalid(
            owner,
            format!("a filter weight is not finite ({v})"),
        ));
    }
    if let Padding::Value(v) = o.padding {
        if !v.is_finite() {
            return Err(Error::invalid(
                owner,
                format!("the padding is not finite ({v})"),
            ));
        }
    }
    // The shape of one filter, and the post dimensions it slides over.
    let (kernel, spatial_post, n_filters): (Vec<usize>, Vec<usize>, usize) = if bank {
        if o.keep_last_dimension {
            return Err(Error::invalid(
                owner,
                "keep_last_dimension cannot be combined with a bank of filters (connect_filters)",
            ));
        }
        if fshape.len() < 2 {
            return Err(shape_err(format!(
                "a bank of filters has the filter index first and at least one filter dimension, got shape {fshape:?}"
            )));
        }
        let nf = fshape[0];
        if post_d.last() != Some(&nf) {
            return Err(shape_err(format!(
                "a bank of {nf} filters needs post's last dimension to be {nf}, post is {post_d:?}"
            )));
        }
        (
            fshape[1..].to_vec(),
            post_d[..post_d.len() - 1].to_vec(),
            nf,
        )
    } else {
        (fshape.clone(), post_d.clone(), 1)
    };
    let mut axes = Vec::with_capacity(pre_d.len());
    let spans_last;
    if o.keep_last_dimension {
        // The filter applies to each slice of pre's last dimension.
        if kernel.len() + 1 != pre_d.len() {
            return Err(shape_err(format!(
                "with keep_last_dimension the filter has one dimension less than pre ({pre_d:?}), got {fshape:?}"
            )));
        }
        if spatial_post.len() != pre_d.len() || spatial_post.last() != pre_d.last() {
            return Err(shape_err(format!(
                "with keep_last_dimension post must keep pre's last dimension: pre {pre_d:?}, post {post_d:?}"
            )));
        }
        spans_last = false;
    } else {
        if kernel.len() != pre_d.len() {
            return Err(shape_err(format!(
                "the filter{} has {} dimensions, pre {pre_d:?} has {}: they must match (or use keep_last_dimension)",
                if bank { " of the bank" } else { "" },
                kernel.len(),
                pre_d.len()
            )));
        }
        spans_last = spatial_post.len() + 1 == pre_d.len();
        if spans_last && kernel.last() != pre_d.last() {
            return Err(shape_err(format!(
                "post {post_d:?} drops pre's last dimension ({pre_d:?}): the filter must span it, but its last dimension is {}",
                kernel.last().copied().unwrap_or(0)
            )));
        }
        if !spans_last && spatial_post.len() != pre_d.len() {
            return Err(shape_err(format!(
                "post {post_d:?} does not fit pre {pre_d:?} and the filter {fshape:?}"
            )));
        }
    }
    let mut kernel_full = kernel.clone();
    if o.keep_last_dimension {
        kernel_full.push(1);
    }
    // The dimensions subsampled: all but a spanned or kept last one.
    let n_slide = if spans_last || o.keep_last_dimension {
        pre_d.len() - 1
    } else {
        pre_d.len()
    };
    for d in 0..pre_d.len() {
        let k = kernel_full[d];
        if d < n_slide {
            let (stride, centre) =
                auto_stride(owner, d, pre_d[d], spatial_post[d]).or_else(|e| {
                    // Explicit centres make the ratio irrelevant.
                    if o.subsampling.is_some() {
                        Ok((1, 0))
                    } else {
                        Err(e)
                    }
                })?;
            axes.push(Axis {
                kernel: k,
                post_dim: Some(d),
                stride,
                offset: centre - (k / 2) as i64,
            });
        } else if o.keep_last_dimension {
            axes.push(Axis {
                kernel: 1,
                post_dim: Some(d),
                stride: 1,
                offset: 0,
            });
        } else {
            axes.push(Axis {
                kernel: k,
                post_dim: None,
                stride: 0,
                offset: 0,
            });
        }
    }
    let starts = match &o.subsampling {
        None => None,
        Some(list) => {
            let n_post = post.size();
            if list.len() != n_post {
                return Err(shape_err(format!(
                    "subsampling gives {} centres for {n_post} post-synaptic neurons",
                    list.len()
                )));
            }
            let mut s = Vec::with_capacity(n_post * pre_d.len());
            for (i, c) in list.iter().enumerate() {
                if c.len() != pre_d.len() || c.iter().zip(&pre_d).any(|(x, n)| x >= n) {
                    return Err(shape_err(format!(
                        "subsampling centre {i} is {c:?}: it needs one coordinate inside pre {pre_d:?} per dimension"
                    )));
                }
                for (d, a) in axes.iter().enumerate() {
                    // A spanned dimension stays spanned; a kept one follows post.
                    let v = match a.post_dim {
                        Some(_) if d < n_slide => c[d] as i64 - (a.kernel / 2) as i64,
                        Some(pd) => post.coords(i)[pd] as i64,
                        None => 0,
                    };
                    s.push(v as i32);
                }
            }
            Some(s)
        }
    };
    let window = Window {
        pre: pre_d,
        post: post_d,
        axes,
        starts,
        bank: bank.then(|| post.dims().len() - 1),
        padding: o.padding,
    };
    let weights: Vec<f32> = filter.iter().copied().collect();
    debug_assert_eq!(weights.len(), n_filters * window.taps());
    Ok((window, weights))
}

/// The window of `Pooling.connect_pooling`: post coordinate `a` covers pre
/// `a * e .. a * e + e` along each dimension (`e` the extent); pre
/// dimensions beyond post's are pooled whole. `extent`: `None` derives it
/// from the geometries (each pre dimension divided by post's).
pub(crate) fn pooling_window(
    owner: &str,
    pre: &Geometry,
    post: &Geometry,
    extent: Option<&[usize]>,
) -> Result<Window> {
    let pre_d = pre.dims().to_vec();
    let post_d = post.dims().to_vec();
    let shape_err = |m: String| Error::Shape {
        owner: owner.to_string(),
        message: m,
    };
    if post_d.len() > pre_d.len() {
        return Err(shape_err(format!(
            "pooling reduces: post {post_d:?} has more dimensions than pre {pre_d:?}"
        )));
    }
    let extent: Vec<usize> = match extent {
        Some(e) => {
            if e.len() != pre_d.len() {
                return Err(shape_err(format!(
                    "the extent {e:?} needs one value per pre dimension ({pre_d:?})"
                )));
            }
            e.to_vec()
        }
        None => pre_d
            .iter()
            .enumerate()
            .map(|(d, &n)| match post_d.get(d) {
                Some(&m) if m > 0 && n.is_multiple_of(m) => Ok(n / m),
                Some(&m) => Err(shape_err(format!(
                    "dimension {d}: {m} post-synaptic neurons do not divide {n} pre-synaptic ones: give an extent"
                ))),
                None => Ok(n),
            })
            .collect::<Result<_>>()?,
    };
    let mut axes = Vec::new();
    for (d, (&n, &e)) in pre_d.iter().zip(&extent).enumerate() {
        if e == 0 {
            return Err(shape_err(format!("the extent {extent:?} has a zero")));
        }
        match post_d.get(d) {
            Some(&m) => {
                if m * e != n {
                    return Err(shape_err(format!(
                        "dimension {d}: the extent {e} does not divide pre's {n} into post's {m}"
                    )));
                }
                axes.push(Axis {
                    kernel: e,
                    post_dim: Some(d),
                    stride: e as i64,
                    offset: 0,
                });
            }
            None => {
                if e != n {
                    return Err(shape_err(format!(
                        "dimension {d} is pooled whole: its extent must be {n}, got {e}"
                    )));
                }
                axes.push(Axis {
                    kernel: e,
                    post_dim: None,
                    stride: 0,
                    offset: 0,
                });
            }
        }
    }
    Ok(Window {
        pre: pre_d,
        post: post_d,
        axes,
        starts: None,
        bank: None,
        padding: Padding::Value(0.0),
    })
}
