//! TensorBoard logging, as ANNarchy's tensorboard extension (`from
//! ANNarchy.extensions.tensorboard import Logger`) does it: scalars, groups
//! of scalars, images, batches of images, histograms, figures and the
//! hyperparameters of a run with its metrics, written as TensorBoard event
//! files that `tensorboard --logdir runs` shows.
//!
//! ```no_run
//! use cajal::tensorboard::Logger;
//! let mut logger = Logger::new()?; // runs/Dec03_14-05-09_<hostname>/
//! for trial in 0..10 {
//!     let accuracy = 0.1 * trial as f64;
//!     logger.add_scalar("Accuracy", accuracy, Some(trial))?;
//! }
//! logger.add_parameters(&[("tau", 20.0.into()), ("method", "euler".into())], &[("accuracy", 0.9)])?;
//! logger.close()?;
//! # Ok::<(), cajal::Error>(())
//! ```
//!
//! ANNarchy's `Logger` wraps tensorboardX's `SummaryWriter`; this one
//! writes what tensorboardX writes for the same calls (the same records,
//! tags, sub-runs and pixels) without Python: the event files are framed
//! by [`record`], their protobuf messages encoded by hand, images encoded
//! as PNG. Unlike tensorboardX, which queues events and writes them every
//! 10 events or 10 s, each `add_*` appends its records to the file before
//! it returns, so a run that stops early loses nothing it logged.

pub mod record;

use std::collections::BTreeMap;
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Component, Path, PathBuf};
use std::sync::OnceLock;
use std::time::{SystemTime, UNIX_EPOCH};

use ndarray::{ArrayBase, Data, Dimension, Ix3};

use crate::error::{Error, Result};
use record::{event, summary, EventBody, Pb};

/// The value of a hyperparameter (ANNarchy's `add_parameters` takes
/// numbers, strings and booleans): TensorBoard's hparams tab shows numbers
/// on axes, strings and booleans as categories.
#[derive(Debug, Clone, PartialEq)]
pub enum HParam {
    /// A number (written as a double, as tensorboardX writes ints and floats).
    Number(f64),
    /// A string.
    Text(String),
    /// A boolean.
    Bool(bool),
}

macro_rules! hparam_number {
    ($($t:ty),*) => {$(
        impl From<$t> for HParam {
            fn from(x: $t) -> Self {
                HParam::Number(x as f64)
            }
        }
    )*};
}
hparam_number!(f64, f32, i32, i64, u32, u64, usize);

impl From<bool> for HParam {
    fn from(x: bool) -> Self {
        HParam::Bool(x)
    }
}

impl From<&str> for HParam {
    fn from(x: &str) -> Self {
        HParam::Text(x.to_string())
    }
}

impl From<String> for HParam {
    fn from(x: String) -> Self {
        HParam::Text(x)
    }
}

/// An element type an image can hold, with tensorboardX's reading of it:
/// `u8` is a level 0..=255 as it is; `f32` and `f64` lie in [0, 1] and
/// become `(x * 255) as u8` (truncated, in the value's own precision, as
/// numpy's `(x * 255.0).astype(np.uint8)`).
pub trait ImageValue: Copy {
    /// The level 0..=255 of this value, `None` when it has none (NaN, or a
    /// float outside [0, 1]).
    fn level(self) -> Option<u8>;
    /// The value as f64, for equalizing.
    fn to_f64(self) -> f64;
}

impl ImageValue for u8 {
    fn level(self) -> Option<u8> {
        Some(self)
    }
    fn to_f64(self) -> f64 {
        self as f64
    }
}

impl ImageValue for f32 {
    fn level(self) -> Option<u8> {
        (0.0..=1.0).contains(&self).then_some((self * 255.0) as u8)
    }
    fn to_f64(self) -> f64 {
        self as f64
    }
}

impl ImageValue for f64 {
    fn level(self) -> Option<u8> {
        (0.0..=1.0).contains(&self).then_some((self * 255.0) as u8)
    }
    fn to_f64(self) -> f64 {
        self
    }
}

/// One event file, appended to: each record written whole with one call,
/// straight to the file (no buffer of ours to lose).
struct EventFile {
    path: PathBuf,
    file: File,
}

fn io_error(path: &Path, source: std::io::Error) -> Error {
    Error::Io {
        path: path.display().to_string(),
        source,
    }
}

impl EventFile {
    /// A new event file in `dir` (created if needed), named as
    /// tensorboardX names it, `events.out.tfevents.<seconds>.<hostname>`,
    /// with `.1`, `.2`... added when that name is taken (tensorboardX
    /// would overwrite it), its first record the file version.
    fn create(dir: &Path) -> Result<EventFile> {
        std::fs::create_dir_all(dir).map_err(|e| io_error(dir, e))?;
        let base = format!(
            "events.out.tfevents.{:010}.{}",
            now().floor() as u64,
            hostname()
        );
        let mut k = 0u32;
        loop {
            let name = match k {
                0 => base.clone(),
                _ => format!("{base}.{k}"),
            };
            let path = dir.join(name);
            match OpenOptions::new().append(true).create_new(true).open(&path) {
                Ok(file) => {
                    let mut f = EventFile { path, file };
                    f.write(None, EventBody::FileVersion("brain.Event:2"))?;
                    return Ok(f);
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && k < 10_000 => k += 1,
                Err(e) => return Err(io_error(&path, e)),
            }
        }
    }

    fn write(&mut self, step: Option<i64>, body: EventBody) -> Result<()> {
        let bytes = record::frame(&event(now(), step, body));
        self.file
            .write_all(&bytes)
            .map_err(|e| io_error(&self.path, e))
    }

    fn sync(&self) -> Result<()> {
        self.file.sync_all().map_err(|e| io_error(&self.path, e))
    }
}

/// Seconds since the Unix epoch (0 on a clock set before it).
fn now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0)
}

/// The machine's name, as Python's `socket.gethostname()` gives it on
/// Linux (the kernel's), else from the environment, else "localhost"; a
/// name that could not be part of a file name is replaced by "localhost".
fn hostname() -> String {
    let name = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .or_else(|| std::env::var("COMPUTERNAME").ok())
        .map(|s| s.trim().to_string())
        .unwrap_or_default();
    if name.is_empty() || name.contains(['/', '\\', '\0']) {
        "localhost".into()
    } else {
        name
    }
}

/// ANNarchy's default run name, `%b%d_%H-%M-%S` of `secs` (UTC: the
/// standard library knows no time zones) and the hostname:
/// `Dec03_14-05-09_machine`.
fn run_name(secs: u64, host: &str) -> String {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let (days, rest) = (secs / 86_400, secs % 86_400);
    // Civil date from days since 1970-01-01 (H. Hinnant's algorithm).
    let z = days as i64 + 719_468;
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    format!(
        "{}{:02}_{:02}-{:02}-{:02}_{host}",
        MONTHS[(month - 1) as usize],
        day,
        rest / 3600,
        rest / 60 % 60,
        rest % 60
    )
}

/// tensorboardX's `_clean_tag`: every character other than letters,
/// digits, `_`, `-`, `/` and `.` becomes `_`, and leading slashes go.
fn clean_tag(tag: &str) -> String {
    let s: String = tag
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || matches!(c, '_' | '-' | '/' | '.') {
                c
            } else {
                '_'
            }
        })
        .collect();
    s.trim_start_matches('/').to_string()
}

/// The cleaned tag, or an error for an empty one.
fn tag_of(kind: &str, tag: &str) -> Result<String> {
    let t = clean_tag(tag);
    if t.is_empty() {
        return Err(Error::invalid(
            format!("tensorboard {kind}"),
            format!("the tag '{tag}' is empty once cleaned (TensorBoard's tags are letters, digits, '_', '-', '/' and '.')"),
        ));
    }
    Ok(t)
}

/// `name` as a path below the run directory: refused when it is empty,
/// absolute or climbs out (`..`), since it names a folder.
fn sub_path(owner: &str, name: &str) -> Result<PathBuf> {
    let p = Path::new(name);
    let ok = !name.is_empty()
        && !name.contains('\0')
        && p.components().all(|c| matches!(c, Component::Normal(_)));
    if ok {
        Ok(p.to_path_buf())
    } else {
        Err(Error::invalid(
            owner.to_string(),
            format!(
                "'{name}' names a sub-run folder: it must be a relative path without '..' or '.'"
            ),
        ))
    }
}

/// A scalar in the f32 of TensorBoard's `simple_value`: NaN and the
/// infinities as they are (TensorBoard shows them), a finite value f32
/// cannot hold refused.
fn scalar_value(owner: impl Fn() -> String, x: f64) -> Result<f32> {
    crate::error::narrow(x).map_err(|why| Error::invalid(owner(), why))
}

/// A `Summary` of one scalar.
fn scalar_summary(tag: &str, x: f32) -> Pb {
    summary(tag, |v| {
        v.float(2, x);
    })
}

/// tensorboardX's default histogram bins (its `bins='tensorflow'`):
/// -1e20 .. -1e-12, 0, 1e-12 .. 1e20, each edge 1.1 times the last.
fn default_bins() -> &'static [f64] {
    static BINS: OnceLock<Vec<f64>> = OnceLock::new();
    BINS.get_or_init(|| {
        let mut pos = Vec::new();
        let mut v = 1e-12f64;
        while v < 1e20 {
            pos.push(v);
            v *= 1.1;
        }
        let mut all: Vec<f64> = pos.iter().rev().map(|x| -x).collect();
        all.push(0.0);
        all.extend(pos);
        all
    })
}

/// The `HistogramProto` of `values` as tensorboardX's `make_histogram`
/// builds it: numpy's histogram over [`default_bins`] (each bin
/// `[e_i, e_i+1)`, the last closed, values beyond the edges counted in
/// `num` but in no bin), trimmed to the bins from the first to the last
/// non-empty one, with one bin more on the left (TensorBoard keeps only
/// right edges, so that bin's edge is the support's left end).
fn histogram_proto(owner: &str, values: &[f64]) -> Result<Pb> {
    if values.is_empty() {
        return Err(Error::invalid(
            owner,
            "a histogram needs at least one value",
        ));
    }
    if let Some((i, x)) = values.iter().enumerate().find(|(_, x)| !x.is_finite()) {
        return Err(Error::invalid(
            owner,
            format!("the value at index {i} is {x}: a histogram takes finite values"),
        ));
    }
    let edges = default_bins();
    let last = edges.len() - 1;
    let mut counts = vec![0f64; last];
    for &x in values {
        if x < edges[0] || x > edges[last] {
            continue;
        }
        let bin = edges
            .partition_point(|&e| e <= x)
            .saturating_sub(1)
            .min(last - 1);
        counts[bin] += 1.0;
    }
    let (Some(first), Some(end)) = (
        counts.iter().position(|&c| c > 0.0),
        counts.iter().rposition(|&c| c > 0.0),
    ) else {
        return Err(Error::invalid(
            owner,
            "every value lies beyond ±1e20, the edges of TensorBoard's bins",
        ));
    };
    let bucket: Vec<f64> = if first > 0 {
        counts[first - 1..=end].to_vec()
    } else {
        std::iter::once(0.0)
            .chain(counts[..=end].iter().copied())
            .collect()
    };
    let limits = &edges[first..=end + 1];
    let mut h = Pb::default();
    h.double(1, values.iter().copied().fold(f64::INFINITY, f64::min))
        .double(2, values.iter().copied().fold(f64::NEG_INFINITY, f64::max))
        .double(3, values.len() as f64)
        .double(4, values.iter().sum())
        .double(5, values.iter().map(|x| x * x).sum())
        .packed_doubles(6, limits)
        .packed_doubles(7, &bucket);
    Ok(h)
}

/// An 8-bit RGB image, rows top to bottom, as PNG.
fn png_rgb(owner: &str, width: usize, height: usize, rgb: &[u8]) -> Result<Vec<u8>> {
    let too_big = || {
        Error::invalid(
            owner,
            format!("a {height} x {width} image is larger than PNG and TensorBoard take (2^31 - 1 a side)"),
        )
    };
    let w = u32::try_from(width)
        .ok()
        .filter(|&w| w <= i32::MAX as u32)
        .ok_or_else(too_big)?;
    let h = u32::try_from(height)
        .ok()
        .filter(|&h| h <= i32::MAX as u32)
        .ok_or_else(too_big)?;
    let mut out = Vec::new();
    let fail = |e: png::EncodingError| Error::invalid(owner, format!("PNG encoding failed: {e}"));
    let mut enc = png::Encoder::new(&mut out, w, h);
    enc.set_color(png::ColorType::Rgb);
    enc.set_depth(png::BitDepth::Eight);
    let mut writer = enc.write_header().map_err(fail)?;
    writer.write_image_data(rgb).map_err(fail)?;
    writer.finish().map_err(fail)?;
    Ok(out)
}

/// An image `Summary.Value` (field 4): height, width, colorspace 3 (RGB,
/// as tensorboardX writes grey images too) and the PNG.
fn image_summary(owner: &str, tag: &str, width: usize, height: usize, rgb: &[u8]) -> Result<Pb> {
    let png = png_rgb(owner, width, height, rgb)?;
    let mut img = Pb::default();
    img.int(1, height as i64)
        .int(2, width as i64)
        .int(3, 3)
        .bytes(4, &png);
    Ok(summary(tag, |v| {
        v.message(4, &img);
    }))
}

/// The index of a flat (row-major) position in an array of `shape`.
fn index_of(shape: &[usize], mut flat: usize) -> Vec<usize> {
    let mut idx = vec![0; shape.len()];
    for (k, &n) in shape.iter().enumerate().rev() {
        idx[k] = flat % n.max(1);
        flat /= n.max(1);
    }
    idx
}

/// The levels of `values` (one image, or all of them for a global
/// equalization): equalized to [0, 1] by their minimum and maximum in f64
/// (ANNarchy's `(img - img.min()) / (img.max() - img.min())`; a constant
/// image, where ANNarchy divides by 0, becomes black) or read as they are.
/// `shape` and `offset` place a value in the caller's array for errors.
fn levels<A: ImageValue>(
    owner: &str,
    values: &[A],
    equalize: bool,
    shape: &[usize],
    offset: usize,
) -> Result<Vec<u8>> {
    let bad = |i: usize, x: f64, why: &str| {
        Error::invalid(
            owner,
            format!(
                "the value at {:?} is {x}: {why}",
                index_of(shape, offset + i)
            ),
        )
    };
    if equalize {
        let mut lo = f64::INFINITY;
        let mut hi = f64::NEG_INFINITY;
        for (i, x) in values.iter().enumerate() {
            let x = x.to_f64();
            if !x.is_finite() {
                return Err(bad(i, x, "an image to equalize takes finite values"));
            }
            lo = lo.min(x);
            hi = hi.max(x);
        }
        let span = hi - lo;
        return Ok(values
            .iter()
            .map(|x| {
                if span > 0.0 {
                    ((x.to_f64() - lo) / span).level().unwrap_or(0)
                } else {
                    0
                }
            })
            .collect());
    }
    values
        .iter()
        .enumerate()
        .map(|(i, &x)| {
            x.level().ok_or_else(|| {
                bad(
                    i,
                    x.to_f64(),
                    "a float image's values lie in [0, 1] (u8 images: 0..=255); pass equalize = true to rescale by the minimum and maximum",
                )
            })
        })
        .collect()
}

/// The logger: one run directory of TensorBoard event files (ANNarchy's
/// `Logger`). Each `add_*` appends to the run's event file, or for
/// [`add_scalars`](Self::add_scalars) and
/// [`add_parameters`](Self::add_parameters) to the sub-runs' files, and
/// returns once the records are written; the files close when the logger
/// is dropped or [`close`](Self::close)d.
///
/// `step` is TensorBoard's x axis (ANNarchy's `step`, tensorboardX's
/// `global_step`); `None` leaves it out, which TensorBoard reads as 0.
/// Tags are cleaned as tensorboardX cleans them: characters other than
/// letters, digits, `_`, `-`, `/` and `.` become `_` ("Population / rate"
/// is shown as "Population_/_rate"); a `/` groups plots ("Network/rate").
pub struct Logger {
    dir: PathBuf,
    file: EventFile,
    sub_runs: BTreeMap<PathBuf, EventFile>,
}

impl std::fmt::Debug for Logger {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Logger")
            .field("dir", &self.dir)
            .field("file", &self.file.path)
            .finish()
    }
}

impl Logger {
    /// A logger in `runs/<Mon>DD_HH-MM-SS_<hostname>` under the current
    /// directory (ANNarchy's `Logger()`; the time is UTC).
    pub fn new() -> Result<Logger> {
        Logger::with_dir("runs", None)
    }

    /// A logger in `logdir/experiment`, or in `logdir/<Mon>DD_HH-MM-SS_<hostname>`
    /// without an experiment name (ANNarchy's `Logger(logdir, experiment)`).
    /// The directories are created; reusing an experiment's name adds a
    /// new event file beside the old ones, which TensorBoard reads as one
    /// run. An unwritable directory is an error naming it.
    ///
    /// ```
    /// let dir = std::env::temp_dir().join("cajal-doc-logger");
    /// let logger = cajal::tensorboard::Logger::with_dir(&dir, Some("trial1"))?;
    /// assert_eq!(logger.logdir(), dir.join("trial1"));
    /// # std::fs::remove_dir_all(&dir).ok();
    /// # Ok::<(), cajal::Error>(())
    /// ```
    pub fn with_dir(logdir: impl AsRef<Path>, experiment: Option<&str>) -> Result<Logger> {
        let logdir = logdir.as_ref();
        let dir = match experiment {
            Some(e) if !e.is_empty() => logdir.join(e),
            _ => logdir.join(run_name(now().floor() as u64, &hostname())),
        };
        let file = EventFile::create(&dir)?;
        Ok(Logger {
            dir,
            file,
            sub_runs: BTreeMap::new(),
        })
    }

    /// The run's directory (ANNarchy's `currentlogdir`).
    pub fn logdir(&self) -> &Path {
        &self.dir
    }

    /// The run's event file.
    pub fn event_file(&self) -> &Path {
        &self.file.path
    }

    /// Logs one scalar (ANNarchy's `add_scalar(tag, value, step)`): a
    /// success rate, a loss, a firing rate. TensorBoard stores it as f32;
    /// NaN and infinities are written as they are, a finite value beyond
    /// f32 is an error.
    pub fn add_scalar(&mut self, tag: &str, value: f64, step: Option<i64>) -> Result<()> {
        let t = tag_of("scalar", tag)?;
        let x = scalar_value(|| format!("tensorboard scalar '{tag}'"), value)?;
        self.file
            .write(step, EventBody::Summary(&scalar_summary(&t, x)))
    }

    /// Logs several scalars drawn in one plot (ANNarchy's
    /// `add_scalars(tag, {name: value}, step)`): as tensorboardX does,
    /// each name is a sub-run `<logdir>/<tag>/<name>` with its own event
    /// file, holding the value under `tag`, so TensorBoard draws one line
    /// per name in the plot `tag`. Nothing is written when a value is
    /// refused.
    pub fn add_scalars(
        &mut self,
        tag: &str,
        values: &[(&str, f64)],
        step: Option<i64>,
    ) -> Result<()> {
        let t = tag_of("scalars", tag)?;
        let owner = format!("tensorboard scalars '{tag}'");
        let mut checked = Vec::with_capacity(values.len());
        for &(name, x) in values {
            let dir = sub_path(&owner, tag)?.join(sub_path(&owner, name)?);
            let x = scalar_value(|| format!("{owner}, '{name}'"), x)?;
            checked.push((dir, x));
        }
        for (dir, x) in checked {
            let file = match self.sub_runs.entry(dir) {
                std::collections::btree_map::Entry::Occupied(o) => o.into_mut(),
                std::collections::btree_map::Entry::Vacant(v) => {
                    let f = EventFile::create(&self.dir.join(v.key()))?;
                    v.insert(f)
                }
            };
            file.write(step, EventBody::Summary(&scalar_summary(&t, x)))?;
        }
        Ok(())
    }

    /// Logs an image (ANNarchy's `add_image(tag, img, step, equalize)`):
    /// `(height, width)` grey levels or `(height, width, 3)` RGB, floats
    /// in [0, 1] or `u8` levels 0..=255. `equalize` rescales the values to
    /// [0, 1] by their minimum and maximum first (a constant image becomes
    /// black). Floats become `(x * 255) as u8` (truncated, as tensorboardX
    /// does) and the image is written as an RGB PNG (grey ones too, as
    /// tensorboardX writes them). A NaN, a float outside [0, 1] without
    /// `equalize` or another shape is an error.
    ///
    /// ```
    /// # let dir = std::env::temp_dir().join("cajal-doc-image");
    /// let mut logger = cajal::tensorboard::Logger::with_dir(&dir, Some("run"))?;
    /// let rates = ndarray::Array2::from_shape_fn((10, 10), |(i, j)| (i * j) as f32);
    /// logger.add_image("Population/rate", &rates, Some(0), true)?;
    /// # std::fs::remove_dir_all(&dir).ok();
    /// # Ok::<(), cajal::Error>(())
    /// ```
    pub fn add_image<A, S, D>(
        &mut self,
        tag: &str,
        img: &ArrayBase<S, D>,
        step: Option<i64>,
        equalize: bool,
    ) -> Result<()>
    where
        A: ImageValue,
        S: Data<Elem = A>,
        D: Dimension,
    {
        let t = tag_of("image", tag)?;
        let owner = format!("tensorboard image '{tag}'");
        let shape = img.shape().to_vec();
        let (h, w, c) = match shape[..] {
            [h, w] => (h, w, 1),
            [h, w, 3] => (h, w, 3),
            _ => {
                return Err(Error::Shape {
                    owner,
                    message: format!(
                        "an image is (height, width) or (height, width, 3), got {shape:?}"
                    ),
                })
            }
        };
        if h == 0 || w == 0 {
            return Err(Error::Shape {
                owner,
                message: format!("an image needs at least one pixel, got {shape:?}"),
            });
        }
        let values: Vec<A> = img.iter().copied().collect();
        let lv = levels(&owner, &values, equalize, &shape, 0)?;
        let rgb = to_rgb(&lv, c);
        let s = image_summary(&owner, &t, w, h, &rgb)?;
        self.file.write(step, EventBody::Summary(&s))
    }

    /// Logs a batch of images as one image (ANNarchy's `add_images(tag,
    /// img, step, equalize, equalize_per_image)`), e.g. receptive fields:
    /// `(number, height, width)` grey or `(number, height, width, 3)` RGB,
    /// values as in [`add_image`](Self::add_image). As tensorboardX does,
    /// the images are laid out on a grid of up to 8 columns, row after
    /// row, the cells left over black. `equalize` rescales by the minimum
    /// and maximum of the whole batch, or of each image with
    /// `equalize_per_image`.
    pub fn add_images<A, S, D>(
        &mut self,
        tag: &str,
        imgs: &ArrayBase<S, D>,
        step: Option<i64>,
        equalize: bool,
        equalize_per_image: bool,
    ) -> Result<()>
    where
        A: ImageValue,
        S: Data<Elem = A>,
        D: Dimension,
    {
        let t = tag_of("images", tag)?;
        let owner = format!("tensorboard images '{tag}'");
        let shape = imgs.shape().to_vec();
        let (n, h, w, c) = match shape[..] {
            [n, h, w] => (n, h, w, 1),
            [n, h, w, 3] => (n, h, w, 3),
            _ => {
                return Err(Error::Shape {
                    owner,
                    message: format!("a batch of images is (number, height, width) or (number, height, width, 3), got {shape:?}"),
                })
            }
        };
        if n == 0 || h == 0 || w == 0 {
            return Err(Error::Shape {
                owner,
                message: format!("a batch needs at least one image of one pixel, got {shape:?}"),
            });
        }
        let values: Vec<A> = imgs.iter().copied().collect();
        let per = h * w * c;
        let lv = if equalize && equalize_per_image {
            let mut all = Vec::with_capacity(values.len());
            for (k, one) in values.chunks(per).enumerate() {
                all.extend(levels(&owner, one, true, &shape, k * per)?);
            }
            all
        } else {
            levels(&owner, &values, equalize, &shape, 0)?
        };
        let rgb = to_rgb(&lv, c);
        let cols = n.min(8);
        let rows = n.div_ceil(cols);
        let (gw, gh) = (cols * w, rows * h);
        let mut grid = vec![0u8; gw * gh * 3];
        for (k, one) in rgb.chunks(h * w * 3).enumerate() {
            let (y0, x0) = (k / cols * h, k % cols * w);
            for y in 0..h {
                let dst = ((y0 + y) * gw + x0) * 3;
                grid[dst..dst + w * 3].copy_from_slice(&one[y * w * 3..(y + 1) * w * 3]);
            }
        }
        let s = image_summary(&owner, &t, gw, gh, &grid)?;
        self.file.write(step, EventBody::Summary(&s))
    }

    /// Logs a figure (ANNarchy's `add_figure(tag, figure, step)`, which
    /// takes a Matplotlib figure and writes its pixels as an image): here
    /// the figure's pixels, `(height, width, 3)` RGB or `(height, width,
    /// 4)` RGBA (the alpha dropped, as ANNarchy drops it), such as
    /// [`crate::plot::raster_pixels`] and [`crate::plot::rates_pixels`]
    /// draw.
    pub fn add_figure<S: Data<Elem = u8>>(
        &mut self,
        tag: &str,
        figure: &ArrayBase<S, Ix3>,
        step: Option<i64>,
    ) -> Result<()> {
        let t = tag_of("figure", tag)?;
        let owner = format!("tensorboard figure '{tag}'");
        let (h, w, c) = figure.dim();
        if !(c == 3 || c == 4) || h == 0 || w == 0 {
            return Err(Error::Shape {
                owner,
                message: format!(
                    "a figure is (height, width, 3) RGB or (height, width, 4) RGBA pixels, got ({h}, {w}, {c})"
                ),
            });
        }
        let rgb: Vec<u8> = figure
            .slice(ndarray::s![.., .., 0..3])
            .iter()
            .copied()
            .collect();
        let s = image_summary(&owner, &t, w, h, &rgb)?;
        self.file.write(step, EventBody::Summary(&s))
    }

    /// Logs a histogram of `values` (ANNarchy's `add_histogram(tag, hist,
    /// step)`), e.g. the weights of a projection, with tensorboardX's
    /// default bins: edges ±1e-12 × 1.1^k up to ±1e20 and 0, the buckets
    /// from the first to the last non-empty one (and one empty bucket
    /// before it), with the values' minimum, maximum, count, sum and sum
    /// of squares. No values, or a NaN or infinite one, is an error.
    ///
    /// ```
    /// # let dir = std::env::temp_dir().join("cajal-doc-histogram");
    /// let mut logger = cajal::tensorboard::Logger::with_dir(&dir, Some("run"))?;
    /// let weights = vec![0.5f32, 0.6, 0.55];
    /// logger.add_histogram("Weights", weights.iter().copied(), Some(3))?;
    /// # std::fs::remove_dir_all(&dir).ok();
    /// # Ok::<(), cajal::Error>(())
    /// ```
    pub fn add_histogram(
        &mut self,
        tag: &str,
        values: impl IntoIterator<Item = impl Into<f64>>,
        step: Option<i64>,
    ) -> Result<()> {
        let t = tag_of("histogram", tag)?;
        let owner = format!("tensorboard histogram '{tag}'");
        let values: Vec<f64> = values.into_iter().map(Into::into).collect();
        let h = histogram_proto(&owner, &values)?;
        let s = summary(&t, |v| {
            v.message(5, &h);
        });
        self.file.write(step, EventBody::Summary(&s))
    }

    /// Logs the parameters of a run with the metrics they gave (ANNarchy's
    /// `add_parameters(params, metrics)`, tensorboardX's `add_hparams`),
    /// for TensorBoard's HPARAMS tab, which compares runs by their
    /// parameters: once per run or trial, usually at its end. As
    /// tensorboardX does, it writes a sub-run named by the time
    /// (`<logdir>/1764770709.123456`) holding the hparams plugin's three
    /// summaries (`_hparams_/experiment`: the parameters' names and types
    /// and the metrics' tags; `_hparams_/session_start_info`: the
    /// parameters' values; `_hparams_/session_end_info`: status success)
    /// and each metric as a scalar under its name. A parameter that is a
    /// NaN or infinite number, or a metric beyond f32, is an error and
    /// nothing is written.
    ///
    /// ```
    /// # let dir = std::env::temp_dir().join("cajal-doc-hparams");
    /// let mut logger = cajal::tensorboard::Logger::with_dir(&dir, Some("run"))?;
    /// logger.add_parameters(
    ///     &[("w_exc", 0.6.into()), ("w_inh", 6.7.into())],
    ///     &[("loss", 0.074), ("firing_rate", 21.39)],
    /// )?;
    /// # std::fs::remove_dir_all(&dir).ok();
    /// # Ok::<(), cajal::Error>(())
    /// ```
    pub fn add_parameters(
        &mut self,
        params: &[(&str, HParam)],
        metrics: &[(&str, f64)],
    ) -> Result<()> {
        let owner = "tensorboard parameters";
        let mut start = Pb::default();
        let mut exp = Pb::default();
        for (name, value) in params {
            let mut v = Pb::default();
            let kind = match value {
                HParam::Number(x) if x.is_finite() => {
                    v.double(2, *x);
                    3
                }
                HParam::Number(x) => {
                    return Err(Error::invalid(
                        owner,
                        format!("the parameter '{name}' is {x}: TensorBoard's parameters are finite numbers"),
                    ))
                }
                HParam::Text(s) => {
                    v.bytes(3, s.as_bytes());
                    1
                }
                HParam::Bool(b) => {
                    v.int(4, *b as i64);
                    2
                }
            };
            let mut entry = Pb::default();
            entry.bytes(1, name.as_bytes()).message(2, &v);
            start.message(1, &entry);
            let mut info = Pb::default();
            info.bytes(1, name.as_bytes()).int(4, kind);
            exp.message(4, &info);
        }
        let mut scalars = Vec::with_capacity(metrics.len());
        for &(name, x) in metrics {
            let t = tag_of("parameters' metric", name)?;
            let x = scalar_value(|| format!("{owner}, metric '{name}'"), x)?;
            scalars.push((t, x));
            let mut metric = Pb::default();
            metric.bytes(2, name.as_bytes());
            let mut info = Pb::default();
            info.message(1, &metric);
            exp.message(5, &info);
        }
        let mut end = Pb::default();
        end.int(1, 1);
        // HParamsPluginData: version 0 (left out, as protobuf leaves out a
        // default), then the experiment (2), the session start (3) or end (4).
        let plugin = |field: u32, m: &Pb, tag: &str| {
            let mut data = Pb::default();
            data.message(field, m);
            let mut pd = Pb::default();
            pd.bytes(1, b"hparams").bytes(2, &data.0);
            let mut meta = Pb::default();
            meta.message(1, &pd);
            summary(tag, |v| {
                v.message(9, &meta);
            })
        };
        // The sub-run's name, Python's str(time.time()), made unique.
        let mut name = python_float(now());
        while self.dir.join(&name).exists() {
            name = python_float(now() + 1e-6);
        }
        let mut file = EventFile::create(&self.dir.join(&name))?;
        file.write(
            None,
            EventBody::Summary(&plugin(2, &exp, "_hparams_/experiment")),
        )?;
        file.write(
            None,
            EventBody::Summary(&plugin(3, &start, "_hparams_/session_start_info")),
        )?;
        file.write(
            None,
            EventBody::Summary(&plugin(4, &end, "_hparams_/session_end_info")),
        )?;
        for (t, x) in scalars {
            file.write(None, EventBody::Summary(&scalar_summary(&t, x)))?;
        }
        Ok(())
    }

    /// Forces what was logged onto the disk (ANNarchy's `flush`): every
    /// record is already in the files when its `add_*` returns; this also
    /// asks the system to write them to the device (fsync).
    pub fn flush(&mut self) -> Result<()> {
        self.file.sync()?;
        self.sub_runs.values().try_for_each(EventFile::sync)
    }

    /// Closes the logger (ANNarchy's `close`): flushes, then closes the files.
    pub fn close(mut self) -> Result<()> {
        self.flush()
    }
}

/// Grey levels replicated to RGB (`c == 1`), or RGB as it is.
fn to_rgb(levels: &[u8], c: usize) -> Vec<u8> {
    if c == 3 {
        levels.to_vec()
    } else {
        levels.iter().flat_map(|&g| [g, g, g]).collect()
    }
}

/// `x` as Python's `str(float)` writes it (shortest round trip, ".0" on a
/// whole number).
fn python_float(x: f64) -> String {
    let s = format!("{x}");
    if s.contains('.') {
        s
    } else {
        format!("{s}.0")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn run_names_read_as_annarchy_writes_them() {
        // 2026-12-03 14:05:09 UTC = 1796306709 (date -u -d @1796306709).
        assert_eq!(run_name(1_796_306_709, "host"), "Dec03_14-05-09_host");
        assert_eq!(run_name(0, "h"), "Jan01_00-00-00_h");
        // 2024-02-29 23:59:59 UTC, a leap day.
        assert_eq!(run_name(1_709_251_199, "h"), "Feb29_23-59-59_h");
    }

    #[test]
    fn tags_are_cleaned_as_tensorboardx_cleans_them() {
        assert_eq!(
            clean_tag("Population / Firing rate"),
            "Population_/_Firing_rate"
        );
        assert_eq!(clean_tag("//a/b.c-d_e"), "a/b.c-d_e");
        assert_eq!(python_float(1.5), "1.5");
        assert_eq!(python_float(17.0), "17.0");
    }
}
