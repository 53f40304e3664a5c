"""ANNarchy's notebooks run as scripts with only the import changed
(tests/python/notebooks/), against ANNarchy 5.0.4.1's numbers
(tests/data/annarchy/notebooks/, the same references as the Rust
examples in examples/annarchy/).

Deterministic notebooks are compared value for value. Notebooks with
random draws run five fixed seeds, and their mean must agree with the mean
of ANNarchy's seeds within three standard errors of the difference
(conftest.within_seeds)."""

import numpy as np
import pytest

from conftest import reference, run_notebook, within_seeds

SEEDS = [1, 2, 3, 4, 5]


def test_coba():
    # ANNarchy's runs, flattened to the names below.
    ref = [
        {f"{net}_{k}": v for net in ("coba", "cuba") for k, v in run[net].items()}
        for run in reference("coba")["runs"]
    ]
    rows = []
    for seed in SEEDS:
        g = run_notebook("coba", seed)
        n_c, n_u = np.asarray(g["n_COBA"]), np.asarray(g["n_CUBA"])
        rows.append(
            {
                "coba_rate_hz": len(g["t_COBA"]) / 4000.0,
                "coba_rate_exc_hz": np.sum(n_c < 3200) / 3200.0,
                "coba_rate_inh_hz": np.sum(n_c >= 3200) / 800.0,
                "coba_mean_cv_isi": float(np.mean(g["cov_COBA"])),
                "cuba_rate_hz": len(g["t_CUBA"]) / 4000.0,
                "cuba_rate_exc_hz": np.sum(n_u < 3200) / 3200.0,
                "cuba_rate_inh_hz": np.sum(n_u >= 3200) / 800.0,
                "cuba_mean_cv_isi": float(np.mean(g["cov_CUBA"])),
            }
        )
    for k in rows[0]:
        within_seeds(k, [r[k] for r in rows], ref, k)


def test_izhikevich():
    ref = reference("izhikevich")["runs"]
    rows = []
    for seed in SEEDS:
        g = run_notebook("izhikevich", seed)
        spikes, v = g["spikes"], g["v"]
        assert v.shape == (1000, 1000)
        counts = np.array([len(spikes[i]) for i in range(1000)])
        steps = np.concatenate([np.array(spikes[i], dtype=int) for i in range(1000)])
        per_step = np.bincount(steps, minlength=1000)
        rows.append(
            {
                "rate_exc_hz": counts[:800].sum() / 800,
                "rate_inh_hz": counts[800:].sum() / 200,
                "max_spikes_in_one_step": int(per_step.max()),
                "steps_with_over_20_spikes": int((per_step > 20).sum()),
                "mean_v_exc_mv": float(v[:, :800].mean()),
            }
        )
        # The notebook's own outputs: a raster and a spike histogram.
        assert len(g["t"]) == counts.sum() == len(g["n"])
        assert g["fr"].sum() == counts.sum()
    for k in rows[0]:
        within_seeds(k, [r[k] for r in rows], ref, k)


def test_adex():
    ref = reference("adex")
    g = run_notebook("adex", 1)
    spikes, data = g["spikes"], g["data"]
    assert data.shape == (5500, 8)
    count = [len(spikes[i]) for i in range(8)]
    first = [spikes[i][0] if spikes[i] else None for i in range(8)]
    last = [spikes[i][-1] if spikes[i] else None for i in range(8)]
    assert count == ref["spike_count"]
    assert first == ref["first_spike_step"]
    # a) to f) exactly; g) transient and h) irregular spiking amplify the
    # rounding of single precision (ANNarchy computes in double): their
    # last spikes drift by a few steps (2 and 14 in the Rust example).
    assert last[:6] == ref["last_spike_step"][:6]
    for i in (6, 7):
        assert abs(last[i] - ref["last_spike_step"][i]) <= 20, (i, last[i])
    np.testing.assert_allclose(data[-1, :6], ref["v_final_mv"][:6], atol=1e-3)


def test_stdp1():
    ref = reference("stdp1")["dw_by_lag_pre_minus_post_ms"]
    g = run_notebook("stdp1", 1)
    assert len(g["weight_changes"]) == 101
    for t_pre, dw in zip(g["pre_times"], g["weight_changes"]):
        lag = int(round(t_pre - 50.0))
        assert abs(dw - ref[str(lag)]) < 1e-6, (lag, dw, ref[str(lag)])


def test_hybrid():
    # ANNarchy 5.0.4.1's normalised decoding error of the 1000-neuron
    # decoder, mean of 5 seeds (examples/hybrid.rs); only the mean was
    # kept, so the test allows 25 % around it.
    annarchy = {"var_10": 0.100, "var_50": 0.051, "var_100": 0.037}
    errors = {k: [] for k in annarchy}
    for seed in SEEDS:
        g = run_notebook("hybrid", seed)
        assert g["data3"]["r"].shape == (10000, 1000)
        for k in annarchy:
            errors[k].append(float(g[k][-1]))
        # More decoders, smaller error: the notebook's third plot.
        assert g["var_100"][-1] < g["var_100"][9]
    for k, a in annarchy.items():
        m = float(np.mean(errors[k]))
        assert abs(m - a) <= 0.25 * a, (k, errors[k], a)


def test_rc():
    ref = reference("rc")["runs"]
    rows = []
    for seed in SEEDS:
        g = run_notebook("rc", seed)
        data1, data2 = g["data1"], g["data2"]
        assert data1.shape == (3000, 400)
        d = np.abs(data1 - data2)
        rows.append(
            {
                "mean_abs_r_trial1": float(np.abs(data1).mean()),
                "mean_abs_r_during_input": float(np.abs(data1[100:200]).mean()),
                "mean_abs_r_last_1000": float(np.abs(data1[2000:]).mean()),
                "sd_r_last_1000": float(data1[2000:].std()),
                "mean_abs_diff_first_300": float(d[:300].mean()),
            }
        )
    for k in rows[0]:
        within_seeds(k, [r[k] for r in rows], ref, k)


def test_gap_junctions():
    ref = reference("gap_junctions")
    g = run_notebook("gap_junctions", 1)
    data = g["data"]
    assert data.shape == (5000, 2)
    # Deterministic: the final v of neurons 0 and 5 (single against double
    # precision over 5000 steps).
    np.testing.assert_allclose(data[-1], [ref["v0_final"], ref["v5_final"]], rtol=1e-4)


def test_bcm():
    ref = reference("bcm")
    g = run_notebook("bcm", 1)
    r = g["r"][:, 0]
    assert int(r.argmax()) == ref["r_peak_sample"]
    np.testing.assert_allclose(r.max(), ref["r_peak"], rtol=1e-4)
    np.testing.assert_allclose(r[::100], ref["r_at_100_samples"], rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(g["w"][-1].ravel(), ref["w_final"], rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(g["theta"][-1].ravel()[0], ref["theta_final"], rtol=1e-3)
    assert list(g["w"].shape) == ref["monitor_shapes"][0]
    assert list(g["theta"].shape) == ref["monitor_shapes"][1]


def test_stp():
    ref = reference("stp")["runs"]
    rows = []
    for seed in (1, 2, 3):
        g = run_notebook("stp", seed)
        rows.append(
            {
                "rate_exc_hz": len(g["te"]) / 400 / 10.0,
                "rate_inh_hz": len(g["ti"]) / 100 / 10.0,
                "max_spikes_in_1ms": int(np.max(g["h"])),
            }
        )
    for k in rows[0]:
        within_seeds(k, [r[k] for r in rows], ref, k)


def test_pynn():
    ref = reference("pynn")
    totals = []
    for seed in (1, 2):
        g = run_notebook("pynn", seed)
        # The AdEx part (deterministic): its spike steps.
        assert [int(s) for s in g["spikes"]] == ref["adex_spikes"]
        # The NMDA synapse's conductances: [steps, dendrites, synapses].
        assert g["s"].shape == (1000, 2)
        totals.append(len(g["t"]))  # the STP network, the last part
    within_seeds("STP network's total spikes", totals, [{"n": x} for x in ref["stp_total_spikes"]], "n")


def test_multiple_networks_with_annarchy4s_parallel_run():
    ref = reference("multiple_networks")["runs"]
    g = run_notebook("multiple_networks", 1)
    vals = g["vals"]
    assert len(vals) == 8
    spikes = [len(t) for t, n in vals]
    assert len(set(spikes)) == 8, "each run draws its own parameters"
    within_seeds("spikes per run", spikes, ref, "spikes")
