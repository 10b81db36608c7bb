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
# # A tiny RNN, step by step
#
# Chapter 1 of *Interactive RNN Journey* in runnable form. A recurrent network with three hidden
# units reads the word "hello" one character at a time. We print every number it computes, check
# them against the package's batched forward pass, and then see why the *order* of the
# characters matters to it, when it does not matter to a model that only counts characters.
#
# Everything here uses `rnn_site.scratch` (NumPy only) through the small helpers in
# `rnn_site.experiments.unrolling`.

# %%
import matplotlib.pyplot as plt
import numpy as np
from IPython.display import HTML

from rnn_site.experiments.unrolling import (
    VOCAB,
    bag_of_characters,
    final_states,
    one_hot,
    tiny_rnn,
    unroll,
)
from rnn_site.scratch import rnn_forward

# %% [markdown]
# ## The network
#
# $h_t = \tanh(x_t W_x + h_{t-1} W_h + b)$ with a four-letter alphabet (`e h l o`), so
# $x_t$ is a one-hot row of length 4, $W_x$ is $4 \times 3$, $W_h$ is $3 \times 3$ and $b$ has 3
# entries. The weights are random, then rounded to one decimal so you can redo a step by hand.
# Nothing is trained here: this chapter is about what the network *computes*, not what it has
# learned.

# %%
params = tiny_rnn()
print("alphabet:", " ".join(VOCAB))
print("W_x (one row per letter):\n", params.W_x)
print("W_h:\n", params.W_h)
print("b:", params.b)
print("one-hot 'hello':\n", one_hot("hello"))

# %% [markdown]
# ## Every number of every step
#
# Because $x_t$ is one-hot, $x_t W_x$ is just the row of $W_x$ for that letter. The state part
# $h_{t-1} W_h$ is where memory enters: at $t = 1$ it is zero, because $h_0 = 0$.

# %%
steps = unroll(params, "hello")


def vec(v: list[float]) -> str:
    return "(" + ", ".join(f"{x:+.3f}" for x in v) + ")"


rows = "".join(
    f"<tr><td>{s.t}</td><td><code>{s.token}</code></td><td>{vec(s.x_part)}</td>"
    f"<td>{vec(s.h_part)}</td><td>{vec(s.pre)}</td><td><b>{vec(s.h)}</b></td></tr>"
    for s in steps
)
HTML(
    "<table><thead><tr><th>t</th><th>x<sub>t</sub></th><th>x<sub>t</sub> W<sub>x</sub></th>"
    "<th>h<sub>t-1</sub> W<sub>h</sub></th><th>a<sub>t</sub> = sum + b</th>"
    f"<th>h<sub>t</sub> = tanh(a<sub>t</sub>)</th></tr></thead><tbody>{rows}</tbody></table>"
)

# %% [markdown]
# The step-by-step loop and the package's batched `rnn_forward` must agree exactly: they are the
# same `rnn_step` applied the same way.

# %%
h_batched = rnn_forward(params, one_hot("hello")[None]).h[0]  # (T, H)
h_loop = np.array([s.h for s in steps])
assert np.allclose(h_batched, h_loop, atol=1e-12)
print("largest difference:", np.abs(h_batched - h_loop).max())

# %% [markdown]
# ## Order matters to an RNN
#
# A model that sees a sequence as a *bag* of inputs (sum or average the one-hot vectors, then a
# feed-forward net) cannot tell "hello" from "olleh": both have one h, one e, two l and one o.
# A feed-forward net on a fixed window of positions could tell them apart, but only for words
# of exactly that length, with separate weights for every position. The RNN uses one set of
# weights at every position, handles any length, and ends in different states:

# %%
texts = ("hello", "olleh")
print("bag of characters:", {t: bag_of_characters(t).tolist() for t in texts})
finals = final_states(params, texts)
for text, h in zip(texts, finals, strict=True):
    print(f"final state after {text!r}: {np.round(h, 3)}")
print("distance between the final states:", round(float(np.linalg.norm(finals[0] - finals[1])), 3))

# %%
fig, axes = plt.subplots(1, 2, figsize=(9, 3), sharey=True)
for ax, text in zip(axes, texts, strict=True):
    h = np.array([s.h for s in unroll(params, text)])
    for j in range(h.shape[1]):
        ax.plot(range(1, len(text) + 1), h[:, j], marker="o", label=f"unit {j + 1}")
    ax.set_xticks(range(1, len(text) + 1), list(text))
    ax.set_title(f"h_t while reading {text!r}")
    ax.axhline(0, color="grey", lw=0.5)
axes[0].set_ylabel("hidden unit value")
axes[0].legend(fontsize=8)
fig.tight_layout()
plt.show()

# %% [markdown]
# ## Try it
#
# - Run `unroll(params, "l" * 40)`: the same input again and again. Does $h_t$ settle to a fixed
#   point? How many steps does it take?
# - Scale the recurrent weights, `params.W_h *= 3`, and rerun: the states saturate near ±1.
#   With `params.W_h *= 0`, each state depends on the current letter only: the memory is gone.
# - Write a different word with the letters `e h l o`. Which two words with the same letters
#   end in the closest final states?
#
# The chapter that goes with this notebook is *1 Recurrent neural networks*; its unrolling view
# draws these same numbers, computed by the same functions when the site is built.
