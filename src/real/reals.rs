//! A slot's values in the network's precision ([`Reals`]): what the
//! builder, the engines' state and the readouts hand each other, an f32
//! network's kept in 4 bytes a value.

use super::{Dtype, Real};

/// Values of a slot in the network's precision: a network keeps its
/// initial values, weights and other per-synapse values in its own type,
/// not widened (an f32 network's weights take 4 bytes each).
#[derive(Debug, Clone, PartialEq)]
pub enum Reals {
    /// Single precision.
    F32(Vec<f32>),
    /// Double precision.
    F64(Vec<f64>),
}

impl Default for Reals {
    fn default() -> Self {
        Reals::F32(Vec::new())
    }
}

impl Reals {
    /// `n` copies of `x` (already in `dtype`'s range) in `dtype`.
    pub fn filled(dtype: Dtype, x: f64, n: usize) -> Reals {
        match dtype {
            Dtype::F32 => Reals::F32(vec![x as f32; n]),
            Dtype::F64 => Reals::F64(vec![x; n]),
        }
    }

    /// The values of `xs` rounded to `dtype`.
    pub fn of(dtype: Dtype, xs: impl IntoIterator<Item = f64>) -> Reals {
        match dtype {
            Dtype::F32 => Reals::F32(xs.into_iter().map(|x| x as f32).collect()),
            Dtype::F64 => Reals::F64(xs.into_iter().collect()),
        }
    }

    /// No values, in `dtype`.
    pub fn empty(dtype: Dtype) -> Reals {
        match dtype {
            Dtype::F32 => Reals::F32(Vec::new()),
            Dtype::F64 => Reals::F64(Vec::new()),
        }
    }

    /// The values of an engine of type `R`, in `R`'s precision.
    pub fn from_vec<R: Real>(v: Vec<R>) -> Reals {
        // Element for element: the same allocation is reused where R is
        // the variant's type.
        match R::DTYPE {
            Dtype::F32 => Reals::F32(v.into_iter().map(Real::f32).collect()),
            Dtype::F64 => Reals::F64(v.into_iter().map(Real::f64).collect()),
        }
    }

    /// The values in `R` (exact where `R` is the precision).
    pub fn into_vec<R: Real>(self) -> Vec<R> {
        match self {
            Reals::F32(v) => v.into_iter().map(R::of32).collect(),
            Reals::F64(v) => v.into_iter().map(R::of).collect(),
        }
    }

    /// Every value rounded to f32, without a copy where they are f32.
    pub fn into_f32(self) -> Vec<f32> {
        match self {
            Reals::F32(v) => v,
            Reals::F64(v) => v.into_iter().map(|x| x as f32).collect(),
        }
    }

    /// Every value as an f64 (exact).
    pub fn into_f64(self) -> Vec<f64> {
        match self {
            Reals::F32(v) => v.into_iter().map(f64::from).collect(),
            Reals::F64(v) => v,
        }
    }

    /// Every value as f32: borrowed where they are f32, rounded otherwise.
    pub fn f32s(&self) -> std::borrow::Cow<'_, [f32]> {
        match self {
            Reals::F32(v) => std::borrow::Cow::Borrowed(v),
            Reals::F64(v) => std::borrow::Cow::Owned(v.iter().map(|&x| x as f32).collect()),
        }
    }

    /// Removes every value (the precision stays).
    pub fn clear(&mut self) {
        match self {
            Reals::F32(v) => v.clear(),
            Reals::F64(v) => v.clear(),
        }
    }

    /// Value `i`'s bits as the exchanges of a distributed run carry them
    /// ([`Real::put_words`]).
    pub fn put_words(&self, i: usize, out: &mut Vec<u32>) {
        match self {
            Reals::F32(v) => v[i].put_words(out),
            Reals::F64(v) => v[i].put_words(out),
        }
    }

    /// Sets value `i` from its exchanged words.
    pub fn set_words(&mut self, i: usize, w: &[u32]) {
        match self {
            Reals::F32(v) => v[i] = f32::of_words(w),
            Reals::F64(v) => v[i] = f64::of_words(w),
        }
    }

    /// 32-bit words a value takes ([`Real::WORDS`]).
    pub fn words(&self) -> usize {
        self.dtype().words()
    }

    /// The values `n` times over.
    pub fn repeat(&self, n: usize) -> Reals {
        match self {
            Reals::F32(v) => Reals::F32(v.repeat(n)),
            Reals::F64(v) => Reals::F64(v.repeat(n)),
        }
    }

    /// Copies `other`'s values at `range` into the same places of this
    /// one (converted to this precision).
    pub fn copy_range(&mut self, other: &Reals, range: std::ops::Range<usize>) {
        match (self, other) {
            (Reals::F32(v), Reals::F32(o)) => v[range.clone()].copy_from_slice(&o[range]),
            (Reals::F64(v), Reals::F64(o)) => v[range.clone()].copy_from_slice(&o[range]),
            (v, o) => range.for_each(|i| v.set(i, o.get(i))),
        }
    }

    /// Writes `other`'s values from `at` on.
    pub fn copy_at(&mut self, at: usize, other: &Reals) {
        let n = other.len();
        match (self, other) {
            (Reals::F32(v), Reals::F32(o)) => v[at..at + n].copy_from_slice(o),
            (Reals::F64(v), Reals::F64(o)) => v[at..at + n].copy_from_slice(o),
            (v, o) => (0..n).for_each(|i| v.set(at + i, o.get(i))),
        }
    }

    /// The values in `range`.
    pub fn slice(&self, range: std::ops::Range<usize>) -> Reals {
        match self {
            Reals::F32(v) => Reals::F32(v[range].to_vec()),
            Reals::F64(v) => Reals::F64(v[range].to_vec()),
        }
    }

    /// The values in `dtype` (themselves if they are in it already).
    pub fn to_dtype(self, dtype: Dtype) -> Reals {
        match (dtype, self) {
            (Dtype::F32, Reals::F64(v)) => Reals::F32(v.iter().map(|&x| x as f32).collect()),
            (Dtype::F64, Reals::F32(v)) => Reals::F64(v.iter().map(|&x| f64::from(x)).collect()),
            (_, v) => v,
        }
    }

    /// The values' bytes, as a buffer of the GPU engine holds them.
    pub fn bytes(&self) -> &[u8] {
        match self {
            Reals::F32(v) => bytemuck::cast_slice(v),
            Reals::F64(v) => bytemuck::cast_slice(v),
        }
    }

    /// Values of `dtype` from their bytes (a GPU buffer read back); a
    /// trailing partial value is dropped.
    pub fn from_bytes(dtype: Dtype, bytes: &[u8]) -> Reals {
        let whole = &bytes[..bytes.len() - bytes.len() % dtype.size()];
        match dtype {
            Dtype::F32 => Reals::F32(bytemuck::pod_collect_to_vec(whole)),
            Dtype::F64 => Reals::F64(bytemuck::pod_collect_to_vec(whole)),
        }
    }

    /// Its precision.
    pub fn dtype(&self) -> Dtype {
        match self {
            Reals::F32(_) => Dtype::F32,
            Reals::F64(_) => Dtype::F64,
        }
    }

    /// Number of values.
    pub fn len(&self) -> usize {
        match self {
            Reals::F32(v) => v.len(),
            Reals::F64(v) => v.len(),
        }
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Value `i` as an f64 (exact).
    pub fn get(&self, i: usize) -> f64 {
        match self {
            Reals::F32(v) => f64::from(v[i]),
            Reals::F64(v) => v[i],
        }
    }

    /// Sets value `i` (rounded to the precision).
    pub fn set(&mut self, i: usize, x: f64) {
        match self {
            Reals::F32(v) => v[i] = x as f32,
            Reals::F64(v) => v[i] = x,
        }
    }

    /// Every value as an f64 (exact).
    pub fn to_f64(&self) -> Vec<f64> {
        match self {
            Reals::F32(v) => v.iter().map(|&x| f64::from(x)).collect(),
            Reals::F64(v) => v.clone(),
        }
    }

    /// Every value rounded to f32.
    pub fn to_f32(&self) -> Vec<f32> {
        match self {
            Reals::F32(v) => v.clone(),
            Reals::F64(v) => v.iter().map(|&x| x as f32).collect(),
        }
    }

    /// Every value in `R` (exact where `R` is the precision).
    pub fn to<R: Real>(&self) -> Vec<R> {
        match self {
            Reals::F32(v) => v.iter().map(|&x| R::of32(x)).collect(),
            Reals::F64(v) => v.iter().map(|&x| R::of(x)).collect(),
        }
    }

    /// The values at `idx`, in order.
    pub fn pick(&self, idx: impl IntoIterator<Item = usize>) -> Reals {
        match self {
            Reals::F32(v) => Reals::F32(idx.into_iter().map(|i| v[i]).collect()),
            Reals::F64(v) => Reals::F64(idx.into_iter().map(|i| v[i]).collect()),
        }
    }

    /// Appends `values` (or those at `ranks`, unless `values` is one
    /// shared value), converted to this precision.
    pub fn append_from<R: Real>(&mut self, values: &[R], ranks: Option<&[u32]>) {
        // One value (a one-neuron population's, or one shared by all): a
        // push, the whole cost of a small population's sample.
        if let [x] = values {
            match self {
                Reals::F32(v) => v.push(x.f32()),
                Reals::F64(v) => v.push(x.f64()),
            }
            return;
        }
        let at = |i: usize| values[i];
        match (self, ranks) {
            (Reals::F32(v), Some(r)) if values.len() > 1 => {
                v.extend(r.iter().map(|&i| at(i as usize).f32()))
            }
            (Reals::F64(v), Some(r)) if values.len() > 1 => {
                v.extend(r.iter().map(|&i| at(i as usize).f64()))
            }
            (Reals::F32(v), _) => match R::as_f32(values) {
                Some(x) => v.extend_from_slice(x),
                None => v.extend(values.iter().map(|x| x.f32())),
            },
            (Reals::F64(v), _) => v.extend(values.iter().map(|x| x.f64())),
        }
    }

    /// Appends `other`'s values, converted to this precision.
    pub fn extend_reals(&mut self, other: &Reals) {
        match (self, other) {
            (Reals::F32(v), Reals::F32(o)) => v.extend_from_slice(o),
            (Reals::F64(v), Reals::F64(o)) => v.extend_from_slice(o),
            (Reals::F32(v), Reals::F64(o)) => v.extend(o.iter().map(|&x| x as f32)),
            (Reals::F64(v), Reals::F32(o)) => v.extend(o.iter().map(|&x| f64::from(x))),
        }
    }

    /// Whether every value has the same bits as the first (and there is one).
    pub fn shared(&self) -> Option<f64> {
        match self {
            Reals::F32(v) => crate::engine::cpu::shared_weight(v).map(f64::from),
            Reals::F64(v) => {
                let x = *v.first()?;
                v.iter().all(|y| y.to_bits() == x.to_bits()).then_some(x)
            }
        }
    }
}

impl From<Vec<f32>> for Reals {
    fn from(v: Vec<f32>) -> Self {
        Reals::F32(v)
    }
}

impl From<Vec<f64>> for Reals {
    fn from(v: Vec<f64>) -> Self {
        Reals::F64(v)
    }
}

impl FromIterator<f32> for Reals {
    fn from_iter<I: IntoIterator<Item = f32>>(iter: I) -> Self {
        Reals::F32(iter.into_iter().collect())
    }
}

/// Equal to f32 values: the same number of values, each equal (an f64
/// value to the f32 one widened).
impl PartialEq<Vec<f32>> for Reals {
    fn eq(&self, other: &Vec<f32>) -> bool {
        self.len() == other.len()
            && other
                .iter()
                .enumerate()
                .all(|(i, &x)| self.get(i) == f64::from(x))
    }
}
