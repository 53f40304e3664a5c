"""Batch simulation and ml_genn's models and readouts from Python, numpy
arrays in and out: a batch of B examples gives what B separate runs give."""

import numpy as np
import pytest

import cajal as ann
from cajal import mlgenn


def network(batch_inputs):
    """An input layer of ml_genn integrate-and-fire inputs onto ml_genn LIF
    neurons and a leaky-integrator read-out."""
    net = ann.Network(dt=1.0, seed=3)
    inp = net.create(20, mlgenn.IntegrateFireInput(v_thresh=1.0))
    hid = net.create(10, mlgenn.LeakyIntegrateFire(v_thresh=1.0, tau_mem=10.0))
    out = net.create(3, mlgenn.LeakyIntegrate(tau_mem=20.0))
    net.connect(inp, hid, "exc").all_to_all(weights=ann.Normal(0.1, 0.1))
    net.connect(hid, out, "exc").all_to_all(weights=ann.Uniform(-0.5, 0.5))
    m_hid = net.monitor(hid, "spike")
    m_out = net.monitor(out, "v")
    return net, inp, hid, out, m_hid, m_out


def test_a_batch_is_its_examples_run_one_by_one():
    rng = np.random.default_rng(1)
    x = rng.uniform(0.0, 0.3, (4, 20))
    net, inp, hid, out, m_hid, m_out = network(x)
    net.compile(batch=4)
    assert net.batch_size == 4
    net.set_input(inp, x)
    net.simulate(50.0)
    counts = net.readout(m_hid, "spike_count")
    v_sum = net.readout(m_out, "sum_var", "v")
    v_last = net.readout(m_out, "var", "v")
    assert counts.shape == (4, 10) and v_sum.shape == (4, 3)
    v = m_out.get("v")
    spikes = m_hid.get("spike")
    assert v.shape == (4, 50, 3) and len(spikes) == 4
    np.testing.assert_allclose(v_sum, v.sum(axis=1), rtol=1e-5)
    np.testing.assert_array_equal(v_last, v[:, -1, :])
    assert out.v.shape == (4, 3)
    assert counts.sum() > 0, "the hidden layer should spike"
    for b in range(4):
        single, inp1, hid1, out1, mh1, mo1 = network(x[b : b + 1])
        single.compile()
        single.set_input(inp1, x[b : b + 1])
        single.simulate(50.0)
        np.testing.assert_array_equal(single.readout(mh1, "spike_count")[0], counts[b])
        np.testing.assert_array_equal(mo1.get("v"), v[b])
        s1 = mh1.get("spike")
        assert {r: s for r, s in s1.items() if s} == {r: s for r, s in spikes[b].items() if s}


def test_set_element_and_model_arguments():
    net = ann.Network(dt=1.0)
    pop = net.create(2, mlgenn.LeakyIntegrate(tau_mem=10.0, bias=0.5))
    net.compile(batch=3)
    pop.set_element(1, "v", [1.0, 2.0])
    assert pop.v.tolist() == [[0.0, 0.0], [1.0, 2.0], [0.0, 0.0]]
    net.simulate(1.0)
    alpha = np.exp(-1.0 / 10.0)
    # v = alpha * v + bias (+ no input): ml_genn's leaky integrator.
    np.testing.assert_allclose(pop.v[1], alpha * np.array([1.0, 2.0]) + 0.5, rtol=1e-6)
    with pytest.raises(ann.CajalError, match="tau_m"):
        ann.Network().create(2, mlgenn.LeakyIntegrate(tau_m=10.0)).size
