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
# # A long-range task: the adding problem
#
# The gradient-flow notebook measured how weak the learning signal from far-away steps is at
# initialisation. Does that stop a network from *learning* a long-range dependency? We train
# and see.
#
# **The task.** Each input is $T$ pairs (value, marker). Values are uniform in $[0, 1]$;
# exactly two markers are 1, one in each half of the sequence. The target is the sum of the two
# marked values, read from the last hidden state by a linear layer. Always answering 1 gives a
# mean squared error of $\operatorname{Var}(U_1 + U_2) = 1/6 \approx 0.167$: a model has learned
# something only when it goes well below that. We call a run *solved* when its test MSE falls
# below a tenth of it, 0.0167.
#
# Training takes a few minutes, too slow for building this page, so the numbers below are the
# cached results of `python -m rnn_site.experiments.long_range` (seeded; rerun it to reproduce
# them). This notebook only reads and plots them.

# %%
import matplotlib.pyplot as plt
import numpy as np
from IPython.display import Markdown

from rnn_site.experiments.long_range import (
    BASELINE_MSE,
    SOLVED_MSE,
    adding_problem,
    length_table,
    load_results,
    markdown_table,
)

x, y = adding_problem(1, 12, seed=0)
print("values :", np.round(x[0, :, 0], 2))
print("markers:", x[0, :, 1].astype(int))
print("target :", round(float(y[0]), 3))

# %%
results = load_results()
print(f"{len(results['runs'])} runs, trained with torch {results['torch']}")
Markdown(markdown_table(results))

# %% [markdown]
# ## Learning curves at T = 50
#
# Test MSE on 1,000 held-out sequences every 50 steps (seed 0). The flat stretch at 0.167 is
# the model answering "1" whatever it sees; a sudden drop is the moment it finds the markers.

# %%
sweep_names = {r["config"]["name"] for r in results["runs"] if ", T=" in r["config"]["name"]}
fig, ax = plt.subplots(figsize=(8, 4))
for run in results["runs"]:
    c = run["config"]
    if c["seed"] != 0 or c["name"] in sweep_names:
        continue
    steps, mse = zip(*[(s, m) for s, m in run["curve"] if m is not None], strict=True)
    style = "-" if c["cell"] in ("lstm", "gru") else "--"
    ax.semilogy(steps, mse, style, label=c["name"])
ax.axhline(BASELINE_MSE, color="grey", lw=1)
ax.axhline(SOLVED_MSE, color="grey", lw=1, ls=":")
ax.text(0, BASELINE_MSE * 1.1, "always answer 1", color="grey", fontsize=8)
ax.text(0, SOLVED_MSE * 1.1, "solved", color="grey", fontsize=8)
ax.set_ylim(1e-3, 1.5)
ax.set_xlabel("training step")
ax.set_ylabel("test MSE")
ax.legend(fontsize=7, loc="lower left")
fig.tight_layout()
plt.show()

# %% [markdown]
# ## Longer sequences
#
# The same two models (clipping on, seed 0) on sequences of 10 to 100 steps: the further apart
# the markers can be, the harder the task for the tanh RNN.

# %%
Markdown(length_table(results))

# %% [markdown]
# ## Honest limits
#
# - One or two seeds per configuration and a fixed budget of steps, learning rate and width.
#   "Never solved" means *not within this budget*: with far more steps or tuned learning rates
#   (Le et al. trained IRNNs for many thousands of steps) some of these models do get there.
# - The adding problem tests memory over distance and nothing else; it says little about
#   language or speech, where the dependencies are softer.
# - Timings and exact numbers depend on the machine and the torch version
#   (recorded in the JSON); the ordering of the models is what the tests check.
#
# ## Try it
#
# - Rerun everything: `python -m rnn_site.experiments.long_range` (a few minutes on 2 cores).
# - Train one configuration yourself:
#   `train_run(RunConfig("mine", "lstm", "orthogonal+forget-bias-1", 1.0, time=100))`.
# - Give the tanh RNN 5,000 steps or a smaller learning rate: does it solve T = 50 eventually?
