# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Checking the LSTM's gradients by finite differences
#
# The scratch LSTM in `rnn_site/scratch/lstm.py` computes its gradients with backpropagation
# through time (BPTT), written out by hand. Hand-derived gradients can be wrong in quiet ways: a
# missing term or a transposed matrix often still *trains*, just worse. So before trusting them,
# we compare them with gradients we get without any calculus at all, by nudging each number a
# little and watching the loss move:
#
# $$\frac{\partial L}{\partial \theta} \approx \frac{L(\theta + \varepsilon) - L(\theta - \varepsilon)}{2\varepsilon}$$
#
# This *central* difference is accurate to $O(\varepsilon^2)$. It costs two forward passes per
# number, far too slow for training, but fine for a tiny network.

# %%
import matplotlib.pyplot as plt
import numpy as np

from rnn_site.scratch import (
    LSTMParams,
    check_cell_gradients,
    lstm_backward,
    lstm_forward,
    numerical_gradient,
    relative_error,
)

# %% [markdown]
# ## A tiny LSTM and a loss that uses every output
#
# Two sequences of five steps, three input features, four hidden units, all in **float64**:
# in float32 the rounding error of $L(\theta \pm \varepsilon)$ would swamp the difference.
# We add noise to the initial weights so no bias is exactly zero and no gate is symmetric.
#
# The loss $L = \sum_{b,t,j} h_{btj} R_{btj}$ with fixed random weights $R$ makes every hidden
# output matter, so a mistake anywhere in the backward pass shows up.

# %%
rng = np.random.default_rng(0)
batch, time, n_in, hidden = 2, 5, 3, 4

params = LSTMParams.initialize(n_in, hidden, seed=0)
params = params.map(lambda a: a + 0.3 * rng.standard_normal(a.shape))
x = rng.standard_normal((batch, time, n_in))
h0 = rng.standard_normal((batch, hidden))
c0 = rng.standard_normal((batch, hidden))
R = rng.standard_normal((batch, time, hidden))


def loss() -> float:
    return float(np.sum(lstm_forward(params, x, h0, c0).h * R))


# dL/dh is exactly R, so that is what we feed the backward pass.
out = lstm_forward(params, x, h0, c0)
grads = lstm_backward(params, out.cache, dh=R)
print(f"loss = {loss():.6f}")
print("analytic gradient shapes:", {k: v.shape for k, v in grads.params.arrays().items()})

# %% [markdown]
# ## One number by hand
#
# Take a single recurrent weight, nudge it up and down by $\varepsilon = 10^{-6}$ and compare.

# %%
eps = 1e-6
row, col = 1, 6  # column 6 lies in the forget-gate block (columns 4..7)
original = params.W_h[row, col]
params.W_h[row, col] = original + eps
loss_plus = loss()
params.W_h[row, col] = original - eps
loss_minus = loss()
params.W_h[row, col] = original  # always put it back

numeric = (loss_plus - loss_minus) / (2 * eps)
analytic = grads.params.W_h[row, col]
print(f"finite difference: {numeric:.10f}")
print(f"BPTT             : {analytic:.10f}")

# %% [markdown]
# ## A whole matrix, and how to measure "close"
#
# `numerical_gradient` does the same nudge for every entry. To compare two arrays we use the
# **relative error** $\lVert a - n \rVert / (\lVert a \rVert + \lVert n \rVert)$: it does not
# care about the gradient's scale, is 0 for identical arrays and about 1 for unrelated ones.
# In float64 a correct gradient lands near $10^{-9}$–$10^{-10}$; our tests demand below $10^{-6}$.

# %%
numeric_W_h = numerical_gradient(loss, params.W_h, eps)
print(f"relative error on W_h: {relative_error(grads.params.W_h, numeric_W_h):.2e}")

# What a bug looks like: the same gradient with a 1% mistake.
print(f"with a 1% error      : {relative_error(1.01 * grads.params.W_h, numeric_W_h):.2e}")

# %% [markdown]
# ## Every parameter, the inputs and both initial states
#
# `check_cell_gradients` repeats this for every array the backward pass returns. Its loss also
# puts random weights on the final $h_T$ and $c_T$, so the extra gradients a later chunk would
# send back (`dh_T`, `dc_T`) are checked too.

# %%
errors = check_cell_gradients("lstm", params, x, (h0, c0), seed=1)
print(f"{'array':<6} {'relative error':>15}")
for name, error in errors.items():
    print(f"{name:<6} {error:>15.2e}")
assert max(errors.values()) < 1e-6, "a gradient disagrees with finite differences"

# %%
fig, ax = plt.subplots(figsize=(6, 3))
ax.bar(list(errors), list(errors.values()), color="tab:blue")
ax.axhline(1e-6, color="tab:red", linestyle="--", label="test threshold 1e-6")
ax.set_yscale("log")
ax.set_ylim(1e-13, 1e-3)
ax.set_ylabel("relative error")
ax.set_title("LSTM BPTT vs central differences (float64)")
ax.legend(loc="upper right")
fig.tight_layout()

# %% [markdown]
# ## Why $\varepsilon = 10^{-6}$?
#
# Too large, and the $O(\varepsilon^2)$ truncation error dominates; too small, and the loss
# difference drowns in float64 rounding (about $10^{-16} / \varepsilon$). This sweep over
# $\varepsilon$ for $W_h$ shows the sweet spot in between: anywhere near $10^{-5}$ to $10^{-6}$.

# %%
sweep = np.logspace(-1, -11, 11)
sweep_errors = [
    relative_error(grads.params.W_h, numerical_gradient(loss, params.W_h, e)) for e in sweep
]
fig, ax = plt.subplots(figsize=(6, 3))
ax.loglog(sweep, sweep_errors, marker="o")
ax.invert_xaxis()
ax.set_xlabel("ε")
ax.set_ylabel("relative error on W_h")
ax.set_title("Truncation error (left) vs rounding error (right)")
fig.tight_layout()
best = sweep[int(np.argmin(sweep_errors))]
print(f"smallest error at ε = {best:.0e}")

# %% [markdown]
# ## Try it
#
# - Change `"lstm"` to `"gru"` or `"rnn"` (with `GRUParams` / `RNNParams`) and check those cells.
# - Break the backward pass on purpose: in `lstm_backward_step`, drop the `* f` from `dc_prev`.
#   Every error jumps, because the cell state carries gradient back to every earlier step. Then
#   restore it and break `db` instead: only `b` fails, so the table also tells you *where* to look.
# - Cast the parameters to float32 (`params.astype(np.float32)`): the checker refuses, and the
#   sweep above explains why.
