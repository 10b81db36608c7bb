# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # How far back does the gradient reach?
#
# Chapter 3 says that backpropagation through time multiplies one Jacobian per step, so the
# gradient shrinks or grows geometrically with the distance in time. Here we **measure** it.
#
# Setup (from `rnn_site.experiments.gradient_flow`): a freshly initialised cell reads $T = 100$
# steps of random inputs; the loss looks only at the last state, $L = \frac{1}{B}\sum_b r \cdot
# h_T$; we walk back with the package's own backward steps (`rnn_backward_step`,
# `lstm_backward_step`, `gru_backward_step`) and record $\lVert \partial L / \partial h_t \rVert$
# at every step. The recurrent weights are $\rho$ times an orthogonal matrix (per gate), so $\rho$
# is exactly their spectral radius. Nothing is trained: this is the gradient a network gets on
# its very first update.

# %%
import matplotlib.pyplot as plt
import numpy as np

from rnn_site.experiments.gradient_flow import CELL_KINDS, CELL_LABELS, measure_gradient_flow

SCALES = (0.5, 0.75, 1.0, 1.25, 1.5, 2.0, 3.0)
T = 100
flows = {(c, s): measure_gradient_flow(c, T, s) for c in CELL_KINDS for s in SCALES}

# %% [markdown]
# ## Gradient norm against distance, four cells, seven weight scales
#
# One panel per cell, one line per $\rho$; the y axis is logarithmic, so geometric decay is a
# straight line.

# %%
fig, axes = plt.subplots(2, 2, figsize=(10, 7), sharex=True, sharey=True)
colours = plt.cm.viridis(np.linspace(0, 0.9, len(SCALES)))
for ax, cell in zip(axes.flat, CELL_KINDS, strict=True):
    for colour, s in zip(colours, SCALES, strict=True):
        ax.semilogy(flows[cell, s].dh_norm, color=colour, label=f"ρ = {s}")
    ax.set_title(CELL_LABELS[cell])
    ax.set_ylim(1e-40, 1e12)
    ax.grid(alpha=0.3)
for ax in axes[1]:
    ax.set_xlabel("distance from the loss, T − t")
for ax in axes[:, 0]:
    ax.set_ylabel("‖∂L/∂h_t‖")
axes[0, 0].legend(fontsize=8, ncol=2)
fig.suptitle(f"Gradient of a loss on h_T, measured at every earlier step (T = {T})")
fig.tight_layout()
plt.show()

# %% [markdown]
# ## The decay rate per step
#
# Fitting a straight line to each log-curve gives the average factor one step back multiplies
# the gradient by (`GradientFlow.decay_per_step`). Below 1 it vanishes, above 1 it explodes.
# After $k$ steps the gradient has been multiplied by roughly that factor to the power $k$.

# %%
header = "cell                    " + "".join(f"ρ={s:<6}" for s in SCALES)
print(header)
for cell in CELL_KINDS:
    rates = "".join(f"{flows[cell, s].decay_per_step():<8.3f}" for s in SCALES)
    print(f"{CELL_LABELS[cell]:<24}{rates}")

rnn_small = flows["rnn", 0.5].decay_per_step()
lstm_fb = flows["lstm-fb1", 1.0].decay_per_step()
print(f"\ntanh RNN at ρ = 0.5 keeps {rnn_small:.2f} per step: after 20 steps, {rnn_small**20:.1e}.")
print(
    f"LSTM with forget bias 1 at ρ = 1 keeps {lstm_fb:.2f} per step: after 20 steps, {lstm_fb**20:.2f}."
)

# %% [markdown]
# What the numbers say:
#
# - **tanh RNN.** At $\rho < 1$ the decay is fast and clean: each step multiplies by at most
#   $\rho$ (and tanh' ≤ 1 shrinks it further). Even at $\rho = 1$ the gradient vanishes, because
#   the inputs push units into tanh's flat tails. From about $\rho = 2$ it explodes.
# - **LSTM with forget bias 0** starts with every forget gate near $\sigma(0) = 0.5$, so the
#   cell-state path halves the gradient at every step: at $\rho = 1$ it vanishes about as fast
#   as the tanh RNN. Gating is a capability, not a free gift.
# - **LSTM with forget bias 1** starts with $f \approx \sigma(1) \approx 0.73$, plus
#   the input's push: the gradient decays far more slowly. This is why the package's
#   `LSTMParams.initialize` defaults to `forget_bias=1.0`.
# - **GRU** starts with its update gate near 0.5, and behaves like the bias-0 LSTM.
#
# ## Clipping does not change the shape
#
# Clipping rescales *all* gradients by one factor when their global norm exceeds the bound.
# Backpropagation is linear in the loss gradient, so every $\partial L / \partial h_t$ is scaled
# by the same factor: the update gets shorter, but the distant steps stay exactly as weak (or
# strong) *relative* to the near ones. Clipping cures exploding steps, not vanishing ones.

# %%
fig, ax = plt.subplots(figsize=(7, 3.5))
for cell, s in (("rnn", 3.0), ("rnn", 0.75)):
    f = flows[cell, s]
    ax.semilogy(f.dh_norm, label=f"{CELL_LABELS[cell]}, ρ = {s}, not clipped")
    clipped = np.asarray(f.dh_norm) * f.clip_factor
    ax.semilogy(clipped, "--", label=f"same, clipped (× {f.clip_factor:.1e})")
ax.set_xlabel("distance from the loss, T − t")
ax.set_ylabel("‖∂L/∂h_t‖")
ax.legend(fontsize=8)
ax.grid(alpha=0.3)
fig.tight_layout()
plt.show()

# %% [markdown]
# ## Honest limits
#
# - These are gradients at **initialisation**, on random inputs, for one seed and a batch of 16.
#   Training changes the weights, and a trained LSTM can learn to keep $f \approx 1$ where it
#   matters, or to forget on purpose.
# - A small $\lVert \partial L / \partial h_t \rVert$ does not prove a network *cannot* learn a
#   dependency over that distance; it shows how weak the learning signal is at the start.
#   The long-range notebook trains models to check what actually happens.
#
# ## Try it
#
# - `measure_gradient_flow("rnn", 100, 1.0, input_size=4, batch=16, seed=1)`: change the seed.
#   How much do the rates move?
# - Try `hidden_size=128`: do the rates depend on the width of the network?
# - Find the smallest $\rho$ at which the tanh RNN's gradient stops vanishing over 100 steps.
