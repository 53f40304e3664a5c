//! The `cajal` command line, run as a user runs it: every built-in model for
//! a short time into a temporary folder, then the files are checked (PNG
//! sizes, .npy shapes, summary fields), and the errors a user can meet.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::common::tests;
use ndarray::{Array1, Array2};
use serde_json::Value;

tests! {
    cpu: [
        runs_that_would_do_nothing_are_refused,
        coba,
        coba_in_double_precision,
        izhikevich,
        brunel_states,
        microcircuit,
        microcircuit_procedural,
        hybrid,
        edges,
        model_files_run,
        the_readme_model_file_runs,
        model_file_errors_name_the_file_and_the_line,
        model_file_refuses_the_built_in_options,
        auto_backend_prints_no_error_lines,
        unknown_model_lists_the_known_ones,
        schedule_prints_the_step_and_does_not_simulate,
        unwritable_out_says_so,
        gpu_without_adapter_says_how_to_get_one,
        devices_lists_adapters_and_the_auto_choice,
        bench_prints_a_table_and_json,
        one_of_several_mpi_processes_without_mpi_refuses,
    ],
    gpu: [
        coba_in_double_precision_on_the_gpu_is_the_cpu_run,
    ],
}

const BIN: &str = env!("CARGO_BIN_EXE_cajal");

fn cajal(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut c = Command::new(BIN);
    c.args(args);
    for (k, v) in env {
        c.env(k, v);
    }
    c.output().expect("the cajal binary runs")
}

fn text(o: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

fn temp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("cajal-cli-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

/// Width and height of a PNG, from its IHDR chunk.
fn png_size(path: &Path) -> (u32, u32) {
    let b = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert_eq!(
        &b[..8],
        b"\x89PNG\r\n\x1a\n",
        "{} is not a PNG",
        path.display()
    );
    assert_eq!(&b[12..16], b"IHDR");
    let be = |i: usize| u32::from_be_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]]);
    (be(16), be(20))
}

/// Lines of a successful run's stderr that read as errors: a newcomer
/// reads "error" before cajal has said anything (the Vulkan loader's
/// layers printed such lines on machines without a display).
fn error_lines(stderr: &str) -> Vec<&str> {
    stderr
        .lines()
        .filter(|l| l.to_lowercase().contains("error"))
        .collect()
}

/// Runs a model (a built-in one or a model file) and checks everything it
/// writes, and that it says nothing that reads as an error; returns the
/// summary and the files written, which the caller removes with the
/// folder.
fn run_model_keep(model: &str, extra: &[&str], duration: f64) -> (Value, PathBuf) {
    // Tests run at once: one folder per model and options.
    let out = temp(&format!("{model}{}", extra.join("")).replace(['/', '.'], "_"));
    let d = duration.to_string();
    let mut args = vec![
        "run",
        model,
        "--backend",
        "cpu",
        "--duration",
        &d,
        "--out",
        out.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    let o = cajal(&args, &[]);
    let (stdout, stderr) = text(&o);
    assert!(
        o.status.success(),
        "cajal {args:?} failed:\n{stdout}\n{stderr}"
    );
    assert!(
        error_lines(&stderr).is_empty(),
        "cajal {args:?} succeeded but printed:\n{stderr}"
    );
    assert!(stdout.contains("CPU engine"), "{stdout}");
    assert!(stdout.contains("real-time factor"), "{stdout}");

    let s: Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap())
            .expect("summary.json is JSON");
    let name = Path::new(model).file_stem().unwrap().to_str().unwrap();
    assert_eq!(s["model"], name);
    assert_eq!(s["backend"], "cpu");
    assert!(s["device"].is_null());
    assert_eq!(s["duration_ms"].as_f64(), Some(duration));
    let dt = s["dt_ms"].as_f64().unwrap();
    let steps = s["steps"].as_u64().unwrap() as usize;
    assert_eq!(steps, (duration / dt).round() as usize);
    for k in ["build_s", "wall_s", "real_time_factor"] {
        let v = s[k].as_f64().unwrap_or_else(|| panic!("{k} missing"));
        assert!(v.is_finite() && v > 0.0, "{k} = {v}");
    }
    assert!(s["neurons"].as_u64().unwrap() > 0);
    assert!(s["synapses"].as_u64().unwrap() > 0);
    let bin_ms = s["rate_bin_ms"].as_f64().unwrap();
    let bins = steps.div_ceil((bin_ms / dt).round() as usize);
    let pops = s["populations"].as_array().unwrap();
    assert!(!pops.is_empty());
    let mut total = 0;
    for p in pops {
        let name = p["name"].as_str().unwrap();
        let size = p["size"].as_u64().unwrap() as i64;
        let n = p["spikes"].as_u64().unwrap() as usize;
        total += n;
        let rate = p["rate_hz"].as_f64().unwrap();
        assert!(rate.is_finite() && rate >= 0.0, "{name}: {rate} Hz");
        let spikes: Array2<i64> = ndarray_npy::read_npy(out.join(format!("spikes_{name}.npy")))
            .expect("spikes .npy loads");
        assert_eq!(spikes.shape(), &[n, 2], "{model}/{name}");
        assert!(spikes
            .column(0)
            .iter()
            .all(|&t| t >= 0 && (t as usize) < steps));
        assert!(spikes.column(1).iter().all(|&r| r >= 0 && r < size));
        let r: Array1<f64> =
            ndarray_npy::read_npy(out.join(format!("rate_{name}.npy"))).expect("rate .npy loads");
        assert_eq!(r.len(), bins, "{model}/{name}");
        // The binned rate averages to the mean rate.
        let mean = r.sum() / bins as f64;
        assert!(
            (mean - rate).abs() <= 1e-6 * rate.max(1.0) + 1e-9,
            "{mean} vs {rate}"
        );
    }
    assert_eq!(s["spikes"].as_u64().unwrap() as usize, total);
    assert!(total > 0, "{model}: no spike at all");
    let files: Vec<&str> = s["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f.as_str().unwrap())
        .collect();
    for f in &files {
        assert!(out.join(f).is_file(), "{model}: {f} listed but missing");
    }
    // The recorded traces: [steps, neurons].
    for f in files.iter().filter(|f| f.ends_with(".npy")) {
        if f.starts_with("v_") || f.starts_with("r_") {
            let a: Array2<f32> = ndarray_npy::read_npy(out.join(f)).unwrap();
            assert_eq!(a.nrows(), steps, "{model}/{f}");
            assert!(
                a.ncols() >= 1 && a.ncols() <= 10,
                "{model}/{f}: {:?}",
                a.shape()
            );
            assert!(a.iter().all(|x| x.is_finite()), "{model}/{f}");
        }
    }
    for plot in ["raster", "rate"] {
        assert!(files.contains(&format!("{plot}.png").as_str()));
        assert_eq!(png_size(&out.join(format!("{plot}.png"))), (1000, 600));
        let svg = std::fs::read_to_string(out.join(format!("{plot}.svg"))).unwrap();
        assert!(svg.contains("<svg") && svg.contains("1000"), "{plot}.svg");
    }
    (s, out)
}

/// [`run_model_keep`], then removes what it wrote.
fn run_model(model: &str, extra: &[&str], duration: f64) -> Value {
    let (s, out) = run_model_keep(model, extra, duration);
    let _ = std::fs::remove_dir_all(&out);
    s
}

/// The files a summary lists.
fn listed(s: &Value) -> Vec<String> {
    s["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f.as_str().unwrap().to_string())
        .collect()
}

fn coba() {
    let s = run_model("coba", &["--n", "800", "--seed", "3"], 200.0);
    assert_eq!(s["neurons"], 800);
    assert_eq!(s["seed"], 3);
    let rate = s["populations"][0]["rate_hz"].as_f64().unwrap();
    assert!(rate > 2.0 && rate < 100.0, "COBA exc rate {rate}");
}

/// `CAJAL_PRECISION=double` runs a built-in model in f64: the engine
/// line and summary say so, and the recorded trace is float64.
/// `CAJAL_PRECISION=double cajal run coba --backend BACKEND` with 400
/// neurons for 100 ms: its excitatory trace and summary, after checking
/// that it says and records its precision. `test` names the calling test
/// in the output folder: tests run in parallel, and a run clears its
/// folder while another could be reading it.
fn coba_double(backend: &str, test: &str) -> (Array2<f64>, Value) {
    let out = temp(&format!("coba-double-{test}-{backend}"));
    let o = cajal(
        &[
            "run",
            "coba",
            "--backend",
            backend,
            "--n",
            "400",
            "--duration",
            "100",
            "--out",
            out.to_str().unwrap(),
        ],
        &[("CAJAL_PRECISION", "double")],
    );
    let (stdout, stderr) = text(&o);
    assert!(o.status.success(), "{stdout}\n{stderr}");
    assert!(stdout.contains("in double precision"), "{stdout}");
    let s: Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    assert_eq!(s["precision"], "float64");
    (ndarray_npy::read_npy(out.join("v_exc.npy")).unwrap(), s)
}

fn coba_in_double_precision() {
    let (v, _) = coba_double("cpu", "cpu");
    assert!(
        v.nrows() == 1000 && v.iter().all(|x| x.is_finite()),
        "{:?}",
        v.dim()
    );
    let o = cajal(
        &["run", "coba", "--duration", "1"],
        &[("CAJAL_PRECISION", "quad")],
    );
    let (_, stderr) = text(&o);
    assert!(
        !o.status.success() && stderr.contains("CAJAL_PRECISION"),
        "{stderr}"
    );
}

/// `CAJAL_PRECISION=double cajal run coba --backend gpu`: the GPU engine
/// in f64 writes the CPU engine's traces and spikes, to the bit.
fn coba_in_double_precision_on_the_gpu_is_the_cpu_run() {
    let ((cpu, sc), (gpu, sg)) = (coba_double("cpu", "gpu"), coba_double("gpu", "gpu"));
    assert_eq!(cpu.dim(), gpu.dim());
    assert!(
        cpu.iter()
            .zip(&gpu)
            .all(|(a, b)| a.to_bits() == b.to_bits()),
        "the engines' f64 traces differ"
    );
    assert_eq!(sc["populations"], sg["populations"]);
}

fn izhikevich() {
    let s = run_model("izhikevich", &["--scale", "0.25"], 100.0);
    assert_eq!(s["dt_ms"], 1.0);
    assert_eq!(s["populations"][0]["size"], 200);
    assert_eq!(s["populations"][1]["size"], 50);
}

fn brunel_states() {
    let s = run_model("brunel", &["--scale", "0.1", "--state", "sr"], 50.0);
    assert_eq!(s["parameters"]["state"], "sr");
    assert_eq!(s["parameters"]["g"], 3.0);
    assert_eq!(s["neurons"], 1250);
    let o = cajal(&["run", "brunel", "--state", "chaotic"], &[]);
    assert_eq!(o.status.code(), Some(2));
    let (_, err) = text(&o);
    assert!(err.contains("sr") && err.contains("si-slow"), "{err}");
}

fn microcircuit() {
    let s = run_model(
        "microcircuit",
        &["--scale", "0.02", "--background", "dc"],
        50.0,
    );
    assert_eq!(s["populations"].as_array().unwrap().len(), 8);
    assert_eq!(s["populations"][0]["name"], "L23E");
    assert_eq!(s["populations"][0]["size"], 414);
}

fn microcircuit_procedural() {
    let s = run_model("microcircuit", &["--scale", "0.05", "--procedural"], 200.0);
    assert_eq!(s["parameters"]["procedural"], true);
    assert!(s["synapses"].as_u64().unwrap() > 500_000);
    let pops = s["populations"].as_array().unwrap();
    assert_eq!(pops.len(), 8);
    for p in pops {
        let rate = p["rate_hz"].as_f64().unwrap();
        assert!(rate > 0.1 && rate < 50.0, "{p}");
    }
    // GeNN's formulation keeps the mean in-degrees: as many synapses as
    // the stored network, to within 1 %.
    let count = |extra: &[&str]| {
        let mut args = vec![
            "bench",
            "--sizes",
            "microcircuit=0.05",
            "--duration",
            "5",
            "--json",
        ];
        args.extend_from_slice(extra);
        let o = cajal(&args, &[]);
        let (out, err) = text(&o);
        assert!(o.status.success(), "{out}\n{err}");
        let v: Value = serde_json::from_str(&out).unwrap();
        v["results"][0]["synapses"].as_f64().unwrap()
    };
    let (stored, procedural) = (count(&[]), count(&["--procedural"]));
    assert!(stored > 500_000.0);
    assert!(
        (procedural / stored - 1.0).abs() < 0.01,
        "{procedural} vs {stored}"
    );
}

fn hybrid() {
    let (s, out) = run_model_keep("hybrid", &["--scale", "0.1"], 100.0);
    // Fig. 4: the decoded rates against the baseline.
    for f in ["decoded.png", "decoded.svg"] {
        assert!(listed(&s).iter().any(|l| l == f), "{f} not listed");
    }
    assert_eq!(png_size(&out.join("decoded.png")), (1000, 600));
    let svg = std::fs::read_to_string(out.join("decoded.svg")).unwrap();
    assert!(svg.contains("baseline") && svg.contains("decoded, 1 neuron"));
    let _ = std::fs::remove_dir_all(&out);
    assert_eq!(s["populations"][0]["name"], "poisson");
    // 0, 10, 50, 100 Hz for a quarter each: 40 Hz on average.
    let rate = s["populations"][0]["rate_hz"].as_f64().unwrap();
    assert!(rate > 25.0 && rate < 55.0, "{rate}");
}

fn edges() {
    let (s, out) = run_model_keep("edges", &["--scale", "0.25"], 20.0);
    assert_eq!(s["parameters"]["size"], 32);
    // 16 x 16 x 4 Poisson neurons driven by the pooled edge responses.
    assert_eq!(s["populations"][0]["size"], 1024);
    // What the model is about: the image, the responses, the pooled maps,
    // each enlarged to at least 256 pixels a side.
    let files = listed(&s);
    let mut pngs = vec![("image.png".to_string(), 256)];
    for f in ["vertical", "horizontal", "diagonal", "antidiagonal"] {
        pngs.push((format!("edges_{f}.png"), 256));
        pngs.push((format!("pooled_{f}.png"), 256));
    }
    for (f, side) in pngs {
        assert!(files.contains(&f), "{f} not listed in {files:?}");
        assert_eq!(png_size(&out.join(&f)), (side, side), "{f}");
    }
    // A response is not a blank image: the edges of the shapes show.
    let a = std::fs::read(out.join("edges_vertical.png")).unwrap();
    let b = std::fs::read(out.join("pooled_horizontal.png")).unwrap();
    assert_ne!(a, b);
    let _ = std::fs::remove_dir_all(&out);
}

fn model_file(name: &str) -> String {
    format!("{}/examples/models/{name}", env!("CARGO_MANIFEST_DIR"))
}

fn model_files_run() {
    let s = run_model(&model_file("coba.toml"), &["--seed", "5"], 100.0);
    assert_eq!(s["neurons"], 4000);
    assert_eq!(s["seed"], 5);
    assert_eq!(s["dt_ms"], 0.1);
    let names: Vec<&str> = s["populations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["exc", "inh"]);
    // COBA's rates: about 20 Hz, far from silence and from saturation.
    for p in s["populations"].as_array().unwrap() {
        let rate = p["rate_hz"].as_f64().unwrap();
        assert!(rate > 2.0 && rate < 100.0, "{rate}");
    }
    assert!(listed(&s).iter().any(|f| f == "v_exc.npy"));
    let s = run_model(&model_file("stdp_input.toml"), &[], 100.0);
    assert_eq!(s["neurons"], 120);
    assert_eq!(s["synapses"], 2000);
    assert!(listed(&s).iter().any(|f| f == "v_lif.npy"));

    // A rate-coded model reading a network constant and a network
    // function: its trace, and no empty raster.
    let dir = temp("ratefile");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("rate.toml");
    std::fs::write(
        &path,
        "[network]\ndt = 1.0\nduration = 20\nfunctions = \"double(x) = 2 * x\"\n\n\
         [constants]\ntau = 10.0\n\n\
         [neurons.Leaky]\nparameters = \"b = 1.0\"\n\
         equations = \"tau * dr/dt = double(b) - r\"\n\n\
         [[populations]]\nname = \"rates\"\ngeometry = [2, 3]\nneuron = \"Leaky\"\n\
         set = { b = [1, 2, 3, 4, 5, 6] }\n\n\
         [[monitors]]\npopulation = \"rates\"\nvariables = [\"r\"]\n",
    )
    .unwrap();
    let out = dir.join("out");
    let o = cajal(
        &[
            "run",
            path.to_str().unwrap(),
            "--backend",
            "cpu",
            "--out",
            out.to_str().unwrap(),
        ],
        &[],
    );
    let (stdout, err) = text(&o);
    assert!(o.status.success(), "{stdout}\n{err}");
    let r: Array2<f32> = ndarray_npy::read_npy(out.join("r_rates.npy")).unwrap();
    assert_eq!(r.shape(), &[20, 6]);
    // tau dr/dt = 2 b - r from 0, explicit Euler with dt = 1: r grows
    // towards 2 b.
    assert!((r[[0, 5]] - 1.2).abs() < 1e-6, "{}", r[[0, 5]]);
    assert!(r[[19, 0]] < 2.0 && r[[19, 5]] > r[[19, 0]]);
    assert!(!out.join("raster.png").exists());
    let _ = std::fs::remove_dir_all(&dir);
}

/// The README's model file, as a newcomer copies it.
fn the_readme_model_file_runs() {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let section = &readme[readme
        .find("## Model files")
        .expect("a Model files section")..];
    let start = section.find("```toml\n").expect("a TOML block") + "```toml\n".len();
    let toml = &section[start..start + section[start..].find("```").unwrap()];
    let dir = temp("readmefile");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("readme.toml");
    std::fs::write(&path, toml).unwrap();
    let s = run_model(path.to_str().unwrap(), &[], 200.0);
    assert_eq!(s["neurons"], 100);
    let _ = std::fs::remove_dir_all(&dir);
}

fn model_file_errors_name_the_file_and_the_line() {
    let dir = temp("badfiles");
    std::fs::create_dir_all(&dir).unwrap();
    let cases = [
        (
            "[[populations]]\nname = \"a\"\ngeometry = 10\nneuron = \"LIf\"\n",
            vec!["line 1", "populations[0] 'a'", "unknown neuron 'LIf'", "IF_cond_exp"],
        ),
        (
            "[network]\ndt = 0.1\n\n[[populations]]\nname = \"a\"\ngeometry = 10\nneron = \"LIF\"\n",
            vec!["line 7", "unknown field `neron`"],
        ),
        (
            "[[populations]]\nname = \"a\"\ngeometry = 10\nneuron = \"IF_cond_exp\"\n\n\
             [[projections]]\npre = \"a\"\npost = \"a\"\ntarget = \"exc\"\n\
             connector = { fixed_probablity = 0.1 }\n",
            vec!["line 6", "projections[0] a -> a", "unknown connector", "fixed_probability"],
        ),
        (
            "[neurons.N]\nequations = \"r = v_rst\"\n\n\
             [[populations]]\nname = \"a\"\ngeometry = 1\nneuron = \"N\"\n",
            vec!["populations[0] 'a'", "model 'N'", "v_rst"],
        ),
    ];
    for (i, (toml, wants)) in cases.iter().enumerate() {
        let path = dir.join(format!("bad{i}.toml"));
        std::fs::write(&path, toml).unwrap();
        let o = cajal(
            &[
                "run",
                path.to_str().unwrap(),
                "--out",
                dir.to_str().unwrap(),
            ],
            &[],
        );
        assert_eq!(o.status.code(), Some(1), "{toml}");
        let (_, err) = text(&o);
        assert!(err.contains(path.to_str().unwrap()), "{err}");
        for w in wants {
            assert!(err.contains(w), "'{w}' missing from: {err}");
        }
    }
    let empty = dir.join("empty.toml");
    std::fs::write(&empty, "# nothing yet\n").unwrap();
    let o = cajal(&["run", empty.to_str().unwrap()], &[]);
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o).1.contains("no [[populations]]"));
    let o = cajal(&["run", "no/such/model.toml"], &[]);
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o)
        .1
        .contains("cannot read the model file 'no/such/model.toml'"));
    let _ = std::fs::remove_dir_all(&dir);
}

fn model_file_refuses_the_built_in_options() {
    let o = cajal(&["run", &model_file("coba.toml"), "--scale", "0.5"], &[]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o)
        .1
        .contains("--scale applies to the built-in models"));
}

/// `--backend auto` lists the adapters (where a Vulkan driver is
/// installed), which is where the loader's layers printed error lines.
fn auto_backend_prints_no_error_lines() {
    let out = temp("auto");
    let o = cajal(
        &[
            "run",
            "coba",
            "--n",
            "100",
            "--duration",
            "10",
            "--no-plots",
            "--out",
            out.to_str().unwrap(),
        ],
        &[],
    );
    let (stdout, err) = text(&o);
    assert!(o.status.success(), "{stdout}\n{err}");
    assert!(error_lines(&err).is_empty(), "{err}");
    let _ = std::fs::remove_dir_all(&out);
}

fn unknown_model_lists_the_known_ones() {
    let o = cajal(&["run", "nosuch"], &[]);
    assert_eq!(o.status.code(), Some(2));
    let (_, err) = text(&o);
    assert!(err.contains("unknown model 'nosuch'"), "{err}");
    for m in [
        "coba",
        "izhikevich",
        "brunel",
        "microcircuit",
        "hybrid",
        "edges",
    ] {
        assert!(err.contains(m), "{m} missing from: {err}");
    }
    assert!(err.contains("model file, FILE.toml"), "{err}");
    let o = cajal(&["models"], &[]);
    assert!(o.status.success());
    assert!(text(&o).0.contains("Potjans"));
    assert!(text(&o).0.contains("examples/models/coba.toml"));
}

fn schedule_prints_the_step_and_does_not_simulate() {
    let out = temp("schedule");
    let o = cajal(
        &[
            "run",
            "edges",
            "--backend",
            "cpu",
            "--schedule",
            "--out",
            out.to_str().unwrap(),
        ],
        &[],
    );
    let (stdout, err) = text(&o);
    assert!(o.status.success(), "{err}");
    for want in [
        "schedule of a step",
        "1. clear_inputs",
        "2. rate inputs",
        "convolve: image->edges:exc",
        "neuron_update",
    ] {
        assert!(stdout.contains(want), "{want} missing from:\n{stdout}");
    }
    assert!(!stdout.contains("simulate "), "{stdout}");
    assert!(!out.join("summary.json").exists());
}

fn unwritable_out_says_so() {
    let dir = temp("unwritable");
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("a-file");
    std::fs::write(&file, b"not a folder").unwrap();
    let out = file.join("sub");
    let o = cajal(
        &[
            "run",
            "coba",
            "--n",
            "100",
            "--duration",
            "10",
            "--out",
            out.to_str().unwrap(),
        ],
        &[],
    );
    assert_eq!(o.status.code(), Some(1));
    let (_, err) = text(&o);
    assert!(err.contains("cannot write to the output folder"), "{err}");
    assert!(err.contains("--out"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}

fn gpu_without_adapter_says_how_to_get_one() {
    let out = temp("noadapter");
    let o = cajal(
        &[
            "run",
            "coba",
            "--n",
            "100",
            "--duration",
            "10",
            "--backend",
            "gpu",
            "--out",
            out.to_str().unwrap(),
        ],
        &[("CAJAL_ADAPTER", "nonexistent-adapter")],
    );
    assert_eq!(o.status.code(), Some(1));
    let (_, err) = text(&o);
    assert!(err.contains("no GPU adapter"), "{err}");
    assert!(
        err.contains("lavapipe") && err.contains("mesa-vulkan-drivers"),
        "{err}"
    );
    let _ = std::fs::remove_dir_all(&out);
}

fn devices_lists_adapters_and_the_auto_choice() {
    let o = cajal(&["devices"], &[]);
    assert!(o.status.success());
    let (out, err) = text(&o);
    assert!(out.contains("--backend auto runs on"), "{out}");
    assert!(error_lines(&err).is_empty(), "{err}");
    // Mesa's software driver is lavapipe; its adapter calls itself llvmpipe.
    if out.contains("llvmpipe") {
        let o = cajal(&["devices"], &[("CAJAL_ADAPTER", "lavapipe")]);
        let (out, _) = text(&o);
        assert!(
            out.contains("the GPU engine on llvmpipe") && out.contains("CAJAL_ADAPTER=lavapipe"),
            "{out}"
        );
    }
    let o = cajal(&["devices", "--json"], &[]);
    let v: Value = serde_json::from_slice(&o.stdout).expect("devices --json is JSON");
    assert!(v["adapters"].is_array() && v["auto"].is_string());
    for a in v["adapters"].as_array().unwrap() {
        assert!(a["name"].is_string() && a["backend"].is_string() && a["driver"].is_string());
    }
}

fn bench_prints_a_table_and_json() {
    let o = cajal(
        &[
            "bench",
            "--sizes",
            "lif=200;coba=400",
            "--duration",
            "20",
            "--json",
        ],
        &[],
    );
    let (out, err) = text(&o);
    assert!(o.status.success(), "{out}\n{err}");
    let v: Value = serde_json::from_str(&out).expect("bench --json is JSON");
    let rows = v["results"].as_array().unwrap();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[1]["network"], "coba");
    assert_eq!(rows[1]["neurons"], 400);
    for k in ["steps_per_s", "real_time_factor", "synaptic_events_per_s"] {
        assert!(rows[1][k].as_f64().unwrap() > 0.0, "{k}");
    }
    assert_eq!(rows[0]["synapses"], 0);
    assert!(rows[1]["rate_hz"].as_f64().unwrap() > 0.0);
    let o = cajal(&["bench", "--sizes", "lif=200", "--duration", "10"], &[]);
    let (out, _) = text(&o);
    assert!(o.status.success());
    assert!(
        out.contains("steps/s") && out.contains("syn. events/s"),
        "{out}"
    );
    // Without recording: timed, but no rate or events claimed.
    let o = cajal(
        &[
            "bench",
            "--sizes",
            "coba=400",
            "--duration",
            "10",
            "--no-record",
            "--json",
        ],
        &[],
    );
    let (out, err) = text(&o);
    assert!(o.status.success(), "{out}\n{err}");
    let v: Value = serde_json::from_str(&out).unwrap();
    let row = &v["results"][0];
    assert!(
        row["rate_hz"].is_null() && row["synaptic_events_per_s"].is_null(),
        "{row}"
    );
    assert!(row["real_time_factor"].as_f64().unwrap() > 0.0);
}

/// Options that would simulate nothing, or something else than asked, are
/// refused with a message naming the option, never run.
fn runs_that_would_do_nothing_are_refused() {
    let out = temp("nothing");
    let o = out.to_str().unwrap();
    for (args, says) in [
        (vec!["--dt", "1e9", "--duration", "20"], "no step would run"),
        (vec!["--duration", "0.01"], "no step would run"),
        (
            vec!["--duration", "-5"],
            "--duration must be a positive number",
        ),
        (vec!["--dt", "-1"], "--dt must be a positive number"),
        (
            vec!["--dt", "1e-300"],
            "too small for the engines' single precision",
        ),
        (vec!["--n", "0"], "--n 0 gives 0 neurons"),
        (vec!["--scale", "1e-9"], "gives 1 neurons"),
    ] {
        let mut a = vec!["run", "coba", "--backend", "cpu", "--out", o];
        a.extend(&args);
        let r = cajal(&a, &[]);
        let (_, err) = text(&r);
        // 2: a bad option value, 1: a run that cannot be made.
        assert!(matches!(r.status.code(), Some(1 | 2)), "{args:?}: {err}");
        assert!(err.contains(says), "{args:?}: {err}");
    }
    let _ = std::fs::remove_dir_all(&out);
}

/// Started by mpirun (its environment says one of several processes), a
/// cajal built without the `mpi` feature refuses rather than running the
/// whole network once per process into the same files; `bench` refuses
/// under mpirun whatever the build.
fn one_of_several_mpi_processes_without_mpi_refuses() {
    let dir = temp("mpi-refused");
    let out = dir.to_string_lossy().into_owned();
    for var in ["OMPI_COMM_WORLD_SIZE", "PMI_SIZE"] {
        let o = cajal(
            &["run", "coba", "--duration", "5", "--out", &out],
            &[(var, "2")],
        );
        let (_, err) = text(&o);
        assert_eq!(o.status.code(), Some(2), "{var}: {err}");
        assert!(
            err.contains("one of 2 MPI processes") && err.contains("--features mpi"),
            "{var}: {err}"
        );
        assert!(!dir.join("summary.json").exists(), "{var}: it ran anyway");
        let o = cajal(&["bench", "--sizes", "coba=500"], &[(var, "2")]);
        assert_eq!(o.status.code(), Some(2));
        assert!(text(&o).1.contains("one process"), "{}", text(&o).1);
    }
    // One process of one is a plain run.
    let o = cajal(
        &[
            "run",
            "coba",
            "--n",
            "500",
            "--duration",
            "5",
            "--out",
            &out,
        ],
        &[("OMPI_COMM_WORLD_SIZE", "1")],
    );
    assert!(o.status.success(), "{}", text(&o).1);
}
