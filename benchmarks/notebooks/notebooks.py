#!/usr/bin/env python3
"""Every ANNarchy notebook of tests/data/annarchy/notebooks against ANNarchy:
ANNarchy 5.0.4.1's simulation calls beside cajal's example program for the
same notebook (examples/annarchy/), interleaved, and a Markdown table of the
minimum over repetitions. README.md says what is measured.

    python3 benchmarks/notebooks/notebooks.py [--reps N] [--threads 1|2|both]
        [--only a,b,...] [--out FILE.json] [--no-build] [--timeout S]

Needs the venv benchmarks/peers/run makes (target/peers-venv, ANNarchy in it).
Works in ${CARGO_TARGET_DIR:-target}/notebooks-bench/, never in the sources.
"""
import argparse
import datetime
import json
import os
import re
import resource
import subprocess
import sys
import time
from math import floor, log10

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
NOTEBOOKS = os.path.join(ROOT, "tests", "data", "annarchy", "notebooks")
# Where benchmarks/peers/run makes it: always under the checkout's target/,
# whatever CARGO_TARGET_DIR says.
VENV = os.path.join(ROOT, "target", "peers-venv")


def seeds(n):
    return [str(s) for s in range(1, n + 1)]


# Per notebook: `ann`, the ANNarchy script's arguments (its seeds); `cajal`,
# the example program and its arguments, chosen so that both do the same
# work; `self_re`, a regex of the time cajal's example prints itself
# (summed over its matches), where it prints one; `extra`, methods
# timeit_ann.py times apart (TIMEIT_EXTRA); `runs`: cajal's program does
# that many times the ANNarchy run's work, its times are divided by it.
SPECS = {
    "adex": {"ann": [], "cajal": ["nb_adex", "cpu"]},
    "bcm": {"ann": [], "cajal": ["nb_bcm", "cpu"]},
    "gap_junctions": {"ann": [], "cajal": ["nb_gap_junctions", "cpu"]},
    "synaptic_transmission": {"ann": [], "cajal": ["nb_synaptic_transmission", "cpu"]},
    "hodgkin_huxley": {"ann": [], "cajal": ["nb_hodgkin_huxley", "cpu"]},
    "stdp1": {"ann": [], "cajal": ["nb_stdp1", "cpu"]},
    "gif_sn": {"ann": [], "cajal": ["nb_gif_sn", "cpu"]},
    "bold": {"ann": [], "cajal": ["nb_bold", "cpu"], "self_re": r"Cpu, ([\d.]+) s\)"},
    "pynn": {"ann": [], "cajal": ["nb_pynn", "cpu"]},
    # The picture goes in by set_image() in ANNarchy (timed apart, extra_s),
    # as part of cajal's four steps.
    "image": {"ann": [], "cajal": ["nb_image", "cpu"], "self_re": r"\(Cpu, ([\d.]+) s\)",
              "extra": "ANNarchy.extensions.image.ImagePopulation:ImagePopulation.set_image"},
    "izhikevich": {"ann": seeds(14), "cajal": ["nb_izhikevich", "cpu", "14"]},
    "coba": {"ann": seeds(3), "cajal": ["nb_coba", "cpu", "3"], "self_re": r"1 s each, in ([\d.]+) s"},
    "stp": {"ann": seeds(8), "cajal": ["nb_stp", "cpu", "8"]},
    "rc": {"ann": seeds(1), "cajal": ["nb_rc", "cpu", "1"]},
    "neural_field": {"ann": seeds(3), "cajal": ["nb_neural_field", "cpu", "3"]},
    "basal_ganglia": {"ann": seeds(40), "cajal": ["nb_basal_ganglia", "cpu", "40"]},
    # bar_learning is cajal's own example (examples/bar_learning.rs): 10 000
    # trials, its PNG, seed 1.
    "bar_learning": {"ann": seeds(1), "cajal": ["bar_learning", "cpu", "10000", "bar_learning.png", "1"],
                     "self_re": r"simulated \d+ s in ([\d.]+) s"},
    "multiple_networks": {"ann": seeds(1), "cajal": ["nb_multiple_networks", "cpu"],
                          "self_re": r"in parallel in ([\d.]+) s"},
    # nb_miconi always runs seeds 1, 2 and 3 (its argument is the trials);
    # ANNarchy's script runs seed 1 only in-process (no argument: each seed in
    # a subprocess, which timeit_ann.py cannot see).
    "miconi": {"ann": seeds(1), "cajal": ["nb_miconi", "cpu", "200"], "runs": 3},
    "ramp": {"ann": seeds(1), "cajal": ["nb_ramp", "cpu", "1000"], "self_re": r"(?m)^simulated in ([\d.]+) s"},
    "sorf": {"ann": seeds(1), "cajal": ["nb_sorf", "cpu", "1", "160"],
             "self_re": r"gratings simulated in ([\d.]+) s"},
    "structural_plasticity": {"ann": seeds(1), "cajal": ["nb_structural_plasticity", "cpu", "1"],
                              "self_re": r"\(220 s each\) in ([\d.]+) s"},
}

# What the copies of the ANNarchy scripts change: compile into ./annarchy
# beside the copy (kept between runs, so only the first run compiles) rather
# than /tmp/annarchy_nb/; the Image picture's path, relative to the script's
# place in the checkout, made absolute.
REWRITES = [
    (r'directory="/tmp/annarchy_nb/[^"]*"', 'directory="annarchy"'),
    (r'os\.path\.join\(here, "\.\.", "\.\.", "\.\.", "\.\.", "\.\.", ',
     "os.path.join(%r, " % ROOT),
]


def target_dir():
    d = os.environ.get("CARGO_TARGET_DIR") or "target"
    return os.path.join(ROOT, d)  # cargo runs in ROOT: a relative one is ROOT's


def log(*args):
    print(*args, file=sys.stderr, flush=True)


def venv_python():
    """The venv's Python and ANNarchy's version, or exit saying what to do."""
    python = os.path.join(VENV, "bin", "python")
    if not os.access(python, os.X_OK):
        sys.exit(f"notebooks: no venv at {VENV}: run benchmarks/peers/run first "
                 "(it makes the venv and installs ANNarchy 5.0.4.1 into it)")
    r = subprocess.run([python, "-c", "import ANNarchy; from importlib.metadata import version; "
                        "print(version('ANNarchy'))"], capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"notebooks: ANNarchy does not import in {VENV} (run benchmarks/peers/run):\n"
                 + r.stderr[-1500:])
    return python, r.stdout.split()[-1]


def build(programs):
    """cargo build of the chosen examples only (the rest would cost minutes
    for nothing); gives the folder they are in."""
    cmd = ["cargo", "build", "--release"]
    for p in sorted(set(programs)):
        cmd += ["--example", p]
    log("notebooks: " + " ".join(cmd))
    if subprocess.run(cmd, cwd=ROOT).returncode != 0:
        sys.exit("notebooks: the build failed")
    return os.path.join(target_dir(), "release", "examples")


def prepare(name, work):
    """The notebook's script, copied into `work` with REWRITES: the scripts
    write their results (NAME.json) beside themselves, and that must not be
    the checkout."""
    with open(os.path.join(NOTEBOOKS, name, name + ".py")) as f:
        text = f.read()
    for pattern, repl in REWRITES:
        text = re.sub(pattern, lambda _m, r=repl: r, text)
    if "/tmp/annarchy_nb" in text or '"..", "..",' in text:
        sys.exit(f"notebooks: {name}.py has a path REWRITES does not handle")
    copy = os.path.join(work, name + ".py")
    os.makedirs(work, exist_ok=True)
    old = open(copy).read() if os.path.exists(copy) else None
    if old != text:
        with open(copy, "w") as f:
            f.write(text)
    return copy


def timed(cmd, env, cwd, timeout):
    """(returncode or None on timeout, stdout, stderr, wall s, CPU s)."""
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    try:
        p = subprocess.run(cmd, env=env, cwd=cwd, capture_output=True, text=True, timeout=timeout)
        code, out, err = p.returncode, p.stdout, p.stderr
    except subprocess.TimeoutExpired as e:
        code = None
        out = e.stdout.decode(errors="replace") if isinstance(e.stdout, bytes) else (e.stdout or "")
        err = (e.stderr.decode(errors="replace") if isinstance(e.stderr, bytes) else (e.stderr or "")) \
            + f"\n[timed out after {timeout} s]"
    wall = time.perf_counter() - t0
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    return code, out, err, wall, (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)


def save_log(work, tag, out, err):
    with open(os.path.join(work, tag + ".log"), "w") as f:
        f.write(out + "\n--- stderr ---\n" + err)


def run_annarchy(python, name, spec, work, timeout):
    script = prepare(name, work)
    env = dict(os.environ)
    # The venv's bin/ first: ANNarchy runs the cmake pip put there. One
    # OpenBLAS/OpenMP thread: see benchmarks/peers/common.py (numpy's idle
    # BLAS threads spin on the cores a measured run needs).
    env["PATH"] = os.path.dirname(python) + os.pathsep + env.get("PATH", "")
    env.update(OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1")
    for var in ("TIMEIT_EXTRA", "ANN_DIR"):  # ANN_DIR would move bold's, gif_sn's, image's compile folder
        env.pop(var, None)
    if spec.get("extra"):
        env["TIMEIT_EXTRA"] = spec["extra"]
    cmd = [python, os.path.join(HERE, "timeit_ann.py"), script] + spec["ann"]
    code, out, err, wall, cpu = timed(cmd, env, work, timeout)
    save_log(work, "annarchy", out, err)
    rec = {"sim": "annarchy", "cmd": cmd, "rc": code, "wall_s": round(wall, 6), "cpu_s": round(cpu, 6)}
    m = re.search(r"^TIMEIT (\{.*\})$", out, re.M)
    if m:
        rec.update(json.loads(m[1]))
        # parallel_run's workers simulate in other processes: the parent's
        # parallel_run call is the whole of it.
        rec["time_s"] = rec["parallel_run_s"] or rec["simulate_s"] + rec["step_s"]
    children = [float(x) for x in re.findall(r"TIMEIT_CHILD pid=\d+ \w+_s=([\d.]+)", err)]
    if children:
        rec["child_s"] = children
    if code != 0 or not m:
        rec["error"] = err[-2000:]
    return rec


TIMINGS_RE = r"cajal timings: engine built in ([\d.]+) s, (\d+) steps simulated in ([\d.]+) s"


def run_cajal(bindir, name, spec, threads, work, timeout):
    env = dict(os.environ)
    # rayon's global pool, which cajal's CPU engine runs on, reads this.
    env["RAYON_NUM_THREADS"] = str(threads)
    cwd = os.path.join(work, "cajal")  # bar_learning writes its PNG here
    os.makedirs(cwd, exist_ok=True)
    cmd = [os.path.join(bindir, spec["cajal"][0])] + spec["cajal"][1:]
    code, out, err, wall, cpu = timed(cmd, env, cwd, timeout)
    save_log(work, f"cajal-t{threads}", out, err)
    rec = {"sim": "cajal", "threads": threads, "cmd": cmd, "rc": code, "runs": spec.get("runs", 1),
           "wall_s": round(wall, 6), "cpu_s": round(cpu, 6)}
    # Simulation::timings, as examples/annarchy/common.rs prints it for
    # each simulation: its engine's build and its simulate calls.
    timings = re.findall(TIMINGS_RE, out)
    if timings:
        rec["build_s"] = sum(float(b) for b, _, _ in timings)
        rec["steps"] = sum(int(n) for _, n, _ in timings)
        rec["simulate_s"] = sum(float(t) for _, _, t in timings)
    if spec.get("self_re"):
        found = [float(x) for x in re.findall(spec["self_re"], out)]
        rec["self_s"] = sum(found) if found else None
        rec["self_n"] = len(found)
    if code != 0:
        rec["error"] = err[-2000:]
    return rec


def machine():
    model = "unknown CPU"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return f"{model}, {os.cpu_count()} cores"


def revision():
    r = subprocess.run(["git", "describe", "--always", "--dirty"], cwd=ROOT, capture_output=True, text=True)
    return r.stdout.strip() or None


def fmt(x, digits=3):
    """`digits` significant digits, no exponent ('-' for nothing)."""
    if x is None:
        return "-"
    if x == 0:
        return "0"
    return f"{x:.{max(0, digits - 1 - floor(log10(abs(x))))}f}"


def table(doc, names, threads):
    """Markdown: per notebook (and thread count) the minimum over reps."""
    runs = [r for r in doc["runs"] if r["rc"] == 0]
    lines = [
        f"cajal {doc['cajal']} against ANNarchy {doc['annarchy']}, {doc['date']}, {doc['machine']}, "
        f"minimum of {doc['reps']} run(s)",
        "",
        "| notebook | cajal threads | ANNarchy simulate (s) | cajal simulate (s) | cajal build (s) "
        "| cajal whole run (s) | cajal self-reported (s) | ratio |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    notes = []
    for name in names:
        ann = [r["time_s"] for r in runs if r["notebook"] == name and r["sim"] == "annarchy" and "time_s" in r]
        a = min(ann) if ann else None
        for t in threads:
            mine = [r for r in runs if r["notebook"] == name and r["sim"] == "cajal" and r["threads"] == t]
            k = SPECS[name].get("runs", 1)
            whole = min((r["wall_s"] / k for r in mine), default=None)
            own = min((r["self_s"] / k for r in mine if r.get("self_s") is not None), default=None)
            simulate = min((r["simulate_s"] / k for r in mine if "simulate_s" in r), default=None)
            build = min((r["build_s"] / k for r in mine if "build_s" in r), default=None)
            c = next((x for x in (simulate, own, whole) if x is not None), None)
            ratio = fmt(c / a) if c is not None and a else "-"
            lines.append(f"| {name} | {t} | {fmt(a)} | {fmt(simulate)} | {fmt(build)} | {fmt(whole)} "
                         f"| {fmt(own)} | {ratio} |")
        if SPECS[name].get("runs", 1) != 1:
            notes.append(f"{name}: cajal's times divided by {SPECS[name]['runs']} "
                         f"(its program runs {SPECS[name]['runs']} seeds, ANNarchy's script 1)")
        extra = [r["extra_s"] for r in runs if r["notebook"] == name and r.get("extra_calls")]
        if extra:
            notes.append(f"{name}: ANNarchy's {SPECS[name]['extra'].split(':')[1]} took {fmt(min(extra))} s "
                         "more (not in the table)")
    silent = {(r["notebook"], r["threads"]) for r in runs if r["sim"] == "cajal" and r.get("self_n") == 0}
    for name, t in sorted(silent):
        notes.append(f"{name} t{t}: cajal printed no self-reported time (self_re matched nothing), "
                     "the ratio uses its whole run")
    failed = [r for r in doc["runs"] if r["rc"] != 0 or (r["sim"] == "annarchy" and "time_s" not in r)]
    for r in failed:
        why = (r.get("error") or "").strip().splitlines()[-1:] or ["?"]
        notes.append(f"FAILED: {r['notebook']} {r['sim']}{' t%d' % r['threads'] if 'threads' in r else ''} "
                     f"rep {r['rep']}, rc {r['rc']}: {why[0][:200]}")
    lines.append("")
    lines.append("ratio: cajal simulate (else self-reported, else whole run) over ANNarchy simulate; "
                 "below 1, cajal is faster.")
    lines += [f"- {n}" for n in notes]
    return "\n".join(lines)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--reps", type=int, default=3, help="repetitions, interleaved (default 3)")
    p.add_argument("--threads", choices=["1", "2", "both"], default="both",
                   help="cajal's RAYON_NUM_THREADS (default both: 1 and 2)")
    p.add_argument("--only", help="comma-separated notebooks: " + ",".join(SPECS))
    p.add_argument("--out", help="write every run's record here (JSON), rewritten after each run")
    p.add_argument("--no-build", action="store_true", help="use the example programs as they are")
    p.add_argument("--timeout", type=float, default=1800, help="seconds one run may take (default 1800)")
    args = p.parse_args()
    names = args.only.split(",") if args.only else list(SPECS)
    unknown = [n for n in names if n not in SPECS]
    if unknown:
        p.error(f"unknown notebook(s) {', '.join(unknown)}; there are {', '.join(SPECS)}")
    threads = [1, 2] if args.threads == "both" else [int(args.threads)]

    python, ann_version = venv_python()
    programs = [SPECS[n]["cajal"][0] for n in names]
    bindir = os.path.join(target_dir(), "release", "examples") if args.no_build else build(programs)
    missing = [b for b in programs if not os.access(os.path.join(bindir, b), os.X_OK)]
    if missing:
        sys.exit(f"notebooks: not built in {bindir}: {', '.join(missing)}")
    base = os.path.join(target_dir(), "notebooks-bench")

    doc = {
        "date": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
        "machine": machine(),
        "annarchy": ann_version,
        "cajal": revision(),
        "reps": args.reps,
        "threads": threads,
        "specs": {n: SPECS[n] for n in names},
        "runs": [],
    }
    # Round by round, each notebook's ANNarchy run next to its cajal runs:
    # a slow spell of the machine then hits both sides alike.
    for rep in range(args.reps):
        for name in names:
            work = os.path.join(base, name)
            jobs = [("annarchy", None)] + [("cajal", t) for t in threads]
            for sim, t in jobs:
                if sim == "annarchy":
                    rec = run_annarchy(python, name, SPECS[name], work, args.timeout)
                else:
                    rec = run_cajal(bindir, name, SPECS[name], t, work, args.timeout)
                rec.update(notebook=name, rep=rep, load=round(os.getloadavg()[0], 2),
                           time=datetime.datetime.now().strftime("%H:%M:%S"))
                doc["runs"].append(rec)
                shown = rec.get("time_s") if sim == "annarchy" else rec["wall_s"]
                log(f"rep {rep + 1}/{args.reps} {name} {sim}{'' if t is None else f' t{t}'}: "
                    + (f"{fmt(shown)} s" if rec["rc"] == 0 and shown is not None else f"FAILED rc {rec['rc']}"))
                if args.out:
                    with open(args.out, "w") as f:
                        json.dump(doc, f, indent=1)
    print(table(doc, names, threads))


if __name__ == "__main__":
    main()
