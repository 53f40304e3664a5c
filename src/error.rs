//! The one error type of cajal.

/// Result alias used across the public API.
pub type Result<T> = std::result::Result<T, Error>;

/// Everything that can go wrong when building or running a network.
///
/// Each message names the object (model, population, projection, monitor)
/// and, for equations, the line and column, so the user can find the cause.
#[derive(thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// An equation, parameter or flag could not be parsed or understood.
    #[error("model '{model}', {section} line {line}, column {column}: {message}")]
    Equation {
        /// Name of the neuron or synapse model.
        model: String,
        /// The section of the model (parameters, equations, spike, reset, ...).
        section: String,
        /// 1-based line inside that section.
        line: usize,
        /// 1-based column inside that line.
        column: usize,
        /// What is wrong.
        message: String,
    },
    /// A model is well formed line by line but inconsistent as a whole.
    #[error("model '{model}': {message}")]
    Model {
        /// Name of the neuron or synapse model.
        model: String,
        /// What is wrong.
        message: String,
    },
    /// A name (population, variable, target, monitor) that does not exist.
    #[error("{owner}: unknown {kind} '{name}'{hint}")]
    Unknown {
        /// Who was asked (population, projection, network...).
        owner: String,
        /// What kind of name it is (variable, population...).
        kind: String,
        /// The name that was not found.
        name: String,
        /// A hint listing what exists, possibly empty.
        hint: String,
    },
    /// Array shapes or sizes that do not fit together.
    #[error("{owner}: shape mismatch: {message}")]
    Shape {
        /// Where it happened.
        owner: String,
        /// Expected and given shapes.
        message: String,
    },
    /// A connector (or its weights/delays) cannot build the requested synapses.
    #[error("projection '{projection}': {message}")]
    Connector {
        /// Name of the projection.
        projection: String,
        /// What is wrong.
        message: String,
    },
    /// An argument is out of its valid range.
    #[error("{owner}: invalid argument: {message}")]
    Invalid {
        /// Where it happened.
        owner: String,
        /// What is wrong.
        message: String,
    },
    /// A feature that this engine does not provide for the given network.
    #[error("{owner}: not supported: {message}")]
    Unsupported {
        /// Where it happened.
        owner: String,
        /// What is not supported and why.
        message: String,
    },
    /// No GPU adapter could be found (or none matched `CAJAL_ADAPTER`).
    #[error("no GPU adapter: {message}")]
    NoAdapter {
        /// Why, and how to get one.
        message: String,
    },
    /// The GPU device failed: device creation, a lost device, a failed readback.
    #[error("GPU: {context}: {message}")]
    Gpu {
        /// What cajal was doing.
        context: String,
        /// The driver's or wgpu's message.
        message: String,
    },
    /// Generated WGSL failed naga's validation: a bug in cajal's code
    /// generator, reported with the source so it can be fixed.
    #[error(
        "generated WGSL for kernel '{kernel}' is invalid: {message}\n--- source ---\n{source_code}"
    )]
    Codegen {
        /// The kernel (and the population or projection it belongs to).
        kernel: String,
        /// naga's message.
        message: String,
        /// The generated source, with line numbers.
        source_code: String,
    },
    /// A buffer larger than the adapter allows.
    #[error("buffer '{buffer}' needs {size} bytes, more than the adapter's {limit_name} ({limit} bytes)")]
    Limit {
        /// The buffer (population, projection or monitor and what it holds).
        buffer: String,
        /// Its size in bytes.
        size: u64,
        /// The limit it exceeds.
        limit: u64,
        /// The name of that limit.
        limit_name: String,
    },
    /// An object would need more memory than the machine can give: found
    /// by an estimate before allocating, or by an allocation that failed.
    #[error("{owner}: needs {} of memory, more than the {} available ({what}); {advice}", crate::memory::human(*.bytes), crate::memory::human(*.available))]
    Memory {
        /// The population, projection, monitor or run that needs it.
        owner: String,
        /// What the memory is for.
        what: String,
        /// Bytes needed.
        bytes: u64,
        /// Bytes available (what the machine reported, or what failed).
        available: u64,
        /// What to do instead.
        advice: String,
    },
    /// A distributed run failed on one of its ranks: its communication, or
    /// an error that rank met and told the others.
    #[error("distributed run, rank {rank}: {message}")]
    Distributed {
        /// The rank where it happened.
        rank: usize,
        /// What went wrong there.
        message: String,
    },
    /// Reading or writing a file failed.
    #[error("{path}: {source}")]
    Io {
        /// The file involved.
        path: String,
        /// The underlying I/O error.
        source: std::io::Error,
    },
}

/// The message, as Display writes it: `fn main() -> cajal::Result<()>`
/// prints an error with Debug, and a newcomer should read what went wrong,
/// not the enum's fields.
impl std::fmt::Debug for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Display::fmt(self, f)
    }
}

impl Error {
    /// Shorthand for [`Error::Invalid`].
    pub(crate) fn invalid(owner: impl Into<String>, message: impl Into<String>) -> Self {
        Error::Invalid {
            owner: owner.into(),
            message: message.into(),
        }
    }

    /// Shorthand for [`Error::Unknown`], listing the known names as a hint.
    pub(crate) fn unknown<S: AsRef<str>>(
        owner: impl Into<String>,
        kind: &str,
        name: &str,
        known: &[S],
    ) -> Self {
        let hint = if known.is_empty() {
            String::new()
        } else {
            let list: Vec<&str> = known.iter().map(|s| s.as_ref()).collect();
            format!(" (known: {})", self::list(&list))
        };
        Error::Unknown {
            owner: owner.into(),
            kind: kind.to_string(),
            name: clip(name),
            hint,
        }
    }
}

/// The names a message lists: all of them up to 30 (each clipped), else
/// the first 30 and how many more.
pub(crate) fn list(names: &[&str]) -> String {
    let shown: Vec<String> = names.iter().take(30).map(|n| clip(n)).collect();
    match names.len().saturating_sub(30) {
        0 => shown.join(", "),
        more => format!("{}, and {more} more", shown.join(", ")),
    }
}

/// The longest name or quoted text a message repeats whole.
const CLIP: usize = 64;

/// `name`, or its first characters and its length when it is longer than
/// a message should repeat (a 100 KB identifier is not echoed whole).
pub(crate) fn clip(name: &str) -> String {
    if name.chars().count() <= CLIP {
        return name.to_string();
    }
    let head: String = name.chars().take(CLIP / 2).collect();
    format!("{head}... ({} characters)", name.chars().count())
}

/// `message` with every '...'-quoted text longer than a message should
/// repeat shortened by [`clip`].
pub(crate) fn clip_quoted(message: &str) -> String {
    let parts: Vec<&str> = message.split('\'').collect();
    if parts
        .iter()
        .skip(1)
        .step_by(2)
        .all(|p| p.chars().count() <= CLIP)
    {
        return message.to_string();
    }
    let mut out = String::with_capacity(message.len().min(4096));
    for (i, p) in parts.iter().enumerate() {
        if i > 0 {
            out.push('\'');
        }
        // Odd parts are inside quotes (the last one only if closed).
        if i % 2 == 1 && i + 1 < parts.len() {
            out.push_str(&clip(p));
        } else {
            out.push_str(p);
        }
    }
    out
}

/// What the errors of numbers beyond f32 suggest.
const F64_HINT: &str = "compute in double precision with Network::dtype(Dtype::F64)";

/// `x` in the engines' single precision, or why it does not fit: a finite
/// number beyond f32's largest would become infinite, a non-zero one below
/// its smallest (subnormal) would become 0. Subnormals pass (they keep a
/// value, with fewer digits). NaN and infinities pass through unchanged:
/// where they are refused, the callers say so in their own words.
pub(crate) fn narrow(x: f64) -> std::result::Result<f32, String> {
    let v = x as f32;
    if x.is_finite() && v.is_infinite() {
        Err(format!(
            "{x:e} does not fit single precision (f32, whose largest number is 3.4e38): it would become infinite; {F64_HINT}"
        ))
    } else if x != 0.0 && v == 0.0 {
        Err(format!(
            "{x:e} does not fit single precision (f32, whose smallest non-zero number is 1.4e-45): it would become 0; {F64_HINT}"
        ))
    } else {
        Ok(v)
    }
}

/// [`narrow`] over values, the error naming `owner` and the first value
/// that does not fit (with its position when there are several).
pub(crate) fn narrow_all(
    xs: impl IntoIterator<Item = f64>,
    owner: impl FnOnce() -> String,
) -> Result<Vec<f32>> {
    let v = fit_all(crate::real::Dtype::F32, xs, owner)?;
    Ok(v.into_iter().map(|x| x as f32).collect())
}

/// [`Dtype::fit`](crate::real::Dtype::fit) over values: each in `dtype`
/// (as an f64), or an error naming `owner` and the first value that does
/// not fit, with its position.
pub(crate) fn fit_all(
    dtype: crate::real::Dtype,
    xs: impl IntoIterator<Item = f64>,
    owner: impl FnOnce() -> String,
) -> Result<Vec<f64>> {
    let mut out = Vec::new();
    for (i, x) in xs.into_iter().enumerate() {
        match dtype.fit(x) {
            Ok(v) => out.push(v),
            Err(why) => {
                return Err(Error::invalid(
                    owner(),
                    format!("the value at index {i}, {why}"),
                ))
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod clip_tests {
    use super::*;

    #[test]
    fn long_quoted_names_are_shortened() {
        let long = "x".repeat(100_000);
        let m = clip_quoted(&format!("unknown name '{long}' (the model has: v)"));
        assert!(
            m.len() < 200 && m.contains("(100000 characters)") && m.ends_with("(the model has: v)"),
            "{m}"
        );
        assert_eq!(clip_quoted("unknown name 'abc'"), "unknown name 'abc'");
        assert_eq!(clip("short"), "short");
    }
}
