"""The browser training lab's reference in NumPy: the same weights, data and steps as its JS.

The lab on the training page (docs/assets/lab/train.js, tasks.js) trains a cell from this
package, ported line for line. This module runs the same run with the Python originals
(`truncated_bptt`, `clip_by_global_norm`, the initialisers, `optim.Adam`), drawing weights and
data from the shared `LabRandom`, so tests/lab can check that both sides compute the same loss,
gradients and learning curve, and the benchmark can time the NumPy step.

Tasks (targets are read by a linear layer from the hidden state at the listed steps):
- adding: T pairs (value, marker), target the sum of the two marked values after the last step;
- copy: k symbols of 8, blanks, a "go" marker at step T-k-1, then recall the k symbols;
- char: next character at every step of random windows of a passage.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from rnn_site.scratch.bptt import truncated_bptt
from rnn_site.scratch.clipping import clip_by_global_norm, global_norm
from rnn_site.scratch.gru import GRUParams
from rnn_site.scratch.init import forget_gate_bias, glorot_uniform, identity, recurrent_orthogonal
from rnn_site.scratch.lstm import LSTMParams
from rnn_site.scratch.optim import SGD, Adam
from rnn_site.scratch.rng import LabRandom
from rnn_site.scratch.rnn import RNNParams

#: The data stream's seed is the run's seed plus this (as DATA_SEED_OFFSET in train.js).
DATA_SEED_OFFSET = 0x5EED
COPY_SYMBOLS = 8
_GATES = {"rnn": 1, "lstm": 4, "gru": 3}


@dataclass(frozen=True)
class LabConfig:
    """One lab run, with the JavaScript lab's names and defaults (0 means off for clip and k).

    See the page: training.md#lab
    """

    task: Literal["adding", "copy", "char"] = "adding"
    cell: Literal["rnn", "lstm", "gru"] = "lstm"
    hidden: int = 32
    length: int = 20
    batch: int = 16
    lr: float = 0.01
    optimizer: Literal["sgd", "adam"] = "adam"
    clip: float = 0.0
    init: Literal["xavier", "orthogonal", "identity"] = "orthogonal"
    rho: float = 1.0
    forget_bias: float = 1.0
    truncation: int = 0
    seed: int = 0
    recall: int = 3

    def to_js(self) -> dict[str, Any]:
        """The same configuration as the JavaScript lab spells it (camelCase)."""
        out = {k: v for k, v in self.__dict__.items() if k != "forget_bias"}
        return {**out, "forgetBias": self.forget_bias}


@dataclass
class Batch:
    """x: (B, T, I); y: targets per step in `steps`, (len(steps), B) numbers or class ids.

    See the page: training.md#lab
    """

    x: np.ndarray
    steps: list[int]
    y: np.ndarray


def adding_batch(rng: LabRandom, batch: int, length: int) -> Batch:
    """The adding problem, drawn example by example as tasks.js draws it."""
    x = np.zeros((batch, length, 2))
    y = np.zeros((1, batch))
    half = length // 2
    for b in range(batch):
        for t in range(length):
            x[b, t, 0] = rng.random()
        first = rng.integer(half)
        second = half + rng.integer(length - half)
        x[b, first, 1] = x[b, second, 1] = 1.0
        y[0, b] = x[b, first, 0] + x[b, second, 0]
    return Batch(x=x, steps=[length - 1], y=y)


def copy_batch(rng: LabRandom, batch: int, length: int, recall: int) -> Batch:
    """The copy task: `recall` symbols, blanks, "go" at step T-k-1, recall at the last k steps."""
    blank, go = COPY_SYMBOLS, COPY_SYMBOLS + 1
    x = np.zeros((batch, length, COPY_SYMBOLS + 2))
    y = np.zeros((recall, batch))
    for b in range(batch):
        for j in range(recall):
            s = rng.integer(COPY_SYMBOLS)
            x[b, j, s] = 1.0
            y[j, b] = s
        for t in range(recall, length):
            x[b, t, go if t == length - recall - 1 else blank] = 1.0
    return Batch(x=x, steps=list(range(length - recall, length)), y=y)


def char_batch(rng: LabRandom, batch: int, length: int, ids: list[int], vocab_size: int) -> Batch:
    """Random windows of the passage: one-hot inputs, the next character as target at every step."""
    x = np.zeros((batch, length, vocab_size))
    y = np.zeros((length, batch))
    for b in range(batch):
        start = rng.integer(len(ids) - length)
        for t in range(length):
            x[b, t, ids[start + t]] = 1.0
            y[t, b] = ids[start + t + 1]
    return Batch(x=x, steps=list(range(length)), y=y)


def init_model(
    config: LabConfig, input_size: int, output_size: int, rng: LabRandom
) -> tuple[RNNParams | LSTMParams | GRUParams, dict[str, np.ndarray]]:
    """Cell weights and a readout (W_y: (H, O), b_y: (O,)), drawn in initModel's order."""
    gates, hidden = _GATES[config.cell], config.hidden
    W_x = glorot_uniform(input_size, gates * hidden, seed=rng)
    if config.init == "xavier":
        W_h = glorot_uniform(hidden, gates * hidden, seed=rng, gain=config.rho)
    elif config.init == "orthogonal":
        W_h = config.rho * recurrent_orthogonal(hidden, gates, seed=rng)
    elif config.init == "identity":
        W_h = np.concatenate([identity(hidden, scale=config.rho)] * gates, axis=1)
    else:
        raise ValueError(f"unknown init {config.init!r}; choose xavier, orthogonal or identity")
    params: RNNParams | LSTMParams | GRUParams
    if config.cell == "lstm":
        params = LSTMParams(W_x=W_x, W_h=W_h, b=forget_gate_bias(hidden, config.forget_bias))
    elif config.cell == "gru":
        params = GRUParams(W_x=W_x, W_h=W_h, b=np.zeros(3 * hidden), b_hn=np.zeros(hidden))
    else:
        params = RNNParams(W_x=W_x, W_h=W_h, b=np.zeros(hidden))
    readout = {"W_y": glorot_uniform(hidden, output_size, seed=rng), "b_y": np.zeros(output_size)}
    return params, readout


class LabRun:
    """One run of the lab: weights from the seed, then `step(batch)` as LabRun.step in train.js.

    See the page: training.md#lab
    """

    def __init__(self, config: LabConfig, vocab_size: int = 0) -> None:
        self.config = config
        sizes = {"adding": (2, 1), "copy": (COPY_SYMBOLS + 2, COPY_SYMBOLS)}
        inputs, outputs = sizes.get(config.task, (vocab_size, vocab_size))
        self.regression = config.task == "adding"
        self.params, self.readout = init_model(config, inputs, outputs, LabRandom(config.seed))
        self.optimizer = Adam(config.lr) if config.optimizer == "adam" else SGD(config.lr)

    def all_params(self) -> dict[str, np.ndarray]:
        """Every trainable array by name (not copies): cell weights, then the readout."""
        return {**self.params.arrays(), **self.readout}

    def gradients(self, batch: Batch) -> tuple[float, dict[str, np.ndarray]]:
        """The loss and every parameter's gradient on one batch (truncated BPTT if k > 0)."""
        readout, count = self.readout, batch.x.shape[0] * len(batch.steps)
        rgrads = {name: np.zeros_like(a) for name, a in readout.items()}

        def loss_grad(h_chunk: np.ndarray, start: int) -> tuple[float, np.ndarray]:
            dh, loss = np.zeros_like(h_chunk), 0.0
            for s, t in enumerate(batch.steps):
                if not start <= t < start + h_chunk.shape[1]:
                    continue
                h = h_chunk[:, t - start]
                z = h @ readout["W_y"] + readout["b_y"]
                if self.regression:
                    err = z[:, 0] - batch.y[s]
                    loss += float(np.sum(err * err)) / count
                    dz = (2.0 * err / count)[:, None]
                else:
                    m = z.max(axis=1, keepdims=True)
                    lse = m + np.log(np.exp(z - m).sum(axis=1, keepdims=True))
                    labels = batch.y[s].astype(int)
                    rows = np.arange(len(labels))
                    loss += float(np.sum(lse[:, 0] - z[rows, labels])) / count
                    dz = np.exp(z - lse) / count
                    dz[rows, labels] -= 1.0 / count
                rgrads["W_y"] += h.T @ dz
                rgrads["b_y"] += dz.sum(axis=0)
                dh[:, t - start] = dz @ readout["W_y"].T
            return loss, dh

        k = self.config.truncation or None
        result = truncated_bptt(self.config.cell, self.params, batch.x, loss_grad, k)
        return result.loss, {**result.grads.arrays(), **rgrads}

    def step(self, batch: Batch) -> dict[str, float]:
        """Train on one batch: the loss and the gradient norm before and after clipping."""
        loss, grads = self.gradients(batch)
        before = global_norm(grads.values())
        if not (math.isfinite(loss) and math.isfinite(before)):
            return {"loss": loss, "norm_before": before, "norm_after": before}
        if self.config.clip > 0:
            names = list(grads)
            clipped, _ = clip_by_global_norm([grads[n] for n in names], self.config.clip)
            grads = dict(zip(names, clipped, strict=True))
        self.optimizer.step(self.all_params(), grads)
        return {"loss": loss, "norm_before": before, "norm_after": global_norm(grads.values())}


def make_batch(
    config: LabConfig, rng: LabRandom, ids: list[int] | None = None, vocab_size: int = 0
) -> Batch:
    """The next batch of the config's task from the data stream `rng`."""
    if config.task == "adding":
        return adding_batch(rng, config.batch, config.length)
    if config.task == "copy":
        return copy_batch(rng, config.batch, config.length, config.recall)
    if ids is None:
        raise ValueError("the char task needs the passage's character ids")
    return char_batch(rng, config.batch, config.length, ids, vocab_size)


def train(config: LabConfig, steps: int, passage: str = "") -> list[float]:
    """The losses of `steps` training steps: the learning curve the browser lab draws."""
    vocab = "".join(sorted(set(passage)))
    ids = [vocab.index(ch) for ch in passage]
    run = LabRun(config, vocab_size=len(vocab))
    data = LabRandom((config.seed + DATA_SEED_OFFSET) & 0xFFFFFFFF)
    return [run.step(make_batch(config, data, ids, len(vocab)))["loss"] for _ in range(steps)]
