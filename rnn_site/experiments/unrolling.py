"""A tiny RNN run one step at a time, with every intermediate number kept: chapter 1's example.

The network reads a word one character at a time (one-hot inputs over a four-letter alphabet)
and keeps a three-number hidden state. Its weights are rounded to one decimal on purpose, so a
reader can redo any step by hand: x_t W_x just picks one row of W_x, h_{t-1} W_h is three dot
products, add b, take tanh.

NumPy only (it uses `rnn_site.scratch.rnn_step`); the site build turns it into the JSON behind
the page's unrolling view.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from rnn_site.scratch import RNNParams, rnn_forward, rnn_step

#: The alphabet of the example, in one-hot order.
VOCAB = "ehlo"
#: Words the unrolling view offers: the same letters in different orders, and a repeated letter.
EXAMPLE_TEXTS = ("hello", "olleh", "hole", "lllllll")


def tiny_rnn(hidden_size: int = 3, seed: int = 21, vocab: str = VOCAB) -> RNNParams:
    """A seeded tanh RNN with weights rounded to one decimal (W_x: (V, H), W_h: (H, H), b: (H,)).

    Rounding makes every step checkable with pencil and paper; the bias is small but non-zero so
    that the empty state h_0 = 0 already moves at step 1 for every input.

    See the page: rnn.md#a-tiny-rnn-step-by-step
    """
    params = RNNParams.initialize(len(vocab), hidden_size, seed=seed)
    rng = np.random.default_rng(seed + 1)
    params.b = rng.uniform(-0.3, 0.3, size=hidden_size)
    # "+ 0.0" turns the -0.0 that rounding can leave into 0.0, which reads better.
    return params.map(lambda a: np.round(a, 1) + 0.0)


def one_hot(text: str, vocab: str = VOCAB) -> np.ndarray:
    """Characters to one-hot rows: "hello" -> (5, len(vocab)) float64.

    Raises ValueError naming the first character the alphabet lacks.

    See the page: rnn.md#sequential-data
    """
    if not text:
        raise ValueError("text must contain at least one character")
    x = np.zeros((len(text), len(vocab)))
    for t, ch in enumerate(text):
        if ch not in vocab:
            raise ValueError(f"unknown character {ch!r} at position {t}; the alphabet is {vocab!r}")
        x[t, vocab.index(ch)] = 1.0
    return x


@dataclass
class UnrolledStep:
    """Everything that happens at one time step t (1-based), each vector of length H.

    `x_part` = x_t W_x, `h_part` = h_{t-1} W_h, `pre` = x_part + h_part + b, `h` = tanh(pre).

    See the page: rnn.md#a-tiny-rnn-step-by-step
    """

    t: int
    token: str
    x: list[float]
    h_prev: list[float]
    x_part: list[float]
    h_part: list[float]
    pre: list[float]
    h: list[float]


# --8<-- [start:unroll]
def unroll(params: RNNParams, text: str, vocab: str = VOCAB) -> list[UnrolledStep]:
    """Run the RNN over `text` from h_0 = 0, keeping each step's parts (batch of one).

    The loop is the whole idea of an RNN: one `rnn_step`, the same weights, applied T times,
    each time to the new input and the state the previous step left behind.

    See the page: rnn.md#a-tiny-rnn-step-by-step
    """
    x = one_hot(text, vocab)
    h = np.zeros((1, params.hidden_size))  # h_0: nothing read yet
    steps = []
    for t, token in enumerate(text):
        x_t = x[t : t + 1]  # (1, V): one row, so rnn_step sees a batch of one
        h_new = rnn_step(params, x_t, h)
        x_part, h_part = x_t @ params.W_x, h @ params.W_h
        steps.append(
            UnrolledStep(
                t=t + 1,
                token=token,
                x=x[t].tolist(),
                h_prev=h[0].tolist(),
                x_part=x_part[0].tolist(),
                h_part=h_part[0].tolist(),
                pre=(x_part + h_part + params.b)[0].tolist(),
                h=h_new[0].tolist(),
            )
        )
        h = h_new
    return steps


# --8<-- [end:unroll]


def final_states(params: RNNParams, texts: tuple[str, ...], vocab: str = VOCAB) -> np.ndarray:
    """h_T for each text, computed by the batched `rnn_forward`: (len(texts), H).

    Texts may differ in length, so each runs as its own batch of one.

    See the page: rnn.md#sequential-data
    """
    return np.stack([rnn_forward(params, one_hot(s, vocab)[None]).h[0, -1] for s in texts])


def bag_of_characters(text: str, vocab: str = VOCAB) -> np.ndarray:
    """Sum of one-hot inputs, (V,): what an order-blind model sees; "hello" and "olleh" match.

    See the page: rnn.md#sequential-data
    """
    return one_hot(text, vocab).sum(axis=0)


def unrolling_data(
    texts: tuple[str, ...] = EXAMPLE_TEXTS, params: RNNParams | None = None
) -> dict[str, object]:
    """JSON-ready data for the page's unrolling view: weights and every step of every text.

    See the page: rnn.md#unrolling-through-time
    """
    params = tiny_rnn() if params is None else params
    return {
        "schema": 1,
        "vocab": VOCAB,
        "weights": {name: np.asarray(a).tolist() for name, a in params.arrays().items()},
        "runs": [
            {"text": text, "steps": [_rounded(asdict(s)) for s in unroll(params, text)]}
            for text in texts
        ],
    }


def _rounded(step: dict[str, object]) -> dict[str, object]:
    """Four decimals: more than the page shows, little enough to keep the JSON short."""
    return {
        k: [round(float(v), 4) for v in val] if isinstance(val, list) else val
        for k, val in step.items()
    }
