"""Global-norm clipping caps the length of the update and never changes its direction."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes, arrays

from rnn_site.scratch import LSTMParams, clip_by_global_norm, global_norm

FLOATS = st.floats(-1e3, 1e3, allow_nan=False, width=64)
GRADS = st.lists(
    st.sampled_from([np.float32, np.float64]).flatmap(
        lambda dtype: arrays(dtype, array_shapes(max_dims=2, max_side=5), elements=FLOATS)
    ),
    min_size=1,
    max_size=4,
)
BOUNDS = st.floats(1e-3, 1e3)


@settings(deadline=None, max_examples=200)
@given(grads=GRADS, max_norm=BOUNDS)
def test_clipped_norm_never_exceeds_the_bound(grads, max_norm):
    clipped, norm = clip_by_global_norm(grads, max_norm)
    assert norm == pytest.approx(global_norm(grads))
    assert global_norm(clipped) <= max_norm
    assert [c.dtype for c in clipped] == [g.dtype for g in grads]


@settings(deadline=None, max_examples=200)
@given(grads=GRADS, max_norm=BOUNDS)
def test_direction_is_kept(grads, max_norm):
    clipped, norm = clip_by_global_norm(grads, max_norm)
    scale = min(1.0, max_norm / norm) if norm > 0 else 1.0
    # One shared scale; it aims a few float32 ulps under the bound if any array is float32.
    tol = 2e-6 if any(g.dtype == np.float32 for g in grads) else 1e-12
    for c, g in zip(clipped, grads, strict=True):
        np.testing.assert_allclose(c, g * scale, rtol=tol, atol=tol * max_norm)
        assert np.all((np.sign(c) == np.sign(g)) | (c == 0))  # 0 only where g*scale underflows


@settings(deadline=None, max_examples=100)
@given(grads=GRADS)
def test_nothing_changes_under_the_bound(grads):
    clipped, _ = clip_by_global_norm(grads, global_norm(grads) * 1.5 + 1e-9)
    for c, g in zip(clipped, grads, strict=True):
        np.testing.assert_array_equal(c, g)
        assert c is not g  # a copy: updating it must not touch the caller's gradient


def test_exact_values_of_a_3_4_5_triangle():
    clipped, norm = clip_by_global_norm([np.array([3.0]), np.array([4.0])], max_norm=1.0)
    assert norm == 5.0
    np.testing.assert_allclose(np.concatenate(clipped), [0.6, 0.8], rtol=1e-14)


def test_zero_gradients_stay_zero_without_warnings():
    with np.errstate(all="raise"):
        clipped, norm = clip_by_global_norm([np.zeros(3), np.zeros((2, 2))], max_norm=1.0)
    assert norm == 0.0
    assert all(np.all(c == 0) and np.isfinite(c).all() for c in clipped)


def test_params_in_params_out():
    grads = LSTMParams.initialize(3, 4, seed=0).map(lambda a: a + 10.0)
    clipped, norm = clip_by_global_norm(grads, max_norm=2.0)
    assert isinstance(clipped, LSTMParams)
    assert norm > 2.0
    assert global_norm(clipped) == pytest.approx(2.0)
    np.testing.assert_allclose(clipped.W_h * norm / 2.0, grads.W_h, rtol=1e-12)


@pytest.mark.parametrize("max_norm", [0.0, -1.0, float("inf"), float("nan")])
def test_bad_bound_is_rejected(max_norm):
    with pytest.raises(ValueError, match="max_norm must be a positive finite number"):
        clip_by_global_norm([np.ones(2)], max_norm)


def test_nan_gradients_are_rejected():
    with pytest.raises(ValueError, match="gradients contain NaN or inf"):
        clip_by_global_norm([np.array([1.0, np.nan])], 1.0)
