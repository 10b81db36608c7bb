"""Given the same weights, the NumPy cells match torch.nn.RNN/LSTM/GRU: outputs and gradients."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from rnn_site.scratch import (
    GRUParams,
    LSTMParams,
    RNNParams,
    gru_backward,
    gru_forward,
    lstm_backward,
    lstm_forward,
    rnn_backward,
    rnn_forward,
)

torch.set_num_threads(1)
BATCH, TIME, INPUT, HIDDEN = 3, 7, 5, 4
TOL = 1e-5


def torch_run(module, x, states, dh, dstates):
    """Forward, then backward of L = Σ h*dh + Σ state_T * dstate_T; everything as NumPy."""
    x_t = torch.tensor(x, requires_grad=True)
    states_t = [torch.tensor(s[None], requires_grad=True) for s in states]
    out, final = module(x_t, states_t[0] if len(states_t) == 1 else tuple(states_t))
    final = (final,) if isinstance(final, torch.Tensor) else final
    loss = (out * torch.tensor(dh)).sum()
    for s, ds in zip(final, dstates, strict=True):
        loss = loss + (s[0] * torch.tensor(ds)).sum()
    loss.backward()
    grads = {name: p.grad.numpy() for name, p in module.named_parameters()}
    return (
        out.detach().numpy(),
        [s[0].detach().numpy() for s in final],
        grads,
        x_t.grad.numpy(),
        [s.grad[0].numpy() for s in states_t],
    )


def random_arrays(seed, n_states):
    rng = np.random.default_rng(seed)
    f32 = np.float32
    x = rng.standard_normal((BATCH, TIME, INPUT)).astype(f32)
    states = [rng.standard_normal((BATCH, HIDDEN)).astype(f32) for _ in range(n_states)]
    dh = rng.standard_normal((BATCH, TIME, HIDDEN)).astype(f32)
    dstates = [rng.standard_normal((BATCH, HIDDEN)).astype(f32) for _ in range(n_states)]
    return x, states, dh, dstates


def torch_weights(module):
    return {name: p.detach().numpy() for name, p in module.named_parameters()}


def assert_close(ours, theirs, what):
    assert ours.dtype == np.float32, what
    assert np.max(np.abs(ours - theirs)) < TOL, (
        f"{what}: max abs diff {np.abs(ours - theirs).max()}"
    )


def torch_case(module_type, params_type, seed):
    """A seeded torch layer, random inputs and upstream gradients for it (two states for the
    LSTM), torch's outputs and gradients, and our parameters holding the same weights."""
    torch.manual_seed(seed)
    module = module_type(INPUT, HIDDEN, batch_first=True)
    inputs = random_arrays(seed + 1, 2 if module_type is torch.nn.LSTM else 1)
    expected = torch_run(module, *inputs)
    w = torch_weights(module)
    params = params_type.from_torch(
        w["weight_ih_l0"], w["weight_hh_l0"], w["bias_ih_l0"], w["bias_hh_l0"]
    )
    return params, inputs, expected


@pytest.mark.parametrize(
    ("module_type", "params_type", "forward", "backward", "seed"),
    [
        (torch.nn.RNN, RNNParams, rnn_forward, rnn_backward, 0),
        (torch.nn.LSTM, LSTMParams, lstm_forward, lstm_backward, 1),
        (torch.nn.GRU, GRUParams, gru_forward, gru_backward, 2),
    ],
    ids=["rnn", "lstm", "gru"],
)
def test_cell_matches_torch(module_type, params_type, forward, backward, seed):
    params, (x, states, dh, dstates), (out, final, g, dx, dstate0) = torch_case(
        module_type, params_type, seed
    )
    fwd = forward(params, x, *states)
    assert_close(fwd.h, out, "h")
    assert_close(fwd.h[:, -1], final[0], "h_T")
    grads = backward(params, fwd.cache, dh, *dstates)
    assert_close(grads.params.W_x.T, g["weight_ih_l0"], "dW_x")
    assert_close(grads.params.W_h.T, g["weight_hh_l0"], "dW_h")
    assert_close(grads.params.b, g["bias_ih_l0"], "db (ih)")
    H = HIDDEN
    if module_type is torch.nn.GRU:
        # r and z: bias_hh sits beside bias_ih; n: bias_hh is b_hn, inside r * (h W_hn + b_hn).
        assert_close(grads.params.b[: 2 * H], g["bias_hh_l0"][: 2 * H], "db (hh, r and z)")
        assert_close(grads.params.b_hn, g["bias_hh_l0"][2 * H :], "db_hn")
    else:  # b = bias_ih + bias_hh, so each torch bias has the same gradient as b.
        assert_close(grads.params.b, g["bias_hh_l0"], "db (hh)")
    assert_close(grads.x, dx, "dx")
    assert_close(grads.h0, dstate0[0], "dh0")
    if module_type is torch.nn.LSTM:
        assert_close(fwd.c[:, -1], final[1], "c_T")
        assert_close(grads.c0, dstate0[1], "dc0")


@pytest.mark.parametrize(
    ("params_type", "module_type", "forward"),
    [
        (RNNParams, torch.nn.RNN, rnn_forward),
        (LSTMParams, torch.nn.LSTM, lstm_forward),
        (GRUParams, torch.nn.GRU, gru_forward),
    ],
)
def test_to_torch_loads_into_torch_and_round_trips(params_type, module_type, forward):
    params = params_type.initialize(INPUT, HIDDEN, seed=4, dtype=np.float32)
    params = params.map(lambda a: a + np.float32(0.1))  # non-zero biases, incl. GRU's b_hn
    module = module_type(INPUT, HIDDEN, batch_first=True)
    module.load_state_dict({k: torch.from_numpy(v) for k, v in params.to_torch().items()})
    x = np.random.default_rng(5).standard_normal((BATCH, TIME, INPUT)).astype(np.float32)
    with torch.no_grad():
        out, _ = module(torch.from_numpy(x))
    assert np.max(np.abs(forward(params, x).h - out.numpy())) < TOL
    back = params_type.from_torch(*params.to_torch().values())
    for name, a in params.arrays().items():
        np.testing.assert_array_equal(getattr(back, name), a)


def test_from_torch_without_biases():
    torch.manual_seed(3)
    module = torch.nn.LSTM(INPUT, HIDDEN, batch_first=True, bias=False)
    w = torch_weights(module)
    params = LSTMParams.from_torch(w["weight_ih_l0"], w["weight_hh_l0"])
    np.testing.assert_array_equal(params.b, np.zeros(4 * HIDDEN, dtype=np.float32))
    x = np.random.default_rng(6).standard_normal((BATCH, TIME, INPUT)).astype(np.float32)
    with torch.no_grad():
        out, _ = module(torch.from_numpy(x))
    assert np.max(np.abs(lstm_forward(params, x).h - out.numpy())) < TOL
