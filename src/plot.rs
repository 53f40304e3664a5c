//! Raster and population-rate plots, PNG or SVG (the `plot` feature, on by
//! default), drawn with [plotters](https://docs.rs/plotters).
//!
//! The format follows the file's extension (`.png` or `.svg`); a PNG is
//! [`WIDTH`] x [`HEIGHT`] pixels. Text needs a TrueType font: the first of
//! `CAJAL_FONT` (a path), DejaVu Sans, Liberation Sans, Arial (Linux, macOS
//! and Windows locations) that exists is used; without one the plots are
//! drawn without text.
//!
//! ```no_run
//! use cajal::plot::{raster, rates, Group};
//! let spikes = vec![(10u64, 0u32), (25, 3)];
//! let groups = [Group { name: "exc", size: 4, spikes: &spikes }];
//! raster("raster.png", &groups, 0.1, 10.0, "a network")?;
//! rates("rate.svg", &[("exc", vec![0.0, 5.0, 2.5])], 1.0, "population rate")?;
//! # Ok::<(), cajal::Error>(())
//! ```
#![cfg(feature = "plot")]

use std::path::Path;
use std::sync::OnceLock;

use plotters::coord::Shift;
use plotters::prelude::*;

use crate::error::{Error, Result};

/// Width of a PNG plot, in pixels.
pub const WIDTH: u32 = 1000;
/// Height of a PNG plot, in pixels.
pub const HEIGHT: u32 = 600;

/// At most this many neurons appear in a raster plot; larger networks show
/// every k-th neuron of each population.
pub const MAX_RASTER_NEURONS: usize = 2000;

/// One population's spikes, as a monitor returns them.
#[derive(Debug, Clone, Copy)]
pub struct Group<'a> {
    /// The population's name (the legend).
    pub name: &'a str,
    /// Its number of neurons (the height of its band).
    pub size: usize,
    /// (step, rank) pairs.
    pub spikes: &'a [(u64, u32)],
}

const COLOURS: [RGBColor; 8] = [
    RGBColor(31, 119, 180),
    RGBColor(214, 39, 40),
    RGBColor(44, 160, 44),
    RGBColor(148, 103, 189),
    RGBColor(255, 127, 14),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(23, 190, 207),
];

/// `k` as an English ordinal ("2nd", "3rd", "11th", "21st"), for the raster
/// title's "every k-th neuron".
fn ordinal(k: usize) -> String {
    let suffix = match (k % 10, k % 100) {
        (_, 11..=13) => "th",
        (1, _) => "st",
        (2, _) => "nd",
        (3, _) => "rd",
        _ => "th",
    };
    format!("{k}{suffix}")
}

fn colour(i: usize) -> RGBColor {
    COLOURS[i % COLOURS.len()]
}

/// Registers a TrueType font for plotters' text, once (`CAJAL_FONT`, or a
/// common system font); false when none was found, and then plots are
/// drawn without text. Call it before drawing text with plotters yourself.
pub fn register_font() -> bool {
    static FONT: OnceLock<bool> = OnceLock::new();
    *FONT.get_or_init(|| {
        let mut candidates: Vec<String> = std::env::var("CAJAL_FONT").into_iter().collect();
        candidates.extend(
            [
                "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
                "/usr/share/fonts/TTF/DejaVuSans.ttf",
                "/usr/share/fonts/dejavu/DejaVuSans.ttf",
                "/usr/share/fonts/dejavu-sans-fonts/DejaVuSans.ttf",
                "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
                "/usr/share/fonts/liberation/LiberationSans-Regular.ttf",
                "/System/Library/Fonts/Supplemental/Arial.ttf",
                "/Library/Fonts/Arial.ttf",
                "C:\\Windows\\Fonts\\arial.ttf",
            ]
            .map(String::from),
        );
        for path in candidates {
            if let Ok(bytes) = std::fs::read(&path) {
                let bytes: &'static [u8] = Box::leak(bytes.into_boxed_slice());
                if plotters::style::register_font("sans-serif", FontStyle::Normal, bytes).is_ok() {
                    return true;
                }
            }
        }
        false
    })
}

fn plot_error(path: &Path, e: impl std::fmt::Display) -> Error {
    Error::Io {
        path: path.display().to_string(),
        source: std::io::Error::other(e.to_string()),
    }
}

/// Draws on a PNG or SVG backend chosen by the extension.
fn draw(
    path: &Path,
    f: impl Fn(&DrawingArea<BitMapBackend, Shift>, bool) -> std::result::Result<(), String> + Copy,
    g: impl Fn(&DrawingArea<SVGBackend, Shift>, bool) -> std::result::Result<(), String>,
) -> Result<()> {
    let text = register_font();
    // Drawn beside the file and renamed over it once whole.
    match path.extension().and_then(|e| e.to_str()) {
        Some("png") => crate::io::with_temp_path(path, |tmp| {
            let area = BitMapBackend::new(tmp, (WIDTH, HEIGHT)).into_drawing_area();
            f(&area, text)?;
            area.present().map_err(|e| e.to_string())
        }),
        Some("svg") => crate::io::with_temp_path(path, |tmp| {
            let area = SVGBackend::new(tmp, (WIDTH, HEIGHT)).into_drawing_area();
            g(&area, text)?;
            area.present().map_err(|e| e.to_string())
        }),
        _ => Err(Error::Invalid {
            owner: "plot".into(),
            message: format!("'{}': the extension must be .png or .svg", path.display()),
        }),
    }
}

fn raster_on<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    text: bool,
    groups: &[Group],
    dt: f64,
    duration_ms: f64,
    title: &str,
) -> std::result::Result<(), String>
where
    DB::ErrorType: 'static,
{
    let e = |e: DrawingAreaErrorKind<DB::ErrorType>| e.to_string();
    area.fill(&WHITE).map_err(e)?;
    let total: usize = groups.iter().map(|g| g.size).sum();
    let stride = total.div_ceil(MAX_RASTER_NEURONS).max(1);
    let rows: usize = groups
        .iter()
        .map(|g| g.size.div_ceil(stride))
        .sum::<usize>()
        .max(1);
    let mut chart = ChartBuilder::on(area);
    chart.margin(15);
    if text {
        let caption = if stride > 1 {
            format!("{title} (every {} neuron)", ordinal(stride))
        } else {
            title.to_string()
        };
        chart
            .caption(caption, ("sans-serif", 22))
            .x_label_area_size(45)
            .y_label_area_size(60);
    }
    let mut chart = chart
        .build_cartesian_2d(0.0..duration_ms.max(dt), 0.0..rows as f64)
        .map_err(e)?;
    let mut mesh = chart.configure_mesh();
    mesh.disable_mesh();
    if text {
        mesh.x_desc("time (ms)")
            .y_desc("neuron")
            .x_label_formatter(&|x| format!("{x:.0}"))
            .y_label_formatter(&|y| format!("{y:.0}"));
    } else {
        mesh.x_labels(0).y_labels(0);
    }
    mesh.draw().map_err(e)?;
    let mut offset = 0usize;
    for (i, g) in groups.iter().enumerate() {
        let c = colour(i);
        let base = offset;
        let series = chart
            .draw_series(
                g.spikes
                    .iter()
                    .filter(|(_, r)| (*r as usize).is_multiple_of(stride))
                    .map(|&(s, r)| {
                        let y = (base + r as usize / stride) as f64 + 0.5;
                        Circle::new((s as f64 * dt, y), 1, c.filled())
                    }),
            )
            .map_err(e)?;
        if text {
            series
                .label(g.name)
                .legend(move |(x, y)| Rectangle::new([(x, y - 4), (x + 10, y + 4)], c.filled()));
        }
        offset += g.size.div_ceil(stride);
    }
    if text && !groups.is_empty() {
        chart
            .configure_series_labels()
            .background_style(WHITE.mix(0.8))
            .border_style(BLACK)
            .position(SeriesLabelPosition::UpperRight)
            .draw()
            .map_err(e)?;
    }
    Ok(())
}

/// A raster plot of the spikes of `groups`, stacked bottom to top, over
/// `[0, duration_ms]`, written to `path` (`.png` or `.svg`). `dt` converts
/// steps to ms.
pub fn raster(
    path: impl AsRef<Path>,
    groups: &[Group],
    dt: f64,
    duration_ms: f64,
    title: &str,
) -> Result<()> {
    draw(
        path.as_ref(),
        |a, t| raster_on(a, t, groups, dt, duration_ms, title),
        |a, t| raster_on(a, t, groups, dt, duration_ms, title),
    )
}

fn rates_on<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    text: bool,
    series: &[(&str, Vec<f64>)],
    bin_ms: f64,
    title: &str,
) -> std::result::Result<(), String>
where
    DB::ErrorType: 'static,
{
    let e = |e: DrawingAreaErrorKind<DB::ErrorType>| e.to_string();
    area.fill(&WHITE).map_err(e)?;
    let bins = series
        .iter()
        .map(|(_, r)| r.len())
        .max()
        .unwrap_or(0)
        .max(1);
    let top = series
        .iter()
        .flat_map(|(_, r)| r.iter().copied())
        .filter(|x| x.is_finite())
        .fold(0.0f64, f64::max);
    let top = if top > 0.0 { top * 1.1 } else { 1.0 };
    let mut chart = ChartBuilder::on(area);
    chart.margin(15);
    if text {
        chart
            .caption(title, ("sans-serif", 22))
            .x_label_area_size(45)
            .y_label_area_size(60);
    }
    let mut chart = chart
        .build_cartesian_2d(0.0..bins as f64 * bin_ms, 0.0..top)
        .map_err(e)?;
    let mut mesh = chart.configure_mesh();
    if text {
        mesh.x_desc("time (ms)")
            .y_desc("rate (Hz)")
            .x_label_formatter(&|x| format!("{x:.0}"))
            .y_label_formatter(&|y| format!("{y:.0}"));
    } else {
        mesh.x_labels(0).y_labels(0);
    }
    mesh.draw().map_err(e)?;
    for (i, (name, r)) in series.iter().enumerate() {
        let c = colour(i);
        let s = chart
            .draw_series(LineSeries::new(
                r.iter()
                    .enumerate()
                    .map(|(k, &x)| ((k as f64 + 0.5) * bin_ms, x)),
                c.stroke_width(1),
            ))
            .map_err(e)?;
        if text {
            s.label(*name).legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 15, y)], c.stroke_width(2))
            });
        }
    }
    if text && !series.is_empty() {
        chart
            .configure_series_labels()
            .background_style(WHITE.mix(0.8))
            .border_style(BLACK)
            .position(SeriesLabelPosition::UpperRight)
            .draw()
            .map_err(e)?;
    }
    Ok(())
}

/// A plot of population rates (Hz), one line per series, each value the
/// rate of a bin of `bin_ms` (as [`crate::analysis::population_rate`] or
/// [`crate::analysis::smoothed_rate`] return them), written to `path`
/// (`.png` or `.svg`).
pub fn rates(
    path: impl AsRef<Path>,
    series: &[(&str, Vec<f64>)],
    bin_ms: f64,
    title: &str,
) -> Result<()> {
    draw(
        path.as_ref(),
        |a, t| rates_on(a, t, series, bin_ms, title),
        |a, t| rates_on(a, t, series, bin_ms, title),
    )
}

/// The pixels of a drawing of [`WIDTH`] x [`HEIGHT`]: `(HEIGHT, WIDTH, 3)`
/// RGB, rows top to bottom.
fn pixels(
    owner: &str,
    f: impl Fn(&DrawingArea<BitMapBackend, Shift>, bool) -> std::result::Result<(), String>,
) -> Result<ndarray::Array3<u8>> {
    let text = register_font();
    let mut buf = vec![0u8; (WIDTH * HEIGHT * 3) as usize];
    {
        let area = BitMapBackend::with_buffer(&mut buf, (WIDTH, HEIGHT)).into_drawing_area();
        f(&area, text).map_err(|e| Error::invalid(owner, e))?;
        area.present()
            .map_err(|e| Error::invalid(owner, e.to_string()))?;
    }
    ndarray::Array3::from_shape_vec((HEIGHT as usize, WIDTH as usize, 3), buf)
        .map_err(|e| Error::invalid(owner, e.to_string()))
}

/// [`raster`]'s plot as pixels, `(HEIGHT, WIDTH, 3)` RGB, for
/// [`crate::tensorboard::Logger::add_figure`].
pub fn raster_pixels(
    groups: &[Group],
    dt: f64,
    duration_ms: f64,
    title: &str,
) -> Result<ndarray::Array3<u8>> {
    pixels("raster plot", |a, t| {
        raster_on(a, t, groups, dt, duration_ms, title)
    })
}

/// [`rates`]' plot as pixels, `(HEIGHT, WIDTH, 3)` RGB, for
/// [`crate::tensorboard::Logger::add_figure`].
pub fn rates_pixels(
    series: &[(&str, Vec<f64>)],
    bin_ms: f64,
    title: &str,
) -> Result<ndarray::Array3<u8>> {
    pixels("rate plot", |a, t| rates_on(a, t, series, bin_ms, title))
}

/// A map of values (an image, a feature map: `[height, width]`, as
/// `sim.get` returns a 2-D population's variable) as a grey-level PNG,
/// black at 0 (and below), white at the map's largest value. Each value is
/// a square of pixels, as many as make the image at least
/// [`MIN_IMAGE_SIDE`] pixels on its longer side, so that a small map can be
/// seen.
///
/// ```no_run
/// let map = ndarray::Array2::from_shape_fn((32, 32), |(y, x)| (x + y) as f32);
/// cajal::plot::image("map.png", map.view())?;
/// # Ok::<(), cajal::Error>(())
/// ```
pub fn image(path: impl AsRef<Path>, map: ndarray::ArrayView2<f32>) -> Result<()> {
    let path = path.as_ref();
    if path.extension().and_then(|e| e.to_str()) != Some("png") {
        return Err(Error::invalid(
            "plot",
            format!("an image is written as PNG, not '{}'", path.display()),
        ));
    }
    let (h, w) = map.dim();
    if h == 0 || w == 0 {
        return Err(Error::Shape {
            owner: "plot".into(),
            message: format!("an image needs at least one value, got {h} x {w}"),
        });
    }
    let zoom = MIN_IMAGE_SIDE.div_ceil(h.max(w) as u32).max(1);
    let (pw, ph) = (w as u32 * zoom, h as u32 * zoom);
    let top = map
        .iter()
        .copied()
        .filter(|x| x.is_finite())
        .fold(0.0f32, f32::max);
    crate::io::with_temp_path(path, |tmp| {
        let area = BitMapBackend::new(tmp, (pw, ph)).into_drawing_area();
        for ((y, x), &v) in map.indexed_iter() {
            let g = if top > 0.0 && v.is_finite() {
                (255.0 * (v / top).clamp(0.0, 1.0)).round() as u8
            } else {
                0
            };
            let (x0, y0) = ((x as u32 * zoom) as i32, (y as u32 * zoom) as i32);
            let z = zoom as i32;
            area.draw(&Rectangle::new(
                [(x0, y0), (x0 + z, y0 + z)],
                RGBColor(g, g, g).filled(),
            ))
            .map_err(|e| plot_error(path, e))?;
        }
        area.present().map_err(|e| plot_error(path, e))
    })
}

/// [`image()`] enlarges a map until its longer side has at least this many pixels.
pub const MIN_IMAGE_SIDE: u32 = 256;

#[cfg(test)]
mod tests {
    use super::ordinal;

    #[test]
    fn ordinals_read_as_english() {
        let got: Vec<String> = [1, 2, 3, 4, 11, 12, 13, 21, 22, 23, 101, 111, 112]
            .into_iter()
            .map(ordinal)
            .collect();
        assert_eq!(
            got,
            [
                "1st", "2nd", "3rd", "4th", "11th", "12th", "13th", "21st", "22nd", "23rd",
                "101st", "111th", "112th"
            ]
        );
    }
}
