"""The peers benchmark's driver: runs every workload in every simulator
that has it, round after round (each round runs every simulator once, so
that a slow spell of the machine hits all of them alike), each run a
fresh Python process in a fresh folder, and writes target/peers/
results.json (every run) and table.md (the minimum over rounds).

`benchmarks/peers/run` installs the simulators and calls this with the
venv's Python; README.md says what each workload is.
"""
import argparse
import datetime
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from math import floor, log10

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
OUT = os.path.join(ROOT, "target", "peers")

# Column order of the table, and the name each simulator has there.
# `cajal64` is cajal in double precision (CAJAL_PRECISION=double: the
# precision ANNarchy, Brian 2 and NEST compute in), with cajal's scripts.
SIMS = {"cajal": "cajal", "cajal64": "cajal f64", "annarchy": "ANNarchy", "brian2": "Brian 2", "nest": "NEST"}
# What a simulator needs to run: a Python module, or cajal's program too.
NEEDS = {"cajal": "cajal", "cajal64": "cajal", "annarchy": "ANNarchy", "brian2": "brian2", "nest": "nest"}
# The simulators that are cajal (not peers).
CAJAL = ("cajal", "cajal64")


def script(w, sim):
    """The run script of workload `w` for `sim` (cajal's for cajal64)."""
    return w["scripts"].get("cajal" if sim == "cajal64" else sim)


def coba(n):
    return {
        "scripts": {"cajal": "coba_annarchy.py", "annarchy": "coba_annarchy.py",
                    "brian2": "coba_brian2.py", "nest": "coba_nest.py"},
        "args": ["--n", str(n)],
        "duration": 1000.0, "quick": 100.0,
    }


# Each workload: the script of each simulator that has it, its own
# arguments, the simulated ms (full run and --quick), and the thread counts
# tried (the table keeps each simulator's best).
WORKLOADS = {
    "coba4k": coba(4000),
    "coba16k": coba(16000),
    "coba64k": coba(64000),
    "microcircuit": {
        "scripts": {"cajal": "microcircuit_cajal.py", "nest": "microcircuit_nest.py"},
        "duration": 1000.0, "quick": 100.0,
    },
    "stdp": {
        "scripts": {"cajal": "stdp_annarchy.py", "annarchy": "stdp_annarchy.py", "brian2": "stdp_brian2.py"},
        "duration": 100000.0, "quick": 2000.0,
        # One neuron and 1000 synapses: nothing for a second thread to share.
        "threads": (1,),
    },
    # ANNarchy's Ramp notebook (plastic synapses updated every step, Poisson
    # inputs, firing-rate windows): ANNarchy's own model, so no Brian 2 or
    # NEST script.
    "ramp": {
        "scripts": {"cajal": "ramp_annarchy.py", "annarchy": "ramp_annarchy.py"},
        "duration": 1000000.0, "quick": 20000.0,
        # Two neurons and 200 synapses: nothing for a second thread to share.
        "threads": (1,),
    },
    "rate": {
        "scripts": {"cajal": "rate_annarchy.py", "annarchy": "rate_annarchy.py"},
        "duration": 2000.0, "quick": 200.0,
    },
    # ANNarchy's Bar Learning notebook: 3 072 plastic rate-coded synapses,
    # a trial of 50 ms a simulate() call, its input set from Python.
    "bar_learning": {
        "scripts": {"cajal": "bar_learning_annarchy.py", "annarchy": "bar_learning_annarchy.py"},
        "duration": 500000.0, "quick": 10000.0,
        # 96 neurons: nothing for a second thread to share.
        "threads": (1,),
    },
    # ANNarchy's SORF notebook: Poisson inputs and 8 192 plastic synapses
    # whose silent inputs' traces decay into the subnormals (kept by both).
    "sorf": {
        "scripts": {"cajal": "sorf_annarchy.py", "annarchy": "sorf_annarchy.py"},
        "duration": 100000.0, "quick": 5000.0,
    },
}
THREADS = (1, 2)


def available(python):
    """The simulators that can run here: an import in a fresh process (a
    package can install and still fail to load), and cajal's program."""
    found, missing = [], {}
    for sim, module in NEEDS.items():
        r = subprocess.run([python, "-c", f"import {module}"], capture_output=True, text=True)
        if r.returncode != 0:
            missing[sim] = (r.stderr.strip().splitlines() or ["import failed"])[-1]
        elif sim in CAJAL and not os.access(os.path.join(ROOT, "target", "release", "cajal"), os.X_OK):
            missing[sim] = "target/release/cajal is missing (cargo build --release)"
        else:
            found.append(sim)
    return found, missing


def run_one(python, workload, sim, threads, seed, duration, timeout):
    """One run in its own folder; its result, or the error it ended with.
    The folder (generated code, binaries) goes once the run succeeded; the
    log stays in target/peers/logs/."""
    w = WORKLOADS[workload]
    tag = f"r{seed}-{workload}-{sim}-t{threads}"
    work = os.path.join(OUT, "work", tag)
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    as_sim = "cajal" if sim in CAJAL else sim
    cmd = [python, os.path.join(HERE, script(w, sim)), "--sim", as_sim, "--threads", str(threads),
           "--seed", str(seed), "--duration", str(duration)] + w.get("args", [])
    env = dict(os.environ)
    if sim == "cajal64":
        env["CAJAL_PRECISION"] = "double"
    start = time.perf_counter()
    try:
        r = subprocess.run(cmd, cwd=work, capture_output=True, text=True, timeout=timeout, env=env)
        out, err, code = r.stdout, r.stderr, r.returncode
    except subprocess.TimeoutExpired as e:
        out, err, code = e.stdout or "", e.stderr or "", None
        out, err = (s.decode() if isinstance(s, bytes) else s for s in (out, err))
    wall = time.perf_counter() - start
    with open(os.path.join(OUT, "logs", tag + ".log"), "w") as f:
        f.write(f"$ {' '.join(cmd)}\n(in {work})\n\n{out}\n--- stderr ---\n{err}")
    result = {"sim": sim, "workload": workload, "threads": threads, "seed": seed, "wall_s": round(wall, 2)}
    lines = [l for l in out.splitlines() if l.startswith("{")]
    if code == 0 and lines:
        result.update(json.loads(lines[-1]))
        result["workload"] = workload  # the script names its family (coba), the driver the size
        result["sim"] = sim  # cajal64 runs cajal's script
        shutil.rmtree(work, ignore_errors=True)
    elif code is None:
        result["error"] = f"timed out after {timeout} s"
    else:
        last = (err.strip().splitlines() or ["no output"])[-1]
        result["error"] = f"exit {code}: {last}"
    return result


def machine():
    """The machine in words: CPU model, cores, memory."""
    model = platform.processor() or "unknown CPU"
    try:
        for line in subprocess.run(["lscpu"], capture_output=True, text=True).stdout.splitlines():
            if line.startswith("Model name:"):
                model = line.split(":", 1)[1].strip()
    except OSError:
        pass
    mem = "?"
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemTotal:"):
                mem = f"{int(line.split()[1]) / 1024 ** 2:.0f} GiB"
    return f"{model}, {os.cpu_count()} cores, {mem} memory"


def fmt(x, digits=3):
    """A number with `digits` significant digits, without exponents."""
    if x is None:
        return "-"
    if x == 0:
        return "0"
    return f"{x:.{max(0, digits - 1 - floor(log10(abs(x))))}f}"


def table(doc):
    """table.md: wall seconds per simulated second (min over rounds and
    thread counts) per workload and simulator, the best peer and cajal's
    ratio to it; then build times and the simulated activity."""
    runs = [r for r in doc["runs"] if "error" not in r]
    # Every simulator keeps its column: '-' where it has no run.
    present = list(SIMS)
    versions = {}
    for r in runs:
        versions.setdefault(r["sim"], r.get("version"))
    lines = [
        "# cajal and its peers",
        "",
        f"- date: {doc['date']}",
        f"- machine: {doc['machine']}",
        f"- Python {doc['python']}; " + ", ".join(f"{SIMS[s]} {versions[s]}" for s in present if s in versions),
        f"- {doc['rounds']} round(s){' (--quick: short durations, 1 thread)' if doc['quick'] else ''}; "
        "each run a fresh process; see benchmarks/peers/README.md for the models",
    ]
    for sim, why in doc["missing"].items():
        lines.append(f"- {SIMS[sim]} not available: {why}")
    errors = [r for r in doc["runs"] if "error" in r]
    if errors:
        lines.append(f"- {len(errors)} run(s) failed (results.json has each error; logs in target/peers/logs/)")

    def best(workload, sim):
        mine = [r for r in runs if r["workload"] == workload and r["sim"] == sim]
        return min(mine, key=lambda r: r["sim_s"] / r["simulated_ms"], default=None)

    lines += [
        "",
        "Wall seconds per simulated second (lower is better): the minimum over rounds, "
        "at the best thread count (in parentheses). cajal / best peer below 1: cajal is faster.",
        "",
        "| workload | neurons | synapses | " + " | ".join(SIMS[s] for s in present)
        + " | best peer | cajal / best peer |",
        "|---|---:|---:|" + "---:|" * len(present) + "---|---:|",
    ]
    for workload in WORKLOADS:
        if not any(r["workload"] == workload for r in doc["runs"]):
            continue
        b = {s: best(workload, s) for s in present}
        speed = {s: r["sim_s"] / r["simulated_ms"] * 1000.0 for s, r in b.items() if r}
        any_run = next((r for r in b.values() if r), {})
        cells = [f"{fmt(speed[s])} ({b[s]['threads']}t)" if s in speed else "-" for s in present]
        peers = {s: v for s, v in speed.items() if s not in CAJAL}
        peer = min(peers, key=peers.get) if peers else None
        ratio = fmt(speed["cajal"] / peers[peer]) if peer and "cajal" in speed else "-"
        lines.append(
            f"| {workload} | {any_run.get('neurons', '-')} | {any_run.get('synapses', '-')} | "
            + " | ".join(cells) + f" | {SIMS[peer] if peer else '-'} | {ratio} |"
        )
    lines += [
        "",
        "Build seconds / activity. Build: from the script's start to ready to simulate (code "
        "generation and C++ compilation included), the minimum over rounds. Activity: the mean "
        "firing rate in Hz (rate: the mean |r| at the end; bar_learning: the feature neurons that became one bar), the mean over all runs; the simulators' "
        "values should agree within a few per cent.",
        "",
        "| workload | " + " | ".join(SIMS[s] for s in present) + " |",
        "|---|" + "---:|" * len(present),
    ]
    for workload in WORKLOADS:
        if not any(r["workload"] == workload for r in doc["runs"]):
            continue
        cells = []
        for s in present:
            mine = [r for r in runs if r["workload"] == workload and r["sim"] == s]
            if not mine:
                cells.append("-")
                continue
            build = min(r["build_s"] for r in mine)
            if mine[0].get("rate_hz") is not None:
                activity = f"{fmt(sum(r['rate_hz'] for r in mine) / len(mine))} Hz"
            elif mine[0].get("bar_neurons") is not None:
                activity = f"{fmt(sum(r['bar_neurons'] for r in mine) / len(mine))} bar neurons"
            else:
                activity = f"\\|r\\| {fmt(sum(r['mean_abs_r'] for r in mine) / len(mine))}"
            cells.append(f"{fmt(build)} s / {activity}")
        lines.append(f"| {workload} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--rounds", type=int, default=5, help="rounds of every run (default 5)")
    p.add_argument("--quick", action="store_true",
                   help="smoke test: 1 round, short durations, 1 thread")
    p.add_argument("--only", help="comma-separated workloads: " + ",".join(WORKLOADS))
    p.add_argument("--timeout", type=float, default=1800.0, help="seconds a run may take (default 1800)")
    p.add_argument("--sims", help="comma-separated simulators (default all): " + ",".join(SIMS))
    args = p.parse_args()
    chosen = args.sims.split(",") if args.sims else list(SIMS)
    if any(s not in SIMS for s in chosen):
        p.error(f"unknown simulator(s) in {args.sims}; there are {', '.join(SIMS)}")
    workloads = args.only.split(",") if args.only else list(WORKLOADS)
    unknown = [w for w in workloads if w not in WORKLOADS]
    if unknown:
        p.error(f"unknown workload(s) {', '.join(unknown)}; there are {', '.join(WORKLOADS)}")
    rounds = 1 if args.quick else args.rounds

    python = sys.executable
    # The venv's bin/ first: ANNarchy runs the cmake that pip put there.
    os.environ["PATH"] = os.path.dirname(python) + os.pathsep + os.environ.get("PATH", "")
    sims, missing = available(python)
    for sim, why in missing.items():
        print(f"peers: {SIMS[sim]} is not available, its column stays '-': {why}", flush=True)
    os.makedirs(os.path.join(OUT, "logs"), exist_ok=True)
    doc = {
        "date": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
        "machine": machine(),
        "python": platform.python_version(),
        "rounds": rounds,
        "quick": args.quick,
        "missing": missing,
        "runs": [],
    }
    plan = [
        (workload, sim, threads)
        for workload in workloads
        for sim in SIMS
        if sim in sims and sim in chosen and script(WORKLOADS[workload], sim)
        for threads in ((1,) if args.quick else WORKLOADS[workload].get("threads", THREADS))
    ]
    for seed in range(1, rounds + 1):
        for i, (workload, sim, threads) in enumerate(plan, 1):
            w = WORKLOADS[workload]
            duration = w["quick"] if args.quick else w["duration"]
            print(f"[round {seed}/{rounds}, {i}/{len(plan)}] {workload} {SIMS[sim]} {threads} thread(s) ...",
                  end=" ", flush=True)
            r = run_one(python, workload, sim, threads, seed, duration, args.timeout)
            if "error" in r:
                print(f"FAILED ({r['error']})", flush=True)
            else:
                print(f"{r['sim_s'] / r['simulated_ms'] * 1000.0:.3f} s/s, build {r['build_s']:.1f} s", flush=True)
            doc["runs"].append(r)
            # Written after every run, so that an interrupted benchmark keeps its runs.
            with open(os.path.join(OUT, "results.json"), "w") as f:
                json.dump(doc, f, indent=1)
    text = table(doc)
    with open(os.path.join(OUT, "table.md"), "w") as f:
        f.write(text)
    print("\n" + text)
    print(f"wrote {os.path.join(OUT, 'results.json')} and {os.path.join(OUT, 'table.md')}")


if __name__ == "__main__":
    main()
