//! The values a [`Value`] gives a population's or a projection's slot:
//! a scalar, an array, or draws from a distribution, checked against the
//! slot's shape, kind and type and narrowed to the engines' f32.

use rand::rngs::StdRng;

use super::{Population, Projection, Value};
use crate::error::{fit_all, Error, Result};
use crate::lang::ir::{Locality, VarKind};
use crate::real::{Dtype, Reals};

/// The slot of a public variable, or an error listing what exists.
pub(crate) fn slot_of(p: &Population, var: &str) -> Result<usize> {
    match p.ir.slot(var) {
        Some(s) if p.ir.vars[s as usize].kind != VarKind::Hidden => Ok(s as usize),
        _ => Err(Error::unknown(
            format!("population '{}' (model '{}')", p.name, p.ir.name),
            "variable",
            var,
            &p.ir.public_names(),
        )),
    }
}

/// The storage `value` gives a projection's variable or parameter `var`,
/// and its slot: one value per synapse in (post, pre) order, or one for a
/// projection-wide slot; shapes, names and kinds checked.
pub(crate) fn synapse_values(
    pr: &Projection,
    var: &str,
    value: &Value,
    rng: &mut StdRng,
    dtype: Dtype,
) -> Result<(usize, Reals)> {
    let owner = format!("projection '{}'", pr.name);
    pr.stores_synapses(&owner)?;
    let public = || -> Vec<&str> {
        pr.ir
            .vars
            .iter()
            .filter(|d| d.kind != VarKind::Hidden)
            .map(|d| d.name.as_str())
            .collect()
    };
    let slot = match pr.ir.slot(var) {
        Some(s) if pr.ir.vars[s as usize].kind != VarKind::Hidden => s as usize,
        _ => {
            return Err(Error::unknown(
                format!("{owner} (synapse '{}')", pr.ir.name),
                "variable",
                var,
                &public(),
            ))
        }
    };
    let decl = &pr.ir.vars[slot];
    let owner = format!("{owner}, '{var}'");
    // Values for the whole list, drawn as one process draws them, of which
    // a rank's projection keeps its part.
    let n = pr.synapse_count();
    let wide = decl.locality == Locality::Global;
    let one_only = || {
        Error::invalid(
            owner.clone(),
            format!("'{var}' is projection-wide (: projection): it takes a single value, not one per synapse"),
        )
    };
    let mut v = match value {
        Value::Scalar(x) => vec![fit_scalar(dtype, *x, &owner)?; if wide { 1 } else { n }],
        Value::Array(a) if wide => {
            if a.len() != 1 {
                return Err(one_only());
            }
            fit_all(dtype, a.iter().copied(), || owner.clone())?
        }
        Value::Array(a) => {
            if a.ndim() != 1 || a.len() != n {
                return Err(Error::Shape {
                    owner,
                    message: format!(
                        "expected {n} values, one per synapse in (post, pre) order, got an array of shape {:?}",
                        a.shape()
                    ),
                });
            }
            fit_all(dtype, a.iter().copied(), || owner.clone())?
        }
        Value::Random(_) if wide => return Err(one_only()),
        Value::Random(d) => sample(dtype, d, rng, n, &owner)?,
    };
    if let Some(bad) = v.iter().find(|x| !x.is_finite()) {
        return Err(Error::invalid(owner, format!("'{var}' cannot be {bad}")));
    }
    if let (Some(parts), false) = (&pr.parts, wide) {
        v = v[parts.mine()].to_vec();
    }
    let n = v.len();
    // A `: postsynaptic` variable keeps one copy per synapse, equal over a
    // dendrite (synapses are sorted by post).
    let post = &pr.synapses.post;
    if decl.shared
        && !wide
        && (1..n).any(|k| post[k] == post[k - 1] && v[k].to_bits() != v[k - 1].to_bits())
    {
        return Err(Error::invalid(
            owner,
            format!("'{var}' is postsynaptic (: postsynaptic): the synapses of a post-synaptic neuron take one value, not one each"),
        ));
    }
    v.iter_mut().for_each(|x| *x = decl.ty.hold(*x));
    Ok((slot, Reals::of(dtype, v)))
}

/// A number given for `owner` in the network's precision, or an error
/// that says it does not fit.
fn fit_scalar(dtype: Dtype, x: f64, owner: &str) -> Result<f64> {
    dtype.fit(x).map_err(|why| Error::invalid(owner, why))
}

/// `n` draws of `d` in the network's precision (a draw that does not fit
/// is an error, as a value given).
fn sample(
    dtype: Dtype,
    d: &crate::random::Dist,
    rng: &mut StdRng,
    n: usize,
    owner: &str,
) -> Result<Vec<f64>> {
    let draws = d.sample_f64(rng, n, owner)?;
    fit_all(dtype, draws, || format!("{owner}, a draw of {d:?}"))
}

/// Turns a [`Value`] into the storage of one slot, checking shapes.
pub(crate) fn assign_values(
    p: &Population,
    var: &str,
    value: &Value,
    rng: &mut StdRng,
    dtype: Dtype,
) -> Result<Reals> {
    assign_to(p, var, value, rng, None, dtype)
}

/// The values `value` gives a slot: for the whole population, or for the
/// `view_len` neurons of a view (per-neuron slots only).
pub(crate) fn assign_to(
    p: &Population,
    var: &str,
    value: &Value,
    rng: &mut StdRng,
    view_len: Option<usize>,
    dtype: Dtype,
) -> Result<Reals> {
    let slot = slot_of(p, var)?;
    let decl = &p.ir.vars[slot];
    let owner = format!("population '{}', variable '{var}'", p.name);
    if view_len.is_some() && (decl.locality == Locality::Global || decl.shared) {
        return Err(Error::invalid(
            owner,
            format!("'{var}' is shared by the population: set it for the whole population"),
        ));
    }
    let n = if decl.locality == Locality::Global {
        1
    } else {
        view_len.unwrap_or(p.size())
    };
    let mut v = match value {
        Value::Scalar(x) => vec![fit_scalar(dtype, *x, &owner)?; n],
        Value::Array(a) => {
            let ok = if decl.locality == Locality::Global {
                a.len() == 1
            } else if view_len.is_some() {
                a.len() == n
            } else {
                a.shape() == p.geometry.dims() || (a.ndim() == 1 && a.len() == n)
            };
            if !ok {
                let expected = if decl.locality == Locality::Global {
                    "a single value (it is shared by the population)".to_string()
                } else if view_len.is_some() {
                    format!("{n} values, one per neuron of the view")
                } else {
                    format!("{:?}", p.geometry.dims())
                };
                return Err(Error::Shape {
                    owner,
                    message: format!("expected {expected}, got an array of shape {:?}", a.shape()),
                });
            }
            fit_all(dtype, a.iter().copied(), || owner.clone())?
        }
        Value::Random(d) => sample(dtype, d, rng, n, &owner)?,
    };
    // A `: population` variable keeps one copy per neuron, all equal.
    if decl.shared && v.iter().any(|x| x.to_bits() != v[0].to_bits()) {
        return Err(Error::invalid(
            owner,
            format!("'{var}' is shared by the population (: population): it takes a single value, not one per neuron"),
        ));
    }
    v.iter_mut().for_each(|x| *x = decl.ty.hold(*x));
    Ok(Reals::of(dtype, v))
}
