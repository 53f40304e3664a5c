"""ANNarchy's convolution extension from Python (``Convolution``,
``Pooling``, ``Transpose``, ``Copy``), against numpy computations of the
same sums."""

import numpy as np

import cajal as ann
from cajal.extensions.convolution import Convolution, Copy, Pooling, Transpose

SUM = ann.Neuron(equations="r = sum(exc)")


def correlate_zero_padded(x, w):
    """ANNarchy's convolution: the filter centred on each post neuron's
    position, pre-synaptic values outside the population 0."""
    kh, kw = w.shape
    ch, cw = kh // 2, kw // 2
    out = np.zeros_like(x)
    for i in range(x.shape[0]):
        for j in range(x.shape[1]):
            for k in range(kh):
                for l in range(kw):
                    a, b = i + k - ch, j + l - cw
                    if 0 <= a < x.shape[0] and 0 <= b < x.shape[1]:
                        out[i, j] += w[k, l] * x[a, b]
    return out


def test_convolution_and_pooling():
    rng = np.random.default_rng(0)
    x = rng.uniform(0.0, 1.0, (6, 8))
    w = np.array([[1.0, 0.0, -1.0], [2.0, 0.5, -2.0], [1.0, 0.0, -1.0]])
    inp = ann.InputArray((6, 8))
    conv = ann.Population((6, 8), SUM)
    pooled = ann.Population((3, 4), SUM)
    proj = Convolution(inp, conv, "exc")
    proj.connect_filter(weights=w)
    pool = Pooling(inp, pooled, "exc", operation="max")
    pool.connect_pooling(extent=(2, 2))
    assert np.array_equal(proj.weights, w)
    ann.compile()
    inp.r = x
    ann.simulate(2.0)
    np.testing.assert_allclose(conv.r, correlate_zero_padded(x, w), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(pooled.r, x.reshape(3, 2, 4, 2).max(axis=(1, 3)), rtol=1e-6)


def test_transpose_and_copy():
    # The pre-synaptic side reads the transpose's sum into a variable of its own.
    source = ann.Neuron(parameters="baseline = 0.0", equations="r = baseline\nfb_in = sum(fb)")
    pre = ann.Population(3, source)
    post = ann.Population(2, SUM)
    post2 = ann.Population(2, SUM)
    w = np.array([[0.1, 0.2, 0.3], [0.4, 0.5, 0.6]])
    fwd = ann.Projection(pre, post, "exc").connect_from_matrix(w)
    Transpose(fwd, "fb").connect_transpose()
    Copy(pre, post2, "exc").connect_copy(fwd)
    ann.compile()
    pre.baseline = [1.0, 2.0, 3.0]
    ann.simulate(4.0)
    np.testing.assert_allclose(post.r, w @ [1.0, 2.0, 3.0], rtol=1e-6)
    np.testing.assert_allclose(post2.r, post.r, rtol=1e-6)
    np.testing.assert_allclose(pre.fb_in, w.T @ post.r, rtol=1e-5)
