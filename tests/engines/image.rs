//! Image and video populations (`cajal::image`) on both engines: the rates
//! ANNarchy 5.0.4.1's `ImagePopulation.set_image` gives for the same
//! pictures (tests/data/annarchy/image: script, pictures, output) at the
//! same sizes, grey and colour, resized up and down or along one
//! dimension: the same levels, exactly, for PNG files (Pillow's bicubic
//! resampling and luminance reproduced), within three levels and 0.25 on
//! average for a JPEG (libjpeg's and the image crate's decoders upsample
//! the colour differently: measured 3 at most, 0.15 on average); the
//! frames of a video from a directory, an animated GIF and an animated
//! PNG, each the same as the picture of the frame alone; the Image
//! notebook's network (pooling, a box filter, a bank of colour filters) on
//! the bundled photo against ANNarchy's (tests/data/annarchy/notebooks/
//! image): channel means within half a level, values within the JPEG
//! decoders' few levels; the errors.

use crate::common::{backends, tests};
use cajal::prelude::*;

tests! {
    cpu: [image_errors_name_the_file_and_cause],
    both: [
        images_match_annarchy,
        image_notebook_matches_annarchy,
        videos_give_their_frames_in_order,
    ],
}

const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/annarchy/image");

fn images_match_annarchy() {
    let text = std::fs::read_to_string(format!("{DATA}/image.json")).unwrap();
    let cases: serde_json::Value = serde_json::from_str(&text).unwrap();
    let cases = cases.as_array().unwrap();
    for b in backends() {
        let mut net = Network::new();
        let pops: Vec<PopId> = cases
            .iter()
            .enumerate()
            .map(|(k, c)| {
                let g: Vec<usize> = c["geometry"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|x| x.as_u64().unwrap() as usize)
                    .collect();
                net.image_population(&format!("image{k}"), g.as_slice())
                    .unwrap()
            })
            .collect();
        let mut sim = net.compile(b).unwrap();
        for (c, &p) in cases.iter().zip(&pops) {
            let file = c["file"].as_str().unwrap();
            sim.set_image(p, format!("{DATA}/{file}")).unwrap();
        }
        // The rates as the engine holds them, after a step.
        sim.simulate(1.0).unwrap();
        for (c, &p) in cases.iter().zip(&pops) {
            let file = c["file"].as_str().unwrap();
            let want: Vec<i64> = c["levels"]
                .as_array()
                .unwrap()
                .iter()
                .map(|x| x.as_i64().unwrap())
                .collect();
            let r = sim.get(p, "r").unwrap();
            let shape: Vec<usize> = c["geometry"]
                .as_array()
                .unwrap()
                .iter()
                .map(|x| x.as_u64().unwrap() as usize)
                .collect();
            assert_eq!(r.shape(), shape.as_slice(), "{file}");
            let jpeg = file.ends_with(".jpg");
            let slack = if jpeg { 3 } else { 0 };
            let mut total = 0;
            for (k, (g, w)) in r.iter().zip(&want).enumerate() {
                let level = (g * 255.0).round() as i64;
                assert_eq!(
                    *g,
                    level as f32 / 255.0,
                    "{file} {shape:?}[{k}]: not a level"
                );
                assert!(
                    (level - w).abs() <= slack,
                    "{b:?} {file} {shape:?}[{k}]: cajal {level}, ANNarchy {w}"
                );
                total += (level - w).abs();
            }
            if jpeg {
                let mean = total as f64 / want.len() as f64;
                assert!(
                    mean <= 0.25,
                    "{file} {shape:?}: {mean} levels off on average"
                );
            }
        }
    }
}

fn image_notebook_matches_annarchy() {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/annarchy/notebooks/image/image.json"
    ))
    .unwrap();
    let doc: serde_json::Value = serde_json::from_str(&text).unwrap();
    let picture = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/examples/data/grace_hopper.jpg"
    );
    let level = 1.0 / 255.0;
    for b in backends() {
        // The notebook's network (examples/annarchy/image.rs).
        let mut net = Network::new();
        let image = net.image_population("image", (480, 640, 3)).unwrap();
        let linear = Neuron::rate().equations("r=sum(exc): min=0.0");
        let pooled = net.population("pooled", (48, 64, 3), &linear).unwrap();
        net.pooling(image, pooled, "exc")
            .operation(Operation::Mean)
            .connect_pooling(None)
            .unwrap();
        let smoothed = net.population("smoothed", (48, 64, 3), &linear).unwrap();
        let box_filter = ndarray::ArrayD::from_elem(ndarray::IxDyn(&[3, 3, 1]), 1.0f32 / 9.0);
        net.convolution(pooled, smoothed, "exc")
            .connect_filter(&box_filter)
            .unwrap();
        let filtered = net.population("filtered", (48, 64, 3), &linear).unwrap();
        let bank = ndarray::Array::from_shape_vec(
            (3, 1, 1, 3),
            vec![2.0f32, -1.0, -1.0, -1.0, 2.0, -1.0, -1.0, -1.0, 2.0],
        )
        .unwrap()
        .into_dyn();
        net.convolution(smoothed, filtered, "exc")
            .connect_filters(&bank)
            .unwrap();
        let mut sim = net.compile(b).unwrap();
        sim.set_image(image, picture).unwrap();
        sim.simulate(4.0).unwrap();
        // A filtered value sums four channel values: four times the slack.
        for (name, p, slack) in [
            ("image", image, 3.0),
            ("pooled", pooled, 3.0),
            ("smoothed", smoothed, 3.0),
            ("filtered", filtered, 12.0),
        ] {
            let r = sim.get(p, "r").unwrap();
            let want = &doc[name];
            for c in 0..3 {
                let ch = r.index_axis(ndarray::Axis(2), c);
                let mean = ch.iter().map(|&x| f64::from(x)).sum::<f64>() / ch.len() as f64;
                let w = want["mean"][c].as_f64().unwrap();
                assert!(
                    (mean - w).abs() <= 0.5 * level,
                    "{b:?} {name} mean[{c}]: {mean} against {w}"
                );
            }
            for (at, values) in want["samples"].as_object().unwrap() {
                let yx: Vec<usize> = at.split(',').map(|v| v.parse().unwrap()).collect();
                for c in 0..3 {
                    let g = f64::from(r[[yx[0], yx[1], c]]);
                    let w = values[c].as_f64().unwrap();
                    assert!(
                        (g - w).abs() <= slack * level,
                        "{b:?} {name}[{at}][{c}]: {g} against {w}"
                    );
                }
            }
        }
    }
}

fn videos_give_their_frames_in_order() {
    for b in backends() {
        for geometry in [vec![8usize, 12, 3], vec![4, 6]] {
            let mut net = Network::new();
            let pics = net.image_population("frame", geometry.as_slice()).unwrap();
            let videos: Vec<PopId> = (0..3)
                .map(|k| {
                    net.video_population(&format!("video{k}"), geometry.as_slice())
                        .unwrap()
                })
                .collect();
            let mut sim = net.compile(b).unwrap();
            let sources = [
                format!("{DATA}/frames"),
                format!("{DATA}/anim.gif"),
                format!("{DATA}/anim.png"),
            ];
            for (&v, s) in videos.iter().zip(&sources) {
                sim.start_video(v, s).unwrap();
            }
            for k in 0..3 {
                sim.set_image(pics, format!("{DATA}/frames/{k:03}.png"))
                    .unwrap();
                for (&v, s) in videos.iter().zip(&sources) {
                    assert!(sim.grab_image(v).unwrap(), "{s}: frame {k}");
                }
                sim.simulate(1.0).unwrap();
                let want = sim.get(pics, "r").unwrap();
                for (&v, s) in videos.iter().zip(&sources) {
                    assert_eq!(
                        sim.get(v, "r").unwrap(),
                        want,
                        "{b:?} {s}: frame {k} {geometry:?}"
                    );
                }
            }
            // After the last frame: false, and the rates stay.
            let last = sim.get(videos[1], "r").unwrap();
            for &v in &videos {
                assert!(!sim.grab_image(v).unwrap());
            }
            assert_eq!(sim.get(videos[1], "r").unwrap(), last);
            sim.release_video(videos[0]).unwrap();
            let e = sim.grab_image(videos[0]).unwrap_err().to_string();
            assert!(e.contains("video0") && e.contains("start_video"), "{e}");
        }
    }
}

fn image_errors_name_the_file_and_cause() {
    let mut net = Network::new();
    let e = net.image_population("line", 10).unwrap_err().to_string();
    assert!(
        e.contains("ImagePopulation 'line'") && e.contains("(height, width)"),
        "{e}"
    );
    let e = net
        .image_population("cmyk", (4, 4, 4))
        .unwrap_err()
        .to_string();
    assert!(e.contains("1 (grey) or 3 (colour), not 4"), "{e}");
    // (h, w, 1) is grey, (h, w) as in ANNarchy.
    let g = net.image_population("grey", (5, 7, 1)).unwrap();
    assert_eq!(net.pop(g).unwrap().geometry.dims(), &[5, 7]);
    let missing = format!("{DATA}/no-such-picture.png");
    let e = net.set_image(g, &missing).unwrap_err().to_string();
    assert!(
        e.contains("population 'grey'")
            && e.contains("no-such-picture.png")
            && e.contains("cannot be opened"),
        "{e}"
    );
    let not_a_picture = format!("{DATA}/image.py");
    let e = net.set_image(g, &not_a_picture).unwrap_err().to_string();
    assert!(e.contains("image.py") && e.contains("cannot be"), "{e}");
    let p = net
        .population("plain", 3, &Neuron::rate().equations("r = 1.0"))
        .unwrap();
    let e = net
        .set_image(p, format!("{DATA}/grey.png"))
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("population 'plain'") && e.contains("image geometry"),
        "{e}"
    );
    let v = net.video_population("video", (8, 12)).unwrap();
    let mut sim = net.compile(Backend::Cpu).unwrap();
    let e = sim.grab_image(v).unwrap_err().to_string();
    assert!(e.contains("no video is open"), "{e}");
    let e = sim
        .start_video(v, format!("{DATA}/pattern.png"))
        .unwrap_err()
        .to_string();
    assert!(e.contains("pattern.png") && e.contains("still PNG"), "{e}");
    let empty = std::env::temp_dir().join(format!("cajal-empty-video-{}", std::process::id()));
    std::fs::create_dir_all(&empty).unwrap();
    let e = sim.start_video(v, &empty).unwrap_err().to_string();
    assert!(e.contains("no PNG, JPEG or GIF"), "{e}");
    std::fs::remove_dir_all(&empty).unwrap();
    let e = sim
        .start_video(v, format!("{DATA}/image.json"))
        .unwrap_err()
        .to_string();
    assert!(e.contains("image.json") && e.contains("animated"), "{e}");
}
