//! Monitors that record to disk as they go ([`Simulation::stream_to`]):
//! `.npy` files that grow by appending, readable by `numpy.load` (and
//! [`read_recording`]) whenever the simulation is not inside a run.
//!
//! Each file has a fixed 128-byte header whose shape is rewritten after
//! every append: the rows go first (to the end of the file), then the
//! header that counts them, so a run that stops part-way (disk full, a
//! killed process) leaves a file whose header counts only rows that are
//! whole. The files of one monitor in its directory:
//! `sample_steps.npy` (u64, one per sample), `var_NAME.npy` (f32,
//! `[samples, values]`, one per recorded variable), `spikes.npy` (u64,
//! `[spikes, 2]`: step, rank) when it records spikes, and `variables.txt`
//! (the recorded variables in the monitor's order).
//!
//! [`Simulation::stream_to`]: crate::engine::Simulation::stream_to

use std::fs::File;
use std::io::{Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use ndarray::Array2;

use crate::engine::Recording;
use crate::error::{Error, Result};

/// The header's size: magic, version, its length, the dictionary padded
/// with spaces; room for two 20-digit dimensions.
const HEADER: usize = 128;

fn io_err(path: &Path, e: std::io::Error) -> Error {
    Error::Io {
        path: path.display().to_string(),
        source: e,
    }
}

/// An `.npy` file of 2-D rows (or a 1-D vector, `cols = None`) that grows
/// by appending.
pub(crate) struct NpyAppender {
    path: PathBuf,
    file: File,
    /// numpy's type string: `<f4`, `<u8`.
    descr: &'static str,
    cols: Option<usize>,
    rows: u64,
}

impl NpyAppender {
    /// Creates (or empties) the file, with a header of no rows.
    pub(crate) fn create(path: PathBuf, descr: &'static str, cols: Option<usize>) -> Result<Self> {
        let file = File::create(&path).map_err(|e| io_err(&path, e))?;
        let mut a = NpyAppender {
            path,
            file,
            descr,
            cols,
            rows: 0,
        };
        a.write_header()?;
        Ok(a)
    }

    fn header(&self) -> Vec<u8> {
        let shape = match self.cols {
            Some(c) => format!("({}, {c})", self.rows),
            None => format!("({},)", self.rows),
        };
        let dict = format!(
            "{{'descr': '{}', 'fortran_order': False, 'shape': {shape}, }}",
            self.descr
        );
        let mut h = b"\x93NUMPY\x01\x00".to_vec();
        h.extend_from_slice(&((HEADER - 10) as u16).to_le_bytes());
        h.extend_from_slice(dict.as_bytes());
        h.resize(HEADER - 1, b' ');
        h.push(b'\n');
        h
    }

    fn write_header(&mut self) -> Result<()> {
        let h = self.header();
        let path = self.path.clone();
        (|| {
            self.file.seek(SeekFrom::Start(0))?;
            self.file.write_all(&h)?;
            self.file.flush()
        })()
        .map_err(|e| io_err(&path, e))
    }

    /// Appends `rows` rows (their values in `bytes`, little-endian) and
    /// then counts them in the header.
    pub(crate) fn append(&mut self, bytes: &[u8], rows: u64) -> Result<()> {
        if rows == 0 {
            return Ok(());
        }
        let path = self.path.clone();
        let end = HEADER as u64 + self.rows * self.row_bytes();
        (|| {
            self.file.seek(SeekFrom::Start(end))?;
            self.file.write_all(bytes)
        })()
        .map_err(|e| io_err(&path, e))?;
        self.rows += rows;
        self.write_header()
    }

    fn row_bytes(&self) -> u64 {
        let item = if self.descr == "<f4" { 4 } else { 8 };
        item * self.cols.unwrap_or(1) as u64
    }
}

/// The files of a monitor streaming to a directory.
pub(crate) struct Stream {
    pub(crate) dir: PathBuf,
    steps: NpyAppender,
    vars: Vec<NpyAppender>,
    spikes: Option<NpyAppender>,
}

impl Stream {
    /// Creates the directory and the files of a monitor recording `vars`
    /// (`widths` values a sample each) and, if `spikes`, its spikes.
    pub(crate) fn create(
        dir: &Path,
        vars: &[String],
        widths: &[usize],
        spikes: bool,
        dtype: crate::real::Dtype,
    ) -> Result<Self> {
        let descr = match dtype {
            crate::real::Dtype::F32 => "<f4",
            crate::real::Dtype::F64 => "<f8",
        };
        std::fs::create_dir_all(dir).map_err(|e| io_err(dir, e))?;
        super::write_atomic(dir.join("variables.txt"), vars.join("\n").as_bytes())?;
        Ok(Stream {
            dir: dir.to_path_buf(),
            steps: NpyAppender::create(dir.join("sample_steps.npy"), "<u8", None)?,
            vars: vars
                .iter()
                .zip(widths)
                .map(|(v, &w)| {
                    NpyAppender::create(dir.join(format!("var_{v}.npy")), descr, Some(w))
                })
                .collect::<Result<_>>()?,
            spikes: spikes
                .then(|| NpyAppender::create(dir.join("spikes.npy"), "<u8", Some(2)))
                .transpose()?,
        })
    }

    /// Appends samples (`steps`, and for each variable its rows one after
    /// the other) and spikes. The sample steps go last: a reader trusts
    /// the rows that `sample_steps.npy` counts.
    pub(crate) fn append(
        &mut self,
        steps: &[u64],
        vars: &[crate::real::Reals],
        spikes: &[(u64, u32)],
    ) -> Result<()> {
        let n = steps.len() as u64;
        for (a, v) in self.vars.iter_mut().zip(vars) {
            match v {
                crate::real::Reals::F32(v) => a.append(bytemuck::cast_slice(v), n)?,
                crate::real::Reals::F64(v) => a.append(bytemuck::cast_slice(v), n)?,
            }
        }
        if let Some(a) = &mut self.spikes {
            let flat: Vec<u64> = spikes
                .iter()
                .flat_map(|&(s, r)| [s, u64::from(r)])
                .collect();
            a.append(bytemuck::cast_slice(&flat), spikes.len() as u64)?;
        }
        self.steps.append(bytemuck::cast_slice(steps), n)
    }
}

/// Reads back what a monitor streamed to `dir` (see the
/// [module documentation](self)): sample steps, variables and spikes as
/// [`Simulation::take_recording`](crate::engine::Simulation::take_recording) hands
/// them (an f64 network's values rounded to f32:
/// [`read_recording_f64`] reads them whole). Rows past the count of
/// `sample_steps.npy` (a run cut short) are left out.
pub fn read_recording(dir: impl AsRef<Path>) -> Result<Recording> {
    let r = read_recording_f64(dir)?;
    Ok(Recording {
        sample_steps: r.sample_steps,
        vars: r
            .vars
            .into_iter()
            .map(|(name, a)| (name, a.mapv(|x| x as f32)))
            .collect(),
        spikes: r.spikes,
    })
}

/// [`read_recording`] in f64: the values as the files hold them (an f32
/// network's `<f4` widened, an f64 network's `<f8` whole), as
/// [`Simulation::take_recording_f64`](crate::engine::Simulation::take_recording_f64)
/// hands them.
pub fn read_recording_f64(dir: impl AsRef<Path>) -> Result<Recording<f64>> {
    use ndarray_npy::ReadNpyExt;
    let dir = dir.as_ref();
    let open = |name: &str| {
        let p = dir.join(name);
        File::open(&p).map_err(|e| io_err(&p, e)).map(|f| (p, f))
    };
    let bad = |p: &Path, e: ndarray_npy::ReadNpyError| Error::Io {
        path: p.display().to_string(),
        source: std::io::Error::other(e.to_string()),
    };
    let (p, f) = open("sample_steps.npy")?;
    let steps = ndarray::Array1::<u64>::read_npy(f).map_err(|e| bad(&p, e))?;
    let n = steps.len();
    let names = std::fs::read_to_string(dir.join("variables.txt"))
        .map_err(|e| io_err(&dir.join("variables.txt"), e))?;
    let mut vars = Vec::new();
    for name in names.lines().filter(|l| !l.is_empty()) {
        let p = dir.join(format!("var_{name}.npy"));
        let bytes = std::fs::read(&p).map_err(|e| io_err(&p, e))?;
        // f32 files (`<f4`) widened, or an f64 network's (`<f8`).
        let a = match Array2::<f32>::read_npy(&bytes[..]) {
            Ok(a) => a.mapv(f64::from),
            Err(_) => Array2::<f64>::read_npy(&bytes[..]).map_err(|e| bad(&p, e))?,
        };
        let a = a.slice(ndarray::s![..n.min(a.nrows()), ..]).to_owned();
        vars.push((name.to_string(), a));
    }
    let spikes = match open("spikes.npy") {
        Ok((p, f)) => {
            let a = Array2::<u64>::read_npy(f).map_err(|e| bad(&p, e))?;
            a.rows().into_iter().map(|r| (r[0], r[1] as u32)).collect()
        }
        Err(_) => Vec::new(),
    };
    Ok(Recording {
        sample_steps: steps.to_vec(),
        vars,
        spikes,
    })
}
