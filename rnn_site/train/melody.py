"""Train the melody LSTM on Bach chorale sopranos and compare it with a Kneser-Ney n-gram.

``python -m rnn_site.train.melody`` (or ``rnn-site train melody``) reads the cached chorales
(no music21 needed), fits the n-gram (order chosen on validation), trains the LSTM with the
shared loop, scores both on the test tunes, and measures what generated melodies look like
against real ones. A couple of minutes on 2 cores; writes ``models/melody/melody.pt`` and
``models/melody/metrics.json``.

Batching: unlike a novel, the corpus is 285 short pieces (~50 events, ~130 tokens each), so a
batch is a set of whole chorales padded to the longest, each starting from the zero state —
exactly how they are scored and how generation starts. Padding positions are ignored by the loss.

The score is **nats per event**: the total -ln P of every token of a chorale after ``<bos>``
(mode, bar lines, pitches, durations, fermatas, ``<eos>``) divided by its number of notes and
rests. Both models see the same tokens, so the numbers compare directly.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Unpack

import numpy as np
import torch
import torch.nn.functional as F

from rnn_site.baselines.token_ngram import TokenNGram, choose_token_order
from rnn_site.data.chorales import (
    Chorale,
    Event,
    MelodyVocab,
    histogram_distance,
    load_chorales,
    melody_statistics,
    split_by_tune,
)
from rnn_site.models.melody import MelodyConfig, MelodyLSTM
from rnn_site.train.artifacts import load_checkpoint, save_checkpoint
from rnn_site.train.batching import ShuffledBatches
from rnn_site.train.command import Flag, Trainer
from rnn_site.train.hparams import EpochBudget, LSTMNetwork, loop_fields, network_config
from rnn_site.train.loop import Job, RunOptions, train

Batch = tuple[torch.Tensor, torch.Tensor]
IGNORE = -100
SEED_EVENTS = 4  # generated melodies continue the first 4 events of each test chorale


@dataclass(frozen=True)
class MelodyTrainConfig(EpochBudget, LSTMNetwork):
    """Hyperparameters, chosen on validation NLL (see the model card).

    One layer of 256 units is ~1.2 MB as ONNX. With 38k training tokens the LSTM overfits
    after a few dozen epochs; dropout 0.3 and early stopping on validation hold it back, so the
    budget is long (200 epochs) and patient (12), in batches of 16 chorales.
    """

    embed_dim: int = 32
    dropout: float = 0.3
    ngram_orders: tuple[int, ...] = tuple(range(1, 11))
    # The budget (EpochBudget's otherwise).
    weight_decay: float = 0.0
    batch: int = 16
    max_epochs: int = 200
    patience: int = 12


def encode_all(vocab: MelodyVocab, chorales: Sequence[Chorale]) -> list[np.ndarray]:
    """Each chorale as ``<bos> mode ... <eos>`` token ids."""
    return [vocab.encode(c.mode, c.events) for c in chorales]


def pad_batch(sequences: Sequence[np.ndarray], pad: int) -> Batch:
    """Inputs (batch, time) and targets (batch, time) shifted by one; padding → IGNORE."""
    longest = max(len(s) for s in sequences) - 1
    x = torch.full((len(sequences), longest), pad, dtype=torch.long)
    y = torch.full((len(sequences), longest), IGNORE, dtype=torch.long)
    for row, s in enumerate(sequences):
        t = torch.from_numpy(s)
        x[row, : len(s) - 1] = t[:-1]
        y[row, : len(s) - 1] = t[1:]
    return x, y


class EpochBatches(ShuffledBatches[Batch]):
    """The training chorales shuffled (seeded per epoch) into padded batches; has ``len``."""

    def __init__(self, sequences: list[np.ndarray], batch: int, seed: int, pad: int) -> None:
        super().__init__(
            len(sequences), batch, seed, lambda rows: pad_batch([sequences[i] for i in rows], pad)
        )


def batch_loss(model: MelodyLSTM, batch: Batch) -> torch.Tensor:
    """Mean cross-entropy (nats/token) over the real (unpadded) positions."""
    x, y = batch
    logits, _ = model(x)
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1), ignore_index=IGNORE)


def nll_per_event(
    model: MelodyLSTM, sequences: Sequence[np.ndarray], events: int, pad: int
) -> float:
    """Total -ln P of every token after ``<bos>``, divided by the number of events."""
    was_training = model.training
    model.eval()
    total = 0.0
    with torch.no_grad():
        for start in range(0, len(sequences), 64):
            x, y = pad_batch(sequences[start : start + 64], pad)
            logits, _ = model(x)
            total += F.cross_entropy(
                logits.reshape(-1, logits.shape[-1]),
                y.reshape(-1),
                ignore_index=IGNORE,
                reduction="sum",
            ).item()
    model.train(was_training)
    return total / events


# --------------------------------------------------------------------------- sampling (stats)


def sample_tokens(
    next_probs: Any,
    vocab: MelodyVocab,
    prefix: np.ndarray,
    n_events: int,
    temperature: float,
    rng: np.random.Generator,
) -> list[int]:
    """Continue ``prefix`` until ``n_events`` more events exist, masking ungrammatical tokens.

    ``next_probs(ids) -> (vocab,)`` probabilities; the mask and temperature are applied here
    (the same rules as the runtime's sampler, whose numbers the card does not depend on).
    """
    ids = list(prefix)
    made = 0
    while made < n_events:
        p = np.asarray(next_probs(ids), dtype=np.float64) ** (1.0 / temperature)
        p = np.where(vocab.allowed_after(ids[-1]), p, 0.0)
        token = int(rng.choice(len(p), p=p / p.sum()))
        ids.append(token)
        made += vocab.kind(token) == "duration"
    return ids


class TorchNext:
    """next_probs for the LSTM that carries the state instead of rereading the prefix."""

    def __init__(self, model: MelodyLSTM) -> None:
        self.model, self.seen, self.state = model.eval(), 0, None
        self.logits = torch.zeros(0)

    def __call__(self, ids: list[int]) -> np.ndarray:
        with torch.no_grad():
            new = torch.tensor([ids[self.seen :]], dtype=torch.long)
            logits, self.state = self.model(new, self.state)
        self.seen = len(ids)
        return torch.softmax(logits[0, -1].double(), dim=-1).numpy()


def generated_statistics(
    make_next: Any,
    vocab: MelodyVocab,
    chorales: Sequence[Chorale],
    temperature: float,
    seed: int,
) -> dict[str, Any]:
    """Statistics of melodies generated from each chorale's opening, as long as the original."""
    rng = np.random.default_rng(seed)
    melodies = []
    for chorale in chorales:
        seed_events = chorale.events[:SEED_EVENTS]
        prefix = vocab.encode(chorale.mode, seed_events, end=False)
        n = max(len(chorale.events) - SEED_EVENTS, 1)
        ids = sample_tokens(make_next(), vocab, prefix, n, temperature, rng)
        melodies.append((chorale.mode, vocab.decode(ids)))
    return melody_statistics(melodies)


def compare(real: dict[str, Any], generated: dict[str, Any]) -> dict[str, Any]:
    """Generated statistics plus their interval histogram's distance to the real one."""
    return {
        **generated,
        "interval_tv_distance": histogram_distance(
            real["interval_histogram"], generated["interval_histogram"]
        ),
    }


# --------------------------------------------------------------------------- checkpoint


def save_melody(path: str | Path, model: MelodyLSTM, vocab: MelodyVocab) -> Path:
    """Checkpoint: config, state_dict and the token names in id order."""
    return save_checkpoint(path, model, vocab.names)


def load_melody(path: str | Path) -> tuple[MelodyLSTM, MelodyVocab]:
    """Read a checkpoint written by :func:`save_melody` → (model in eval mode, vocab)."""
    model, names = load_checkpoint(path, lambda config: MelodyLSTM(MelodyConfig(**config)))
    return model, MelodyVocab(names)


# --------------------------------------------------------------------------- the job


def fit_ngram(
    seqs: dict[str, list[np.ndarray]],
    vocab_size: int,
    events: dict[str, int],
    orders: Sequence[int],
) -> tuple[TokenNGram, dict[str, Any]]:
    """The Kneser-Ney n-gram, its order chosen on validation → (model, scores for the log)."""
    choice = choose_token_order(seqs["train"], seqs["val"], vocab_size, events["val"], orders)
    ngram: TokenNGram = choice.model
    order = choice.order
    scores: dict[str, Any] = {
        "name": f"token-{order}gram",
        "order": order,
        "smoothing": "interpolated Kneser-Ney",
        "val_nll_per_event": choice.val_nll[order],
        "test_nll_per_event": sum(ngram.nll(s, order) for s in seqs["test"]) / events["test"],
        "val_nll_by_order": {str(k): v for k, v in choice.val_nll.items()},
    }
    print(
        f"n-gram: order {order}, val {scores['val_nll_per_event']:.3f}, "
        f"test {scores['test_nll_per_event']:.3f} nats/event"
    )
    return ngram, scores


def generation_report(
    model: MelodyLSTM, ngram: TokenNGram, ngram_scores: dict[str, Any], vocab: MelodyVocab,
    test: Sequence[Chorale], temperature: float, seed: int,
) -> dict[str, Any]:  # fmt: skip
    """Statistics of melodies the LSTM and the n-gram continue from each test chorale's start,
    beside those of the real test chorales."""
    order = ngram_scores["order"]
    real = melody_statistics([(c.mode, c.events) for c in test])
    lstm = generated_statistics(lambda: TorchNext(model), vocab, test, temperature, seed)
    counted = generated_statistics(
        lambda: lambda ids: ngram.next_probs(ids, order), vocab, test, temperature, seed
    )
    return {
        "temperature": temperature,
        "seed_events": SEED_EVENTS,
        "real_test": real,
        "lstm": compare(real, lstm),
        ngram_scores["name"]: compare(real, counted),
    }


def data_info(
    splits: Any, seqs: dict[str, list[np.ndarray]], events: dict[str, int]
) -> dict[str, Any]:
    """The data set as the log records it: source, licence, sizes, held-out files."""
    return {
        "name": "bach-chorales-soprano",
        "source": "music21 corpus (BSD-3-Clause), cached in rnn_site/data/chorales-v1.json.gz",
        "licence": "BSD-3-Clause",
        "chorales": {name: len(getattr(splits, name)) for name in seqs},
        "events": events,
        "tokens": {name: int(sum(len(s) for s in seqs[name])) for name in seqs},
        "test_files": [c.file for c in splits.test],
        "val_files": [c.file for c in splits.val],
    }


def train_melody(
    out_dir: str | Path = "models/melody",
    *,
    hparams: MelodyTrainConfig | None = None,
    temperature: float = 1.0,
    **run: Unpack[RunOptions],
) -> dict[str, Any]:
    """Fit the n-gram, train the LSTM, score both, measure generated melodies, write artefacts.

    ``run`` is the job's frame (:class:`RunOptions`; 2 threads unless given)."""
    job = Job.of(out_dir, run, threads=2)
    seed = job.seed
    hp = hparams or MelodyTrainConfig()
    chorales = load_chorales()
    splits = split_by_tune(chorales)
    vocab = MelodyVocab.from_chorales(chorales)
    pad = vocab.ids["<eos>"]
    seqs = {name: encode_all(vocab, getattr(splits, name)) for name in ("train", "val", "test")}
    events = {name: sum(len(c.events) for c in getattr(splits, name)) for name in seqs}
    ngram, ngram_scores = fit_ngram(seqs, len(vocab), events, hp.ngram_orders)

    torch.manual_seed(seed)
    model = MelodyLSTM(network_config(MelodyConfig, hp, vocab_size=len(vocab)))
    config = job.train_config(
        **loop_fields(hp), schedule="cosine", warmup_steps=20, grad_clip=1.0,
        metric="val_nll_per_event",
    )  # fmt: skip
    info = job.info(
        "melody", model, hp, tokens=vocab.names, data=data_info(splits, seqs, events),
        baseline=ngram_scores,
    )  # fmt: skip
    result = train(
        model,
        batches=lambda epoch: EpochBatches(seqs["train"], hp.batch, seed * 1000 + epoch, pad),
        loss_fn=batch_loss,  # type: ignore[arg-type]
        evaluate=lambda m: {
            "val_nll_per_event": nll_per_event(m, seqs["val"], events["val"], pad)  # type: ignore[arg-type]
        },
        config=config,
        out_dir=job.out,
        info=info,
    )
    model.eval()
    lstm = {
        "val_nll_per_event": nll_per_event(model, seqs["val"], events["val"], pad),
        "test_nll_per_event": nll_per_event(model, seqs["test"], events["test"], pad),
        "best_epoch": result.best.get("epoch"),
    }
    print(
        f"melody LSTM: val {lstm['val_nll_per_event']:.3f}, "
        f"test {lstm['test_nll_per_event']:.3f} nats/event ({result.stopped})"
    )
    statistics = generation_report(
        model, ngram, ngram_scores, vocab, splits.test, temperature, seed
    )
    save_melody(job.out / "melody.pt", model, vocab)
    return job.finish(result, melody=lstm, generated=statistics)


#: ``--quick``: at most 30 epochs (the published run stops early near 56).
QUICK = {"max_epochs": 30}

#: ``rnn-site train melody [--quick] [--max-epochs N] [--hidden H] [--ngram-max-order N]``.
TRAINER = Trainer(
    "melody", __doc__, MelodyTrainConfig, train_melody, QUICK,
    {"--max-epochs": Flag("max_epochs"), "--hidden": Flag("hidden_size"),
     "--ngram-max-order": Flag("ngram_orders", to=lambda n: tuple(range(1, n + 1)))},
)  # fmt: skip
main = TRAINER.main


if __name__ == "__main__":
    raise SystemExit(main())


__all__ = ["Event", "load_melody", "save_melody", "train_melody"]
