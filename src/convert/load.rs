//! Loading a trained network: a JSON layer list and `.npy` weights (the
//! format is in the [module documentation](super)).

use std::fs::File;
use std::path::{Path, PathBuf};

use ndarray::{Array1, Array2, Array4, ArrayD, Ix1, Ix2, Ix4};
use ndarray_npy::{ReadNpyError, ReadNpyExt};
use serde::Deserialize;

use super::{Layer, PoolOp};
use crate::error::{Error, Result};

#[derive(Deserialize)]
struct FileSpec {
    layout: String,
    input_shape: Vec<usize>,
    layers: Vec<LayerSpec>,
}

#[derive(Deserialize)]
struct LayerSpec {
    name: Option<String>,
    kind: String,
    weights: Option<String>,
    bias: Option<String>,
    strides: Option<Pair>,
    padding: Option<serde_json::Value>,
    pool_size: Option<Pair>,
}

/// One number for both dimensions, or one each.
#[derive(Deserialize)]
#[serde(untagged)]
enum Pair {
    One(usize),
    Two(Vec<usize>),
}

impl Pair {
    fn get(&self) -> Option<(usize, usize)> {
        match self {
            Pair::One(n) => Some((*n, *n)),
            Pair::Two(v) if v.len() == 2 => Some((v[0], v[1])),
            Pair::Two(_) => None,
        }
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Layout {
    Keras,
    Torch,
}

/// Reads a trained network: the JSON layer list at `path` and the `.npy`
/// files it names (relative to its folder). Returns the layers in order,
/// without the skipped ones (`flatten`, `dropout`, activations), in
/// cajal's layouts (`[out, in]` dense weights, `[filters, kh, kw,
/// channels]` filters, channels-last flattening).
///
/// Errors name the JSON file and the layer: a file missing or unreadable
/// ([`Error::Io`]), JSON that is not a layer list or a value out of range
/// ([`Error::Invalid`]), a kind, padding or stride not supported
/// ([`Error::Unsupported`]), weights whose shape does not fit the layer
/// before ([`Error::Shape`], naming the `.npy` file).
///
/// ```no_run
/// let layers = cajal::convert::load_layers("model/model.json")?;
/// # Ok::<(), cajal::Error>(())
/// ```
pub fn load_layers(path: impl AsRef<Path>) -> Result<Vec<Layer>> {
    let path = path.as_ref();
    let file = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|source| Error::Io {
        path: file.clone(),
        source,
    })?;
    let spec: FileSpec = serde_json::from_str(&text).map_err(|e| {
        Error::invalid(
            &file,
            format!("not a layer list (layout, input_shape, layers): {e}"),
        )
    })?;
    let layout = match spec.layout.to_ascii_lowercase().as_str() {
        "keras" | "tensorflow" => Layout::Keras,
        "torch" | "pytorch" => Layout::Torch,
        other => {
            return Err(Error::invalid(
                &file,
                format!("layout '{other}': \"keras\" or \"torch\""),
            ))
        }
    };
    let mut shape = spec.input_shape.clone();
    if !(shape.len() == 1 || shape.len() == 3) || shape.contains(&0) {
        return Err(Error::invalid(
            &file,
            format!("input_shape {shape:?}: [n] or [h, w, channels] (channels last), all positive"),
        ));
    }
    let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
    let mut layers = Vec::new();
    for (i, l) in spec.layers.iter().enumerate() {
        let owner = match &l.name {
            Some(n) => format!("{file}: layer '{n}' (#{i})"),
            None => format!("{file}: layer #{i}"),
        };
        let kind: String = l
            .kind
            .chars()
            .filter(|c| !matches!(c, '_' | '-'))
            .collect::<String>()
            .to_ascii_lowercase();
        let layer = match kind.as_str() {
            // A dense layer reads its input flattened anyway, and a
            // torch one needs the shape of the maps to reorder its columns.
            "flatten" | "dropout" | "activation" | "relu" | "softmax" | "inputlayer" | "input" => {
                continue
            }
            "dense" | "linear" => dense(l, &owner, &dir, layout, &shape)?,
            "conv2d" => conv(l, &owner, &dir, layout, &shape)?,
            "maxpooling2d" | "maxpool2d" => pool(l, &owner, &shape, PoolOp::Max)?,
            "averagepooling2d" | "avgpool2d" => pool(l, &owner, &shape, PoolOp::Average)?,
            _ => {
                return Err(Error::Unsupported {
                    owner,
                    message: format!(
                        "kind '{}': the layers converted are dense/Linear, Conv2D, \
                         MaxPooling2D/MaxPool2d and AveragePooling2D/AvgPool2d (Flatten, \
                         Dropout and activations are skipped)",
                        l.kind
                    ),
                })
            }
        };
        shape = layer.dims().1;
        layers.push(layer);
    }
    if layers.is_empty() {
        return Err(Error::invalid(
            &file,
            "no dense, convolution or pooling layer",
        ));
    }
    Ok(layers)
}

fn need<'a>(v: &'a Option<String>, what: &str, owner: &str) -> Result<&'a String> {
    v.as_ref().ok_or_else(|| {
        Error::invalid(
            owner,
            format!("needs \"{what}\": the .npy file of its {what}"),
        )
    })
}

/// Reads a float32 or float64 `.npy` array.
fn read_array(dir: &Path, name: &str, owner: &str) -> Result<(ArrayD<f32>, String)> {
    let p: PathBuf = dir.join(name);
    let shown = p.display().to_string();
    let open = || {
        File::open(&p).map_err(|source| Error::Io {
            path: format!("{shown} ({owner})"),
            source,
        })
    };
    let bad = |e: ReadNpyError| Error::invalid(owner, format!("{shown}: {e}"));
    let a = match ArrayD::<f32>::read_npy(open()?) {
        Ok(a) => a,
        Err(ReadNpyError::WrongDescriptor(_)) => ArrayD::<f64>::read_npy(open()?)
            .map_err(bad)?
            .mapv(|v| v as f32),
        Err(e) => return Err(bad(e)),
    };
    Ok((a, shown))
}

fn bias(l: &LayerSpec, dir: &Path, owner: &str, n: usize) -> Result<Array1<f32>> {
    let Some(name) = &l.bias else {
        return Ok(Array1::zeros(n));
    };
    let (b, shown) = read_array(dir, name, owner)?;
    if b.shape() != [n] {
        return Err(Error::Shape {
            owner: owner.into(),
            message: format!("{shown}: biases of shape {:?} for {n} outputs", b.shape()),
        });
    }
    b.into_dimensionality::<Ix1>().map_err(|e| Error::Shape {
        owner: owner.into(),
        message: format!("{shown}: {e}"),
    })
}

fn dense(l: &LayerSpec, owner: &str, dir: &Path, layout: Layout, shape: &[usize]) -> Result<Layer> {
    let (w, shown) = read_array(dir, need(&l.weights, "weights", owner)?, owner)?;
    let n_in: usize = shape.iter().product();
    let w = w.into_dimensionality::<Ix2>().map_err(|e| Error::Shape {
        owner: owner.into(),
        message: format!("{shown}: dense weights must have 2 dimensions ({e})"),
    })?;
    // Keras stores [in, out], torch [out, in].
    let w: Array2<f32> = match layout {
        Layout::Keras => w.reversed_axes(),
        Layout::Torch => w,
    };
    if w.ncols() != n_in {
        return Err(Error::Shape {
            owner: owner.into(),
            message: format!(
                "{shown}: weights for {} inputs ([out, in] = {:?}), but the layer before gives {n_in} ({shape:?})",
                w.ncols(),
                w.shape()
            ),
        });
    }
    let w = if layout == Layout::Torch && shape.len() == 3 {
        // torch flattens maps channel first: column c h w + y w + x holds
        // what cajal's y, x, c order puts at (y w + x) c + c.
        let (h, wd, c) = (shape[0], shape[1], shape[2]);
        Array2::from_shape_fn((w.nrows(), n_in), |(o, r)| {
            let (y, x, ch) = (r / (wd * c), (r / c) % wd, r % c);
            w[[o, (ch * h + y) * wd + x]]
        })
    } else {
        w.as_standard_layout().into_owned()
    };
    let b = bias(l, dir, owner, w.nrows())?;
    Ok(Layer::dense(w, b))
}

fn conv(l: &LayerSpec, owner: &str, dir: &Path, layout: Layout, shape: &[usize]) -> Result<Layer> {
    if shape.len() != 3 {
        return Err(Error::Shape {
            owner: owner.into(),
            message: format!(
                "a convolution needs [h, w, channels] maps, the layer before gives {shape:?}"
            ),
        });
    }
    let (w, shown) = read_array(dir, need(&l.weights, "weights", owner)?, owner)?;
    let w = w.into_dimensionality::<Ix4>().map_err(|_| Error::Shape {
        owner: owner.into(),
        message: format!("{shown}: convolution weights must have 4 dimensions"),
    })?;
    // To [filters, kh, kw, channels].
    let w: Array4<f32> = match layout {
        Layout::Keras => w.permuted_axes([3, 0, 1, 2]),
        Layout::Torch => w.permuted_axes([0, 2, 3, 1]),
    }
    .as_standard_layout()
    .into_owned();
    let (_, kh, kw, c) = w.dim();
    if c != shape[2] {
        return Err(Error::Shape {
            owner: owner.into(),
            message: format!(
                "{shown}: filters [filters, kh, kw, channels] = {:?} read {c} channels, but the layer before gives {shape:?}",
                w.shape()
            ),
        });
    }
    let stride = match l.strides.as_ref().map(Pair::get) {
        None => 1,
        Some(Some((a, b))) if a == b && a > 0 => a,
        _ => {
            return Err(Error::Unsupported {
                owner: owner.into(),
                message: "strides: one positive number or two equal ones".into(),
            })
        }
    };
    let same = match &l.padding {
        None => true,
        Some(serde_json::Value::String(s)) => s.eq_ignore_ascii_case("same"),
        Some(serde_json::Value::Array(v)) => {
            v.len() == 2
                && v[0].as_u64() == Some((kh / 2) as u64)
                && v[1].as_u64() == Some((kw / 2) as u64)
        }
        Some(serde_json::Value::Number(n)) => kh == kw && n.as_u64() == Some((kh / 2) as u64),
        Some(_) => false,
    };
    if !same || kh % 2 == 0 || kw % 2 == 0 {
        return Err(Error::Unsupported {
            owner: owner.into(),
            message: format!(
                "padding {:?} with a {kh} x {kw} kernel: convolutions are converted with \"same\" zero padding and odd kernels",
                l.padding
            ),
        });
    }
    let b = bias(l, dir, owner, w.dim().0)?;
    Ok(Layer::conv(w, b, (shape[0], shape[1]), stride))
}

fn pool(l: &LayerSpec, owner: &str, shape: &[usize], op: PoolOp) -> Result<Layer> {
    if shape.len() != 3 {
        return Err(Error::Shape {
            owner: owner.into(),
            message: format!(
                "a pooling needs [h, w, channels] maps, the layer before gives {shape:?}"
            ),
        });
    }
    let size = match l.pool_size.as_ref().map(Pair::get) {
        Some(Some(s)) if s.0 > 0 && s.1 > 0 => s,
        _ => {
            return Err(Error::invalid(
                owner,
                "needs \"pool_size\": one positive number or two",
            ))
        }
    };
    if let Some(s) = &l.strides {
        if s.get() != Some(size) {
            return Err(Error::Unsupported {
                owner: owner.into(),
                message: "pooling strides other than the pool size".into(),
            });
        }
    }
    if size.0 > shape[0] || size.1 > shape[1] {
        return Err(Error::Shape {
            owner: owner.into(),
            message: format!("a {size:?} pool does not fit in {shape:?} maps"),
        });
    }
    Ok(Layer::pool((shape[0], shape[1], shape[2]), size, op))
}
