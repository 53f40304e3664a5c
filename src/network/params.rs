//! Saving and loading a network's shared parameters as JSON, as ANNarchy's
//! `save_parameters` / `load_parameters`.

use serde_json::{json, Map, Value as Json};

use super::Network;
use crate::error::{Error, Result};
use crate::lang::ir::{Locality, VarDecl, VarKind};
use crate::real::{Dtype, Reals};

/// A value as JSON in the network's precision: an f32 written with the
/// digits that identify it as an f32 (0.1, not 0.10000000149011612).
fn number(dtype: Dtype, x: f64) -> Json {
    match dtype {
        Dtype::F32 => json!(x as f32),
        Dtype::F64 => json!(x),
    }
}

fn shared(vars: &[VarDecl], values: &[Reals]) -> Map<String, Json> {
    vars.iter()
        .zip(values)
        .filter(|(d, _)| d.kind == VarKind::Parameter && d.locality == Locality::Global)
        .map(|(d, v)| (d.name.clone(), number(v.dtype(), v.get(0))))
        .collect()
}

impl Network {
    /// The population-wide and projection-wide parameters and the network
    /// constants as JSON, as ANNarchy's `save_parameters`:
    /// `{"populations": {name: {param: value}}, "projections": {...},
    /// "constants": {name: value}}`.
    pub fn parameters_json(&self) -> String {
        let pops: Map<String, Json> = self
            .pops
            .iter()
            .map(|p| (p.name.clone(), Json::Object(shared(&p.ir.vars, &p.init))))
            .collect();
        let projs: Map<String, Json> = self
            .projs
            .iter()
            .map(|p| (p.name.clone(), Json::Object(shared(&p.ir.vars, &p.values))))
            .collect();
        let constants: Map<String, Json> = self
            .globals
            .constants()
            .iter()
            .map(|(n, v)| (n.clone(), number(self.precision(), *v)))
            .collect();
        let doc = json!({ "populations": pops, "projections": projs, "constants": constants });
        serde_json::to_string_pretty(&doc).unwrap_or_default()
    }

    /// Writes [`parameters_json`](Self::parameters_json) to a file.
    pub fn save_parameters(&self, path: impl AsRef<std::path::Path>) -> Result<()> {
        let path = path.as_ref();
        crate::io::write_atomic(path, self.parameters_json().as_bytes())
    }

    /// Sets the shared parameters and the constants from a file written by
    /// [`save_parameters`](Self::save_parameters) (or by hand, with any
    /// subset of the names). Everything is checked first: an unknown
    /// population, projection, parameter or constant, a per-neuron name or
    /// a value that is not a number is an error and changes nothing.
    pub fn load_parameters(&mut self, path: impl AsRef<std::path::Path>) -> Result<()> {
        let path = path.as_ref();
        let owner = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| Error::Io {
            path: owner.clone(),
            source,
        })?;
        let doc: Json = serde_json::from_str(&text)
            .map_err(|e| Error::invalid(&owner, format!("not valid JSON: {e}")))?;
        let dtype = self.precision();
        let mut changes: Vec<(bool, usize, usize, f64)> = Vec::new();
        for (section, is_pop) in [("populations", true), ("projections", false)] {
            let Some(entries) = doc.get(section) else {
                continue;
            };
            let entries = entries.as_object().ok_or_else(|| {
                Error::invalid(&owner, format!("'{section}' must be an object of names"))
            })?;
            for (name, params) in entries {
                let (index, vars, kind) = if is_pop {
                    let id = self.find(name)?;
                    (id.0, &self.pops[id.0].ir.vars, "population")
                } else {
                    let id = self.find_projection(name)?;
                    (id.0, &self.projs[id.0].ir.vars, "projection")
                };
                let params = params.as_object().ok_or_else(|| {
                    Error::invalid(
                        &owner,
                        format!("{kind} '{name}': expected an object of parameters"),
                    )
                })?;
                for (p, v) in params {
                    let who = format!("{kind} '{name}'");
                    let slot = vars.iter().position(|d| d.name == *p).ok_or_else(|| {
                        let known: Vec<&str> = vars
                            .iter()
                            .filter(|d| {
                                d.kind == VarKind::Parameter && d.locality == Locality::Global
                            })
                            .map(|d| d.name.as_str())
                            .collect();
                        Error::unknown(&who, "shared parameter", p, &known)
                    })?;
                    let d = &vars[slot];
                    if d.kind != VarKind::Parameter || d.locality != Locality::Global {
                        return Err(Error::invalid(
                            &who,
                            format!("'{p}' is not a shared ({kind}-wide) parameter; set per-element values with set()"),
                        ));
                    }
                    let x = v.as_f64().ok_or_else(|| {
                        Error::invalid(&who, format!("'{p}' must be a number, got {v}"))
                    })?;
                    // The conversions set() applies: f32 (a number that
                    // would become infinite or 0 is refused), then int
                    // rounds, bool is 0 or 1.
                    let x = dtype
                        .fit(x)
                        .map_err(|why| Error::invalid(&who, format!("'{p}': {why}")))?;
                    changes.push((is_pop, index, slot, d.ty.hold(x)));
                }
            }
        }
        let mut constants: Vec<(String, f64)> = Vec::new();
        if let Some(entries) = doc.get("constants") {
            let entries = entries
                .as_object()
                .ok_or_else(|| Error::invalid(&owner, "'constants' must be an object of names"))?;
            for (name, v) in entries {
                self.get_constant(name)?;
                let x = v.as_f64().ok_or_else(|| {
                    Error::invalid(
                        &owner,
                        format!("constant '{name}' must be a number, got {v}"),
                    )
                })?;
                let x = dtype
                    .fit(x)
                    .map_err(|why| Error::invalid(&owner, format!("constant '{name}': {why}")))?;
                constants.push((name.clone(), x));
            }
        }
        for (name, x) in constants {
            self.constant(&name, x)?;
        }
        for (is_pop, i, slot, x) in changes {
            if is_pop {
                self.pops[i].init[slot] = Reals::filled(dtype, x, 1);
                self.pops[i].assigned(slot);
            } else {
                self.projs[i].values[slot] = Reals::filled(dtype, x, 1);
                self.projs[i].assigned(slot);
            }
        }
        Ok(())
    }
}
