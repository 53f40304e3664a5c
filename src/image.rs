//! Image and video inputs (ANNarchy's `ImagePopulation` and
//! `VideoPopulation`, `ANNarchy.extensions.image`): a picture in the
//! firing rates `r` of a rate-coded population, one neuron a pixel.
//!
//! The geometry is the picture's: `(height, width)` for grey levels
//! (luminance), `(height, width, 3)` for red, green and blue (a `(height,
//! width, 1)` geometry is grey, and becomes `(height, width)` as in
//! ANNarchy). Values are `level / 255` in [0, 1]. A picture of another size
//! is resized as ANNarchy's Pillow does by default (bicubic with
//! antialiasing, in 8-bit fixed point, a pass along rows then one along
//! columns: the same levels as Pillow's), then made grey with Pillow's
//! luminance (`L = (19595 R + 38470 G + 7471 B + 2^15) >> 16`) when the
//! geometry is grey: for a PNG, the levels ANNarchy gives. PNG, JPEG and
//! GIF files are read (the `image` crate; a JPEG's levels may differ from
//! libjpeg's by a few, as its colour is upsampled otherwise: 3 at most
//! and 0.15 on average on the test picture). Where ANNarchy fails (a grey picture in a colour population, a
//! picture with an alpha channel in one), cajal takes the grey levels as
//! red, green and blue, and drops the alpha channel.
//!
//! A video ([`Simulation::start_video`]) is a sequence of frames: a
//! directory of pictures (in the order of their file names), an animated
//! GIF or an animated PNG; [`Simulation::grab_image`] puts the next frame
//! in `r` (where ANNarchy's `VideoPopulation` reads a camera).
//!
//! ```
//! use cajal::prelude::*;
//! # let dir = std::env::temp_dir().join(format!("cajal-doc-image-{}", std::process::id()));
//! # std::fs::create_dir_all(&dir)?;
//! # let path = dir.join("ramp.png");
//! # let pixels: Vec<u8> = (0..4 * 6).map(|i| (i * 10) as u8).collect();
//! # image::GrayImage::from_raw(6, 4, pixels).unwrap().save(&path).unwrap();
//! let mut net = Network::new();
//! let img = net.image_population("image", (4, 6))?;
//! let mut sim = net.compile(Backend::Cpu)?;
//! sim.set_image(img, &path)?; // a 6 x 4 grey picture
//! let r = sim.get(img, "r")?;
//! assert_eq!(r.shape(), &[4, 6]);
//! assert_eq!(r[[1, 2]], 80.0 / 255.0);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::path::{Path, PathBuf};

use image::{AnimationDecoder, RgbImage};
use ndarray::{ArrayD, IxDyn};

use crate::engine::Simulation;
use crate::error::{Error, Result};
use crate::network::geometry::IntoGeometry;
use crate::network::model::Neuron;
use crate::network::{Network, PopId};

/// The model of image and video populations: ANNarchy's `Neuron(parameters
/// = "r = 0.0")`, the rate held as it is set.
pub fn image_neuron() -> Neuron {
    Neuron::rate().name("ImagePopulation").parameters("r = 0.0")
}

/// Height, width and channels (1 or 3) of an image geometry, or the
/// reason it is not one.
fn picture_shape(dims: &[usize]) -> std::result::Result<(usize, usize, usize), String> {
    match dims {
        [h, w] => Ok((*h, *w, 1)),
        [h, w, c] if *c == 1 || *c == 3 => Ok((*h, *w, *c)),
        [_, _, c] => Err(format!(
            "the third dimension of an image geometry is 1 (grey) or 3 (colour), not {c}"
        )),
        _ => Err(format!(
            "an image geometry is (height, width) or (height, width, 1 or 3), not {} dimension(s)",
            dims.len()
        )),
    }
}

impl Network {
    /// A population that holds pictures in its rates `r` (ANNarchy's
    /// `ImagePopulation`): `geometry` is `(height, width)` (grey) or
    /// `(height, width, 3)` (colour). Load one with
    /// [`Simulation::set_image`] (or [`Network::set_image`] for the
    /// initial rates). See [`crate::image`].
    pub fn image_population(&mut self, name: &str, geometry: impl IntoGeometry) -> Result<PopId> {
        self.picture_population(name, geometry, "ImagePopulation")
    }

    /// A population fed frame by frame from a video (ANNarchy's
    /// `VideoPopulation`): as [`image_population`](Self::image_population),
    /// with [`Simulation::start_video`] and [`Simulation::grab_image`].
    pub fn video_population(&mut self, name: &str, geometry: impl IntoGeometry) -> Result<PopId> {
        self.picture_population(name, geometry, "VideoPopulation")
    }

    fn picture_population(
        &mut self,
        name: &str,
        geometry: impl IntoGeometry,
        kind: &str,
    ) -> Result<PopId> {
        let owner = format!("{kind} '{name}'");
        let geometry = geometry.into_geometry()?;
        let (h, w, c) = picture_shape(geometry.dims()).map_err(|m| Error::invalid(&owner, m))?;
        // ANNarchy: a third dimension of 1 is a grey picture of (h, w).
        let dims = if c == 1 { vec![h, w] } else { vec![h, w, c] };
        self.population(name, dims.as_slice(), &image_neuron().name(kind))
    }

    /// Loads a picture into the initial rates `r` of a population with an
    /// image geometry (see [`crate::image`]).
    pub fn set_image(&mut self, pop: PopId, path: impl AsRef<Path>) -> Result<()> {
        let (dims, owner) = picture_of(self, pop)?;
        let values = load_image(path.as_ref(), &dims).map_err(|e| rename(e, &owner))?;
        self.set(pop, "r", values)
    }
}

/// A population's geometry, and its name as errors give it.
fn picture_of(net: &Network, pop: PopId) -> Result<(Vec<usize>, String)> {
    let p = net.pop(pop)?;
    Ok((
        p.geometry.dims().to_vec(),
        format!("population '{}'", p.name),
    ))
}

/// Says which population an image was for.
fn rename(e: Error, owner: &str) -> Error {
    match e {
        Error::Invalid { owner: o, message } => Error::invalid(owner, format!("{o}: {message}")),
        e => e,
    }
}

/// A picture as the rates of a population of geometry `dims` (see
/// [`crate::image`]): levels / 255 in row-major order of the geometry.
pub fn load_image(path: &Path, dims: &[usize]) -> Result<ArrayD<f32>> {
    let owner = format!("image '{}'", path.display());
    let shape = picture_shape(dims).map_err(|m| Error::invalid(&owner, m))?;
    let picture = image::io::Reader::open(path)
        .map_err(|e| Error::invalid(&owner, format!("cannot be opened: {e}")))?
        .with_guessed_format()
        .map_err(|e| Error::invalid(&owner, format!("cannot be read: {e}")))?
        .decode()
        .map_err(|e| Error::invalid(&owner, format!("cannot be decoded: {e}")))?;
    Ok(levels(&picture.to_rgb8(), shape))
}

/// An RGB picture resized to `(h, w)` and reduced to `c` channels, as
/// rates.
fn levels(picture: &RgbImage, (h, w, c): (usize, usize, usize)) -> ArrayD<f32> {
    let rgb = resize(picture, w, h);
    let data: Vec<f32> = if c == 3 {
        rgb.as_raw().iter().map(|&v| f32::from(v) / 255.0).collect()
    } else {
        rgb.pixels()
            .map(|p| f32::from(luminance(p.0)) / 255.0)
            .collect()
    };
    let dims: Vec<usize> = if c == 3 { vec![h, w, 3] } else { vec![h, w] };
    ArrayD::from_shape_vec(IxDyn(&dims), data).expect("h * w * c levels")
}

/// Pillow's RGB to L: ITU-R 601-2 luma in 16-bit fixed point.
pub fn luminance([r, g, b]: [u8; 3]) -> u8 {
    ((u32::from(r) * 19595 + u32::from(g) * 38470 + u32::from(b) * 7471 + 0x8000) >> 16) as u8
}

/// Fixed-point bits of Pillow's 8-bit resampling coefficients.
const PRECISION_BITS: u32 = 32 - 8 - 2;

/// Pillow's bicubic kernel (a = -0.5), support 2.
fn bicubic(x: f64) -> f64 {
    let a = -0.5;
    let x = x.abs();
    if x < 1.0 {
        ((a + 2.0) * x - (a + 3.0)) * x * x + 1.0
    } else if x < 2.0 {
        (((x - 5.0) * x + 8.0) * x - 4.0) * a
    } else {
        0.0
    }
}

/// Per output pixel: the first input pixel and the fixed-point weights of
/// the input pixels from there (Pillow's `precompute_coeffs` and
/// `normalize_coeffs_8bpc`).
fn coefficients(in_size: usize, out_size: usize) -> Vec<(usize, Vec<i32>)> {
    let scale = in_size as f64 / out_size as f64;
    let filterscale = scale.max(1.0);
    let support = 2.0 * filterscale;
    (0..out_size)
        .map(|xx| {
            let center = (xx as f64 + 0.5) * scale;
            let ss = 1.0 / filterscale;
            let xmin = ((center - support + 0.5) as i64).max(0) as usize;
            let xmax = ((center + support + 0.5) as i64).min(in_size as i64) as usize;
            let w: Vec<f64> = (xmin..xmax)
                .map(|x| bicubic((x as f64 - center + 0.5) * ss))
                .collect();
            let total: f64 = w.iter().sum();
            let k = w
                .iter()
                .map(|&v| {
                    let v = if total != 0.0 { v / total } else { v };
                    let f = v * f64::from(1u32 << PRECISION_BITS);
                    (if v < 0.0 { f - 0.5 } else { f + 0.5 }) as i32
                })
                .collect();
            (xmin, k)
        })
        .collect()
}

fn clip8(v: i64) -> u8 {
    if v >= (1i64 << PRECISION_BITS) << 8 {
        255
    } else if v <= 0 {
        0
    } else {
        (v >> PRECISION_BITS) as u8
    }
}

/// One pass of Pillow's 8-bit resampling along lines of `src`: for each of
/// `lines` lines, output `o` of the line (of `coeffs.len()`) is
/// `clip8(2^21 + sum_i src[tap_i] k_i)` for each of the 3 channels, where
/// line `l`'s tap `t` is at `l * line.0 + t * line.1` and its output `o` at
/// `l * out.0 + o * out.1` (strides in bytes, channel added).
fn pass(
    src: &[u8],
    lines: usize,
    coeffs: &[(usize, Vec<i32>)],
    line: (usize, usize),
    out: (usize, usize),
) -> Vec<u8> {
    let mut dst = vec![0u8; lines * coeffs.len() * 3];
    for l in 0..lines {
        for (o, (min, k)) in coeffs.iter().enumerate() {
            for ch in 0..3 {
                let mut ss: i64 = 1 << (PRECISION_BITS - 1);
                for (i, &kk) in k.iter().enumerate() {
                    ss += i64::from(src[l * line.0 + (min + i) * line.1 + ch]) * i64::from(kk);
                }
                dst[l * out.0 + o * out.1 + ch] = clip8(ss);
            }
        }
    }
    dst
}

/// Resizes as Pillow's `Image.resize((w, h))` (bicubic): a pass along the
/// rows (over the rows the second pass reads), then along the columns,
/// each rounded to 8 bits.
pub fn resize(picture: &RgbImage, w: usize, h: usize) -> RgbImage {
    let (in_w, in_h) = (picture.width() as usize, picture.height() as usize);
    if (in_w, in_h) == (w, h) {
        return picture.clone();
    }
    let src = picture.as_raw();
    let horizontal = coefficients(in_w, w);
    let vertical = coefficients(in_h, h);
    // Pillow resizes only along the dimensions that change; the rows pass
    // covers only the rows the columns pass reads.
    let (first, last) = if in_h != h {
        (
            vertical.first().map_or(0, |v| v.0),
            vertical.last().map_or(in_h, |(m, k)| m + k.len()),
        )
    } else {
        (0, in_h)
    };
    let rows = if in_w != w {
        // Line y (of first..last): taps 3 apart, outputs 3 apart.
        let src = &src[first * in_w * 3..last * in_w * 3];
        pass(src, last - first, &horizontal, (in_w * 3, 3), (w * 3, 3))
    } else {
        src[first * in_w * 3..last * in_w * 3].to_vec()
    };
    let data = if in_h != h {
        let vertical: Vec<(usize, Vec<i32>)> =
            vertical.into_iter().map(|(m, k)| (m - first, k)).collect();
        // Line x: taps a row apart, outputs a row apart.
        pass(&rows, w, &vertical, (3, w * 3), (3, w * 3))
    } else {
        rows
    };
    RgbImage::from_raw(w as u32, h as u32, data).expect("w * h * 3 levels")
}

/// The frames of a video, as a video population reads them.
#[derive(Debug)]
pub(crate) enum Video {
    /// Pictures read one at a time, in file-name order.
    Files { files: Vec<PathBuf>, next: usize },
    /// Decoded frames (an animated GIF or PNG), already at the population's
    /// size.
    Frames {
        frames: Vec<ArrayD<f32>>,
        next: usize,
    },
}

impl Video {
    /// Opens `source` for a population of geometry `dims`.
    fn open(source: &Path, dims: &[usize]) -> Result<Video> {
        let owner = format!("video '{}'", source.display());
        let shape = picture_shape(dims).map_err(|m| Error::invalid(&owner, m))?;
        if source.is_dir() {
            let mut files: Vec<PathBuf> = std::fs::read_dir(source)
                .map_err(|e| Error::invalid(&owner, format!("cannot be listed: {e}")))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| {
                    p.is_file()
                        && p.extension().and_then(|e| e.to_str()).is_some_and(|e| {
                            ["png", "jpg", "jpeg", "gif"].contains(&e.to_ascii_lowercase().as_str())
                        })
                })
                .collect();
            files.sort();
            if files.is_empty() {
                return Err(Error::invalid(
                    owner,
                    "the directory holds no PNG, JPEG or GIF picture",
                ));
            }
            return Ok(Video::Files { files, next: 0 });
        }
        let bytes = std::fs::read(source)
            .map_err(|e| Error::invalid(&owner, format!("cannot be read: {e}")))?;
        let decode_err =
            |e: image::ImageError| Error::invalid(&owner, format!("cannot be decoded: {e}"));
        let frames = match image::guess_format(&bytes) {
            Ok(image::ImageFormat::Gif) => {
                image::codecs::gif::GifDecoder::new(std::io::Cursor::new(&bytes))
                    .map_err(decode_err)?
                    .into_frames()
            }
            Ok(image::ImageFormat::Png) => {
                let png = image::codecs::png::PngDecoder::new(std::io::Cursor::new(&bytes))
                    .map_err(decode_err)?;
                if !png.is_apng() {
                    return Err(Error::invalid(
                        owner,
                        "a still PNG is not a video (give an animated PNG, an animated GIF or a directory of pictures)",
                    ));
                }
                png.apng().into_frames()
            }
            _ => {
                return Err(Error::invalid(
                    owner,
                    "a video is a directory of pictures, an animated GIF or an animated PNG",
                ))
            }
        };
        let mut out = Vec::new();
        for frame in frames {
            let frame = frame.map_err(decode_err)?;
            let rgba = frame.into_buffer();
            let rgb = image::DynamicImage::ImageRgba8(rgba).to_rgb8();
            out.push(levels(&rgb, shape));
            // The frames are kept at the population's size: check as they
            // come that they fit.
            if out.len() % 64 == 0 {
                crate::memory::check(
                    &owner,
                    &format!(
                        "{} frames of {} values",
                        out.len(),
                        dims.iter().product::<usize>()
                    ),
                    out.len() as f64 * dims.iter().product::<usize>() as f64 * 4.0,
                    "use a directory of pictures, read one at a time",
                )?;
            }
        }
        if out.is_empty() {
            return Err(Error::invalid(owner, "it has no frame"));
        }
        Ok(Video::Frames {
            frames: out,
            next: 0,
        })
    }

    /// The next frame, or `None` after the last.
    fn next(&mut self, dims: &[usize]) -> Result<Option<ArrayD<f32>>> {
        match self {
            Video::Files { files, next } => {
                let Some(path) = files.get(*next) else {
                    return Ok(None);
                };
                *next += 1;
                load_image(path, dims).map(Some)
            }
            Video::Frames { frames, next } => {
                let f = frames.get(*next).cloned();
                *next += 1;
                Ok(f)
            }
        }
    }
}

impl Simulation {
    /// Loads a picture into the rates `r` of a population with an image
    /// geometry (ANNarchy's `ImagePopulation.set_image`), resized to it if
    /// needed (see [`crate::image`]); the next step reads it.
    pub fn set_image(&mut self, pop: PopId, path: impl AsRef<Path>) -> Result<()> {
        let (dims, owner) = picture_of(self.network(), pop)?;
        let values = load_image(path.as_ref(), &dims).map_err(|e| rename(e, &owner))?;
        self.set(pop, "r", values)
    }

    /// Opens a video for a population with an image geometry (where
    /// ANNarchy's `VideoPopulation.start_camera` opens a camera): a
    /// directory of pictures (in file-name order), an animated GIF or an
    /// animated PNG. [`grab_image`](Self::grab_image) reads its frames.
    pub fn start_video(&mut self, pop: PopId, source: impl AsRef<Path>) -> Result<()> {
        let (dims, owner) = picture_of(self.network(), pop)?;
        let video = Video::open(source.as_ref(), &dims).map_err(|e| rename(e, &owner))?;
        self.videos.retain(|(q, _)| *q != pop.0);
        self.videos.push((pop.0, video));
        Ok(())
    }

    /// Puts the next frame of the population's video in its rates `r`
    /// (ANNarchy's `grab_image`): true if there was one, false after the
    /// last (the rates stay as they were).
    pub fn grab_image(&mut self, pop: PopId) -> Result<bool> {
        let (dims, owner) = picture_of(self.network(), pop)?;
        let Some((_, video)) = self.videos.iter_mut().find(|(q, _)| *q == pop.0) else {
            return Err(Error::invalid(
                owner,
                "no video is open: call start_video first",
            ));
        };
        match video.next(&dims).map_err(|e| rename(e, &owner))? {
            Some(frame) => {
                self.set(pop, "r", frame)?;
                Ok(true)
            }
            None => Ok(false),
        }
    }

    /// Closes the population's video (ANNarchy's `release`).
    pub fn release_video(&mut self, pop: PopId) -> Result<()> {
        self.network().pop(pop)?;
        self.videos.retain(|(q, _)| *q != pop.0);
        Ok(())
    }
}
