"""Use the exported character language model with numpy and onnxruntime only.

    from rnn_site.runtime import CharLanguageModel
    model = CharLanguageModel.load("char-lm")
    print(model.generate("ROMEO:", n=200, temperature=0.8, seed=0))

Generation runs the step graph: one character in, logits for the next one out, the state carried
from call to call, so each new character costs the same whatever the length of the text. The
same class runs every character model with such a step graph: the char-lm LSTM (state h, c) and
the char-mingru minGRU of chapter 5 (state h); the card's step contract says which states.

Decoding rules (the browser demo follows the same ones, so greedy output matches exactly):

- the prompt is fed one character at a time through the step graph from zero state;
- greedy (``temperature=0`` or ``greedy=True``): the next id is the argmax of the logits,
  ties going to the lowest id;
- sampling: logits / temperature, optionally only the `top_k` largest kept (ties → lower ids),
  softmax in float64, then the first id whose cumulative probability exceeds u ~ U[0, 1) drawn
  from ``numpy.random.default_rng(seed)``.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any, Literal

import numpy as np
import onnxruntime as ort

from rnn_site.card import TextGenerationCard
from rnn_site.runtime.base import RuntimeModel, raw_inputs
from rnn_site.runtime.checks import check_choice, check_int, check_seed, check_temperature
from rnn_site.runtime.checks import check_text as _check_text
from rnn_site.runtime.errors import (
    EmptyPromptError,
    InvalidArgumentError,
    ModelMismatchError,
    UnknownCharacterError,
)

OnUnknown = Literal["error", "skip", "replace"]

#: Most characters `generate` writes in one call, and most a text to `hidden_states` may have
#: (its per-step arrays take 6 x layers x hidden x 4 bytes per character).
MAX_GENERATE = 100_000
MAX_HIDDEN_TEXT = 20_000
#: Longest prompt (the browser demo's limit too): the prompt is read one character per step.
MAX_PROMPT = 2_000
#: Most characters `score` reads in one call (it streams, so this guards time, not memory).
MAX_SCORE_TEXT = 2_000_000
#: Largest top_k accepted (any value ≥ the vocabulary size keeps every character).
MAX_TOP_K = 1 << 31
#: Characters the sequence graph reads per call when scoring or collecting states.
CHUNK = 1024
#: Largest batch `initial_state` makes (each row is one text generated side by side).
MAX_BATCH = 4096


def _check_length(value: Any, name: str, limit: int, minimum: int = 0) -> int:
    return check_int(value, name, minimum, limit)


def _check_temperature(temperature: Any) -> float:
    return check_temperature(temperature)


# --8<-- [start:next_distribution]
def next_distribution(
    logits: np.ndarray, temperature: float = 1.0, top_k: int | None = None
) -> np.ndarray:
    """The distribution the next character is drawn from: float64 (vocab,), summing to 1.

    softmax(logits / temperature), with every id outside the `top_k` largest logits set to 0
    (ties → lower ids) and the rest renormalised. temperature 0 is greedy: all the mass on the
    argmax (ties → lowest id). The page's temperature/top-k figure draws exactly this.
    """
    temperature = _check_temperature(temperature)
    if top_k is not None:
        top_k = _check_length(top_k, "top_k", MAX_TOP_K, minimum=1)
    if temperature == 0:
        p = np.zeros(logits.size)
        p[int(np.argmax(logits))] = 1.0  # np.argmax returns the first maximum
        return p
    # Shift before dividing: a tiny temperature would otherwise overflow to inf - inf = NaN.
    z = logits.astype(np.float64)
    with np.errstate(over="ignore"):  # far-below-max logits become -inf: probability 0
        z = (z - z.max()) / temperature
    if top_k is not None and top_k < z.size:
        # A stable sort of -z keeps lower ids first among equal logits.
        dropped = np.argsort(-z, kind="stable")[top_k:]
        z[dropped] = -np.inf
    p = np.exp(z - z.max())
    return p / p.sum()


def choose_next(
    logits: np.ndarray,
    temperature: float,
    top_k: int | None = None,
    rng: np.random.Generator | None = None,
) -> int:
    """Pick the next token id from logits (vocab,) by the module's decoding rules.

    temperature 0 is greedy (argmax, ties → lowest id); otherwise the first id whose cumulative
    probability under `next_distribution` exceeds u ~ U[0, 1).
    """
    if temperature == 0:
        return int(np.argmax(logits))
    if rng is None:
        rng = np.random.default_rng()
    cumulative = np.cumsum(next_distribution(logits, temperature, top_k))
    # Clamp: rounding can leave the last cumulative value a hair below u.
    return min(int(np.searchsorted(cumulative, rng.random(), side="right")), logits.size - 1)


# --8<-- [end:next_distribution]


class CharLanguageModel(RuntimeModel[TextGenerationCard]):
    """A character language model behind a small, checked API: generate, score, look inside.

    Build it with `load` ("char-lm" → models/char-lm, or a model folder; see
    `rnn_site.runtime.base.RuntimeModel.load`). `vocab` is the characters in id order;
    `config` the model's sizes. The sequence graph is optional (char-mingru has none): its
    bytes are checked at load and its session created on first use by score or hidden_states.
    """

    task = "text-generation"
    default_model = "char-lm"
    graphs = ("step",)
    optional_graphs = ("sequence",)

    def read_card(self) -> None:
        vocab, config = self.card["vocab"], self.card["config"]
        if (
            not isinstance(vocab, str)
            or len(vocab) != config["vocab_size"]
            or len(set(vocab)) != len(vocab)
        ):
            raise ModelMismatchError(
                f"card.json: vocab has {len(vocab)} characters ({len(set(vocab))} distinct) "
                f"but vocab_size is {config['vocab_size']}",
                file="card.json",
            )
        self.vocab: str = vocab
        self.config: dict[str, Any] = config
        self._index = {ch: i for i, ch in enumerate(self.vocab)}
        self._step = self.session("step")

    @property
    def sequence_session(self) -> ort.InferenceSession:
        """The sequence graph's session, created (and checked) on first use."""
        if not self.has_graph("sequence"):
            raise InvalidArgumentError(
                f"model {self.card['name']!r} has no sequence graph, which score and "
                "hidden_states need; it can only generate"
            )
        return self.session("sequence")

    # ------------------------------------------------------------------ text ↔ ids

    def encode(
        self, text: str, *, on_unknown: OnUnknown = "error", replacement: str = " "
    ) -> np.ndarray:
        """Text → int64 token ids (len,). A character's id is its index in `vocab`.

        on_unknown: "error" raises UnknownCharacterError, "skip" drops the character,
        "replace" uses `replacement` (which must be in the vocabulary) instead. `text` must be
        a str of at most 2,000,000 characters (`MAX_SCORE_TEXT`).
        """
        _check_text(text, "text", MAX_SCORE_TEXT)
        check_choice(on_unknown, "on_unknown", ("error", "skip", "replace"))
        if not isinstance(replacement, str) or replacement not in self._index:
            raise InvalidArgumentError(f"replacement {replacement!r} is not in the vocabulary")
        ids = []
        for position, ch in enumerate(text):
            token = self._index.get(ch)
            if token is None:
                if on_unknown == "error":
                    raise UnknownCharacterError(ch, position, len(self.vocab))
                if on_unknown == "skip":
                    continue
                token = self._index[replacement]
            ids.append(token)
        return np.array(ids, dtype=np.int64)

    def decode(self, ids: Any) -> str:
        """Token ids (any integer array or sequence) → text; InvalidArgumentError for anything
        that is not an id of the vocabulary."""
        try:
            array = np.asarray(ids)
        except (TypeError, ValueError, OverflowError):  # ragged lists, huge Python ints
            array = np.asarray([], dtype=object)
        if array.dtype.kind not in "iu" and not (array.size == 0 and array.dtype.kind == "f"):
            raise InvalidArgumentError(
                f"ids must be integers from 0 to {len(self.vocab) - 1}, got dtype {array.dtype}"
            )
        flat = array.reshape(-1).astype(np.int64, copy=False)
        if flat.size and (flat.min() < 0 or flat.max() >= len(self.vocab)):
            raise InvalidArgumentError(
                f"ids must be from 0 to {len(self.vocab) - 1}, got values from {flat.min()} "
                f"to {flat.max()}"
            )
        return "".join(self.vocab[i] for i in flat.tolist())

    # ------------------------------------------------------------------ generation

    @property
    def state_names(self) -> list[str]:
        """The step graph's state inputs in order: ["h", "c"] for an LSTM, ["h"] for a minGRU."""
        return [name for name in self.contract("step")["inputs"] if name != "token"]

    def initial_state(self, batch: int = 1) -> tuple[np.ndarray, ...]:
        """Zero states, (layers, batch, hidden) float32 each (h, c for an LSTM; h for a minGRU):
        the start of a text."""
        batch = check_int(batch, "batch", 1, MAX_BATCH, InvalidArgumentError)
        shape = (self.config["num_layers"], batch, self.config["hidden_size"])
        return tuple(np.zeros(shape, np.float32) for _ in self.state_names)

    def step(self, tokens: np.ndarray, *states: np.ndarray) -> tuple[np.ndarray, ...]:
        """One step of the step graph: tokens (batch,) int64 and the states (layers, batch,
        hidden) → logits (batch, vocab) and the new states, in `state_names` order.

        Raw: the arrays go to the graph as they are; what it refuses (a wrong shape, dtype or
        number of states) is an InvalidArgumentError.
        """
        with raw_inputs(f"{self.location.name} step"):
            feed = {"token": tokens, **dict(zip(self.state_names, states, strict=True))}
            return tuple(self._step.run(None, feed))

    def stream(
        self,
        prompt: str,
        n: int = 200,
        temperature: float = 1.0,
        top_k: int | None = None,
        seed: int | None = None,
        *,
        greedy: bool = False,
        on_unknown: OnUnknown = "error",
    ) -> Iterator[str]:
        """Yield `n` generated characters one by one (the prompt itself is not yielded).

        Limits: `prompt` a str of 1 to 2,000 characters (`MAX_PROMPT`); `n` 0 to 100,000
        (`MAX_GENERATE`); `temperature` 0 to 1e6; `top_k` None or ≥ 1; `seed` None or 0 to
        2**63 - 1. Arguments are checked now, before the first character, so mistakes raise at
        the call.
        """
        n = _check_length(n, "n", MAX_GENERATE)
        temperature = _check_temperature(temperature)
        if not isinstance(greedy, bool):
            raise InvalidArgumentError(f"greedy must be True or False, got {greedy!r}")
        if greedy:
            temperature = 0.0
        if top_k is not None:
            top_k = _check_length(top_k, "top_k", MAX_TOP_K, minimum=1)
        seed = check_seed(seed)
        _check_text(prompt, "prompt", MAX_PROMPT)
        if not prompt:
            raise EmptyPromptError("prompt is empty; give at least one character to start from")
        ids = self.encode(prompt, on_unknown=on_unknown)
        if ids.size == 0:
            raise EmptyPromptError(f"no character of the prompt {prompt!r} is in the vocabulary")
        return self._stream(ids, n, temperature, top_k, np.random.default_rng(seed))

    def _stream(
        self,
        ids: np.ndarray,
        n: int,
        temperature: float,
        top_k: int | None,
        rng: np.random.Generator,
    ) -> Iterator[str]:
        states = self.initial_state()
        logits = np.empty(0)
        for token in ids:
            logits, *rest = self.step(token.reshape(1), *states)
            states = tuple(rest)
        for produced in range(n):
            token = choose_next(logits[0], temperature, top_k, rng)
            yield self.vocab[token]
            if produced + 1 < n:  # the last character needs no logits after it
                logits, *rest = self.step(np.array([token], np.int64), *states)
                states = tuple(rest)

    def generate(
        self,
        prompt: str,
        n: int = 200,
        temperature: float = 1.0,
        top_k: int | None = None,
        seed: int | None = None,
        *,
        greedy: bool = False,
        on_unknown: OnUnknown = "error",
    ) -> str:
        """Continue `prompt` with `n` characters and return them (without the prompt).

        temperature 0 or greedy=True: deterministic greedy decoding. Otherwise sampling, made
        reproducible by `seed`. See the module docstring for the exact rules.
        """
        return "".join(
            self.stream(prompt, n, temperature, top_k, seed, greedy=greedy, on_unknown=on_unknown)
        )

    # ------------------------------------------------------------------ whole sequences

    def _run_sequence(self, ids: np.ndarray) -> Iterator[dict[str, np.ndarray]]:
        """Run the sequence graph over ids (time,) in chunks, carrying the state across them."""
        names = [o.name for o in self.sequence_session.get_outputs()]
        h, c = self.initial_state()
        for start in range(0, ids.size, CHUNK):
            chunk = ids[start : start + CHUNK].reshape(1, -1)
            outputs = self.sequence_session.run(None, {"tokens": chunk, "h0": h, "c0": c})
            result = dict(zip(names, outputs, strict=True))
            h, c = result["h_out"], result["c_out"]
            yield result

    def score(self, text: str, *, on_unknown: OnUnknown = "error") -> float:
        """Bits per character of `text` under the model (lower is better).

        The mean of -log2 p(char_{t+1} | chars ≤ t) over the len(text) - 1 predictions,
        starting from zero state, as training measured validation and test sets. `text`: a str
        of 2 to 2,000,000 known characters (`MAX_SCORE_TEXT`).
        """
        ids = self.encode(text, on_unknown=on_unknown)
        _check_length(ids.size, "the text's length in known characters", MAX_SCORE_TEXT, 2)
        inputs, targets = ids[:-1], ids[1:]
        total, offset = 0.0, 0
        for result in self._run_sequence(inputs):
            logits = result["logits"][0].astype(np.float64)  # (time, vocab)
            top = logits.max(axis=1, keepdims=True)
            log_norm = np.log(np.exp(logits - top).sum(axis=1)) + top[:, 0]
            target = targets[offset : offset + len(logits)]
            total += float((log_norm - logits[np.arange(len(logits)), target]).sum())
            offset += len(logits)
        return total / targets.size / math.log(2)

    def hidden_states(self, text: str, *, on_unknown: OnUnknown = "error") -> dict[str, Any]:
        """Everything the sequence graph computes for `text`, for plots.

        Returns "text" (the encoded characters), "tokens" (time,), "logits" (time, vocab),
        "h_seq", "c_seq", "i_gate", "f_gate", "g_gate", "o_gate" (time, layers, hidden), and
        the final "h_out", "c_out" (layers, hidden). Entry t is after reading character t.
        `text`: a str of 1 to 20,000 known characters (`MAX_HIDDEN_TEXT`).
        """
        _check_text(text, "text", MAX_HIDDEN_TEXT)
        ids = self.encode(text, on_unknown=on_unknown)
        _check_length(ids.size, "the text's length in known characters", MAX_HIDDEN_TEXT, 1)
        parts = list(self._run_sequence(ids))
        states: dict[str, Any] = {"text": self.decode(ids), "tokens": ids}
        for name in parts[0]:
            if name in ("h_out", "c_out"):
                states[name] = parts[-1][name][:, 0]
            else:
                states[name] = np.concatenate([p[name][0] for p in parts], axis=0)
        return states
