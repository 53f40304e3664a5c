//! Built-in models: ANNarchy's standard neuron types, written in the
//! equation language with ANNarchy's names, defaults and numerical methods.
//!
//! ```
//! use cajal::models;
//! let lif = models::if_curr_exp();
//! assert_eq!(lif.model_name(), "IF_curr_exp");
//! assert!(models::builtin("Izhikevich").is_some());
//! ```

pub mod correlated;
pub mod inputs;
pub mod mlgenn;
pub mod mlgenn_input;
pub mod neurons;
pub mod synapses;
pub mod timed;

pub use neurons::{
    eif_cond_alpha_isfa_ista, eif_cond_exp_isfa_ista, gif_curr, gif_curr_exp, gif_curr_exp_with,
    gif_curr_with, hh_cond_exp, if_cond_alpha, if_cond_exp, if_curr_alpha, if_curr_exp, izhikevich,
    izhikevich_with, leaky_integrator, leaky_integrator_with,
};

use crate::network::model::Neuron;

/// ANNarchy's class names of the built-in neuron models, in ANNarchy's order.
const NAMES: &[&str] = &[
    "LeakyIntegrator",
    "Izhikevich",
    "IF_curr_exp",
    "IF_cond_exp",
    "IF_curr_alpha",
    "IF_cond_alpha",
    "HH_cond_exp",
    "EIF_cond_alpha_isfa_ista",
    "EIF_cond_exp_isfa_ista",
    "GIF_curr",
    "GIF_curr_exp",
];

/// The built-in neuron model of the given ANNarchy class name (e.g.
/// `"IF_curr_exp"`), with its default parameters; `None` for an unknown name.
/// The name is matched exactly (ANNarchy's names are case-sensitive).
pub fn builtin(name: &str) -> Option<Neuron> {
    Some(match name {
        "LeakyIntegrator" => leaky_integrator(),
        "Izhikevich" => izhikevich(),
        "IF_curr_exp" => if_curr_exp(),
        "IF_cond_exp" => if_cond_exp(),
        "IF_curr_alpha" => if_curr_alpha(),
        "IF_cond_alpha" => if_cond_alpha(),
        "HH_cond_exp" => hh_cond_exp(),
        "EIF_cond_alpha_isfa_ista" => eif_cond_alpha_isfa_ista(),
        "EIF_cond_exp_isfa_ista" => eif_cond_exp_isfa_ista(),
        "GIF_curr" => gif_curr(),
        "GIF_curr_exp" => gif_curr_exp(),
        _ => return None,
    })
}

/// The built-in neuron model `name` with ANNarchy's string arguments of
/// its constructor (`options`, by name): `LeakyIntegrator`'s `sum` and
/// `noise`, `Izhikevich`'s `conductance`, the GIF models' `current`. An
/// option the model does not take is an error naming it and the model's
/// options; `Ok(None)` for an unknown model.
///
/// ```
/// use cajal::prelude::*;
/// let izh = cajal::models::builtin_with("Izhikevich", &[("conductance", "g_ampa - g_gaba")])?
///     .expect("a built-in");
/// let mut net = Network::new();
/// let a = net.population("a", 2, &izh)?;
/// // The model reads g_ampa now: a projection may target "ampa".
/// net.projection(a, a, "ampa").connect_all_to_all(1.0)?;
/// assert!(cajal::models::builtin_with("IF_curr_exp", &[("sum", "sum(exc)")]).is_err());
/// # Ok::<(), cajal::Error>(())
/// ```
pub fn builtin_with(name: &str, options: &[(&str, &str)]) -> crate::Result<Option<Neuron>> {
    use neurons::{GIF_CURRENT, IZHIKEVICH_CONDUCTANCE, LEAKY_SUM};
    if !NAMES.contains(&name) {
        return Ok(None);
    }
    let takes: &[&str] = match name {
        "LeakyIntegrator" => &["sum", "noise"],
        "Izhikevich" => &["conductance"],
        "GIF_curr" | "GIF_curr_exp" => &["current"],
        _ => &[],
    };
    if let Some((bad, _)) = options.iter().find(|(k, _)| !takes.contains(k)) {
        return Err(crate::Error::invalid(
            format!("neuron model '{name}'"),
            if takes.is_empty() {
                format!(
                    "unknown argument '{bad}': it takes no string arguments, only parameter values"
                )
            } else {
                format!(
                    "unknown argument '{bad}': its string arguments are {}",
                    takes.join(", ")
                )
            },
        ));
    }
    let get = |k: &str| options.iter().find(|(o, _)| *o == k).map(|(_, v)| *v);
    Ok(match name {
        "LeakyIntegrator" => Some(leaky_integrator_with(
            get("sum").unwrap_or(LEAKY_SUM),
            get("noise"),
        )),
        "Izhikevich" => Some(izhikevich_with(
            get("conductance").unwrap_or(IZHIKEVICH_CONDUCTANCE),
        )),
        "GIF_curr" => Some(gif_curr_with(get("current").unwrap_or(GIF_CURRENT))),
        "GIF_curr_exp" => Some(gif_curr_exp_with(get("current").unwrap_or(GIF_CURRENT))),
        _ => builtin(name),
    })
}

/// The ANNarchy class names that [`builtin`] knows.
pub fn builtin_names() -> &'static [&'static str] {
    NAMES
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::network::model::NeuronKind;

    #[test]
    fn every_builtin_is_found_by_its_name() {
        assert_eq!(builtin_names().len(), 11);
        for name in builtin_names() {
            let n = builtin(name).unwrap_or_else(|| panic!("{name} not found"));
            assert_eq!(n.model_name(), *name);
        }
    }

    #[test]
    fn unknown_names_are_not_found() {
        assert!(builtin("if_curr_exp").is_none());
        assert!(builtin("").is_none());
        assert!(builtin("AdEx").is_none());
    }

    #[test]
    fn every_builtin_has_equations_and_parameters() {
        for name in builtin_names() {
            let n = builtin(name).unwrap();
            assert!(!n.equations.trim().is_empty(), "{name}: no equations");
            assert!(!n.parameters.trim().is_empty(), "{name}: no parameters");
        }
    }

    #[test]
    fn spiking_builtins_have_spike_and_reset() {
        for name in builtin_names() {
            let n = builtin(name).unwrap();
            match n.kind() {
                NeuronKind::Rate => {
                    assert_eq!(*name, "LeakyIntegrator");
                    assert!(n.spike.is_empty() && n.reset.is_empty() && n.refractory.is_none());
                    assert!(n.equations.contains("r = "), "{name}: no output r");
                }
                NeuronKind::Spiking => {
                    assert!(!n.spike.trim().is_empty(), "{name}: no spike condition");
                    // ANNarchy's HH_cond_exp has no reset: its channels repolarise v.
                    if *name == "HH_cond_exp" {
                        assert!(n.reset.trim().is_empty());
                        assert!(n.refractory.is_none());
                    } else {
                        assert!(!n.reset.trim().is_empty(), "{name}: no reset");
                        // ANNarchy's GIF models default to no refractory period.
                        if !name.starts_with("GIF") {
                            assert_eq!(n.refractory.as_deref(), Some("tau_refrac"), "{name}");
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn annarchy_defaults_are_kept() {
        let izh = izhikevich();
        for p in [
            "a = 0.02",
            "b = 0.2",
            "c = -65.0",
            "d = 8.0",
            "v_thresh = 30.0",
        ] {
            assert!(izh.parameters.contains(p), "Izhikevich: {p}");
        }
        assert!(izh.equations.contains("init = -13.0"));
        let hh = hh_cond_exp();
        assert!(hh.spike.contains("prev_v <= v_thresh"));
        let eif = eif_cond_exp_isfa_ista();
        assert!(eif.parameters.contains("tau_refrac = 0.1"));
        assert_eq!(eif.spike, "v > v_spike");
    }
}
