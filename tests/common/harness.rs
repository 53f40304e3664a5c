//! The harness of every test binary (`harness = false`, libtest-mimic):
//! libtest's command line (`NAME` filters, `--exact`, `--skip`, `--ignored`,
//! `--include-ignored`, `--list`, `--test-threads`...) with one thing
//! libtest cannot do: a test that needs a GPU is reported **ignored**, with
//! the kind `[gpu]`, when there is no adapter, and **fails** when there is
//! none and `CAJAL_REQUIRE_GPU=1` (CI).
//!
//! A module lists its tests with [`tests!`](crate::common::tests), by what
//! they need:
//!
//! ```ignore
//! use crate::common::{backends, tests};
//!
//! tests! {
//!     // Runs without a GPU: one trial, `module::name`.
//!     cpu: [parses_a_model],
//!     // Needs an adapter: one trial, `[gpu] module::name`.
//!     gpu: [merged_kernels_compute_what_separate_ones_do],
//!     // Loops over `backends()`: two trials, `module::name` where
//!     // `backends()` is `[Cpu]`, and `[gpu] module::name::gpu` where it is
//!     // `[Cpu, Gpu]`.
//!     both: [reset_replays_the_run],
//! }
//!
//! fn parses_a_model() { /* ... */ }
//!
//! fn merged_kernels_compute_what_separate_ones_do() {
//!     let cpu = net.compile(Backend::Cpu).unwrap();
//!     let gpu = net.compile(Backend::Gpu).unwrap();
//!     /* ... */
//! }
//!
//! fn reset_replays_the_run() {
//!     let mut runs = Vec::new();
//!     for backend in backends() {
//!         /* checks of each engine */
//!         runs.push(run);
//!     }
//!     if runs.len() == 2 {
//!         /* the engines compared (in the GPU trial) */
//!     }
//! }
//! ```
//!
//! The trials of `[gpu]` are ignored without an adapter (`--ignored` runs
//! them anyway, and they fail) and fail without one under
//! `CAJAL_REQUIRE_GPU=1`. The GPU trial of a `both` test runs the CPU engine
//! too, as the test did before with an adapter: it is what compares the
//! engines, so no comparison is lost; the CPU trial is what still runs
//! without an adapter. A `both` test whose GPU part is not a loop over
//! `backends()` asks [`gpu_trial`] (`if !gpu_trial() { return; }`).
//!
//! A test is a plain `fn()`, or `fn() -> Result<(), E>` (no `#[test]`, which
//! does nothing without libtest): it fails by panicking or returning an
//! `Err`. A test function left out of `tests!` is never called, so rustc's
//! `dead_code` lint names it, and CI's `clippy -D warnings` fails on it (as
//! on a module whose `tests` the binary's `main` does not run); a stray
//! `#[test]` (which compiles the function away without a word), or a file of
//! the binary's folder that its `main.rs` does not declare, fails the
//! `harness::every_test_is_listed` trial of its binary. A test that must skip
//! itself at run time for another reason than a missing adapter calls
//! [`skip`] (reported ignored, with the reason).
//!
//! Each trial runs on its own thread named after it (as libtest does: a
//! panic message names the test). The tests of all the modules of a binary
//! share one process: [`test_name`] and [`temp_path`] give a trial its name
//! and files of its own. Unlike libtest, output is not captured: what a
//! test prints shows as it runs.

use std::cell::{Cell, RefCell};
use std::path::PathBuf;

use cajal::prelude::Backend;
use libtest_mimic::{Arguments, Completion, Failed, Trial};

/// What a test needs to run, and so how many trials it makes.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Needs {
    /// No GPU: one trial.
    Cpu,
    /// A GPU adapter: one trial, ignored (or failed) without one.
    Gpu,
    /// A CPU trial and a GPU trial, told apart by [`backends`] and
    /// [`gpu_trial`].
    Both,
}

/// One test function of a module, as [`tests!`](crate::common::tests) lists it.
pub struct Test {
    /// `module::function`.
    name: String,
    run: fn(),
    needs: Needs,
}

impl Test {
    /// `module_path` is the caller's `module_path!()`: the binary's name,
    /// which libtest-mimic does not print, is dropped.
    pub fn new(module_path: &str, function: &str, run: fn(), needs: Needs) -> Test {
        let module = module_path.split_once("::").map_or(module_path, |(_, m)| m);
        Test {
            name: format!("{module}::{function}"),
            run,
            needs,
        }
    }
}

/// What a test function returns: nothing, or a `Result` whose `Err` fails
/// the test (as with libtest).
pub trait Outcome {
    fn check(self);
}

impl Outcome for () {
    fn check(self) {}
}

impl<E: std::fmt::Debug> Outcome for Result<(), E> {
    fn check(self) {
        if let Err(e) = self {
            panic!("Error: {e:?}");
        }
    }
}

/// Lists a module's test functions by what they need (see the module
/// documentation): defines `pub fn tests() -> Vec<Test>`, which the
/// binary's `main` hands to [`main`].
macro_rules! tests {
    ($($needs:ident: [$($test:ident),* $(,)?]),* $(,)?) => {
        /// This module's tests, for the harness (`tests/common/harness.rs`).
        pub fn tests() -> Vec<$crate::common::harness::Test> {
            vec![$($($crate::common::harness::Test::new(
                module_path!(),
                stringify!($test),
                || $crate::common::harness::Outcome::check($test()),
                $crate::common::harness::needs!($needs),
            ),)*)*]
        }
    };
}
pub(crate) use tests;

/// `cpu`, `gpu` or `both` as a [`Needs`]; anything else does not compile.
macro_rules! needs {
    (cpu) => {
        $crate::common::harness::Needs::Cpu
    };
    (gpu) => {
        $crate::common::harness::Needs::Gpu
    };
    (both) => {
        $crate::common::harness::Needs::Both
    };
    ($other:ident) => {
        compile_error!(concat!(
            "tests!: `",
            stringify!($other),
            "` is none of cpu, gpu, both"
        ))
    };
}
pub(crate) use needs;

/// The CPU trial of a `both` test.
const CPU: &[Backend] = &[Backend::Cpu];
/// The GPU trial of a `both` test, and a `gpu` test.
const CPU_AND_GPU: &[Backend] = &[Backend::Cpu, Backend::Gpu];

thread_local! {
    /// The engines of the running trial; `None` in a `cpu` test.
    static ENGINES: Cell<Option<&'static [Backend]>> = const { Cell::new(None) };
    /// The name of the running trial.
    static NAME: RefCell<String> = const { RefCell::new(String::new()) };
}

/// The engines the running trial runs, in this order: `[Cpu]` in the CPU
/// trial of a `both` test, `[Cpu, Gpu]` in its GPU trial and in a `gpu`
/// test. Panics in a `cpu` test: a test that loops over `backends()` is
/// listed as `both`.
pub fn backends() -> Vec<Backend> {
    match ENGINES.get() {
        Some(b) => b.to_vec(),
        None => panic!(
            "{}: backends() is for the tests listed as `both` or `gpu` in tests!",
            test_name()
        ),
    }
}

/// Whether the running trial runs the GPU engine: a `gpu` test, or the GPU
/// trial of a `both` test.
pub fn gpu_trial() -> bool {
    ENGINES.get() == Some(CPU_AND_GPU)
}

/// The name of the running trial (`module::function`, `::gpu` added for
/// the GPU half of a `both` test).
pub fn test_name() -> String {
    NAME.with_borrow(|n| {
        if n.is_empty() {
            "<not in a trial>".to_string()
        } else {
            n.clone()
        }
    })
}

/// A path in the temporary folder that no other trial of any test binary
/// uses: the process id, the trial's name and `name`.
pub fn temp_path(name: &str) -> PathBuf {
    let trial = test_name().replace("::", ".");
    std::env::temp_dir().join(format!("cajal-{}-{trial}-{name}", std::process::id()))
}

/// The payload of [`skip`]'s panic.
struct Skip(String);

/// Ends the running test as ignored, with `reason` (for a condition of the
/// machine other than a missing adapter, which the harness handles).
pub fn skip(reason: impl Into<String>) -> ! {
    std::panic::resume_unwind(Box::new(Skip(reason.into())))
}

/// Runs `run` on a thread named after the trial, as libtest does.
fn run_trial(
    name: String,
    engines: Option<&'static [Backend]>,
    run: fn(),
) -> Result<Completion, Failed> {
    let thread = std::thread::Builder::new()
        .name(name.clone())
        .spawn(move || {
            ENGINES.set(engines);
            NAME.set(name);
            run()
        })
        .map_err(|e| Failed::from(format!("cannot start the test's thread: {e}")))?;
    match thread.join() {
        Ok(()) => Ok(Completion::Completed),
        Err(payload) => {
            if let Some(Skip(reason)) = payload.downcast_ref::<Skip>() {
                return Ok(Completion::ignored_with(reason));
            }
            let message = payload
                .downcast_ref::<String>()
                .map(String::as_str)
                .or_else(|| payload.downcast_ref::<&str>().copied())
                .unwrap_or("(a panic without a message)");
            Err(Failed::from(format!("test panicked: {message}")))
        }
    }
}

/// Whether this machine runs GPU trials.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Gpu {
    /// There is an adapter.
    Present,
    /// No adapter: GPU trials are ignored.
    Absent,
    /// No adapter and `CAJAL_REQUIRE_GPU=1`: GPU trials fail.
    Required,
}

fn trial(name: String, engines: Option<&'static [Backend]>, run: fn(), gpu: Gpu) -> Trial {
    let on_gpu = engines == Some(CPU_AND_GPU);
    if on_gpu && gpu == Gpu::Required {
        return Trial::test(name, || {
            Err(Failed::from(
                "no GPU adapter, and CAJAL_REQUIRE_GPU=1: this GPU test cannot run \
                 (install a Vulkan driver, e.g. Mesa's lavapipe: apt-get install mesa-vulkan-drivers)",
            ))
        })
        .with_kind("gpu");
    }
    let t = Trial::ignorable_test(name.clone(), move || run_trial(name, engines, run));
    if on_gpu {
        t.with_kind("gpu").with_ignored_flag(gpu == Gpu::Absent)
    } else {
        t
    }
}

/// The binary's `main`: builds the trials of every module's `tests()`,
/// finds out once whether there is a GPU adapter (`cajal::devices()`), and
/// runs them with libtest's command line.
pub fn main(modules: &[fn() -> Vec<Test>]) -> ! {
    let args = Arguments::from_args();
    let gpu = if !cajal::devices().is_empty() {
        Gpu::Present
    } else if std::env::var("CAJAL_REQUIRE_GPU").as_deref() == Ok("1") {
        Gpu::Required
    } else {
        Gpu::Absent
    };
    // Quiet the panic message of skip(); every other panic prints as usual.
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if info.payload().downcast_ref::<Skip>().is_none() {
            default_hook(info);
        }
    }));
    let mut trials = vec![Trial::test(
        "harness::every_test_is_listed",
        every_test_is_listed,
    )];
    let mut gpu_trials = 0;
    for tests in modules {
        for t in tests() {
            if t.needs != Needs::Cpu {
                gpu_trials += 1;
            }
            match t.needs {
                Needs::Cpu => trials.push(trial(t.name, None, t.run, gpu)),
                Needs::Gpu => trials.push(trial(t.name, Some(CPU_AND_GPU), t.run, gpu)),
                Needs::Both => {
                    let name = format!("{}::gpu", t.name);
                    trials.push(trial(t.name, Some(CPU), t.run, gpu));
                    trials.push(trial(name, Some(CPU_AND_GPU), t.run, gpu));
                }
            }
        }
    }
    // In libtest's order: by name.
    trials.sort_by(|a, b| a.name().cmp(b.name()));
    if let Some(w) = trials.windows(2).find(|w| w[0].name() == w[1].name()) {
        panic!("two tests are named {}", w[0].name());
    }
    if !args.list && gpu != Gpu::Present && gpu_trials > 0 {
        // On stderr, so that it shows even with --format json.
        eprintln!(
            "\n*** no GPU adapter: the {gpu_trials} [gpu] tests {} ***\n",
            if gpu == Gpu::Required {
                "FAIL (CAJAL_REQUIRE_GPU=1)"
            } else {
                "are ignored (CAJAL_REQUIRE_GPU=1 makes them fail)"
            }
        );
    }
    libtest_mimic::run(&args, trials).exit()
}

/// Fails on a `#[test]`, `#[should_panic]` or `#[ignore]` in this binary's
/// sources: without libtest they do nothing (a `#[test]` function is even
/// compiled away), so such a test would silently never run; and on a file
/// of the binary's folder that its `main.rs` does not declare as a module
/// (never compiled). A module's test left out of its `tests!`, or a module
/// whose `tests` the `main` does not run, is dead code instead (rustc's
/// warning; an error under `clippy -D warnings`).
fn every_test_is_listed() -> Result<(), Failed> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests");
    let own = root.join(env!("CARGO_CRATE_NAME"));
    let main = std::fs::read_to_string(own.join("main.rs")).map_err(|e| e.to_string())?;
    let mut found = Vec::new();
    for dir in [env!("CARGO_CRATE_NAME"), "common"] {
        let dir = root.join(dir);
        let entries = std::fs::read_dir(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        for entry in entries {
            let path = entry.map_err(|e| e.to_string())?.path();
            if path.extension().is_none_or(|e| e != "rs") {
                continue;
            }
            let stem = path.file_stem().map(|s| s.to_string_lossy().to_string());
            if dir == own
                && stem.as_ref().is_some_and(|m| {
                    m != "main" && !main.lines().any(|l| l.trim() == format!("mod {m};"))
                })
            {
                found.push(format!("{}: not a module of main.rs", path.display()));
            }
            let text = std::fs::read_to_string(&path).map_err(|e| e.to_string())?;
            for (i, line) in text.lines().enumerate() {
                let line = line.trim_start();
                if ["#[test]", "#[should_panic", "#[ignore"]
                    .iter()
                    .any(|a| line.starts_with(a))
                {
                    found.push(format!("{}:{}: {line}", path.display(), i + 1));
                }
            }
        }
    }
    if found.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "tests that would never run (list a test in its module's tests!, \
             declare a module in main.rs):\n{}",
            found.join("\n")
        )
        .into())
    }
}
