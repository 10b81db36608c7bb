"""Train the sentiment LSTM on VADER's rated sentences; score it against BoW and VADER's rules.

``python -m rnn_site.train.sentiment`` (or ``rnn-site train sentiment``) reads the cached
ratings (no download), fits the bag-of-words logistic regression (L2 chosen on validation),
scores VADER's rules, trains the LSTM with the shared loop (early stopping on validation
macro-F1), and reports accuracy and macro-F1 on the test set, overall and per domain. About
three minutes on 2 cores; writes ``models/sentiment/sentiment.pt`` and ``metrics.json``.

Loss: binary cross-entropy on the last word's logit plus ``rating_weight`` × squared error of the
predicted rating (in units of 4 rating points): the ratings say *how* positive a sentence is,
which the binary label throws away.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Unpack

import numpy as np
import torch
import torch.nn.functional as F

from rnn_site.baselines.bow import choose_l2, classification_scores
from rnn_site.baselines.vader_rules import vader_predict
from rnn_site.data.vader import DOMAINS, Sentence, Vocab, binary_splits, tokenize
from rnn_site.models.sentiment import RATING_SCALE, SentimentConfig, SentimentLSTM
from rnn_site.train.artifacts import load_checkpoint, save_checkpoint
from rnn_site.train.batching import ShuffledBatches, pad_right
from rnn_site.train.command import Flag, Trainer
from rnn_site.train.hparams import EpochBudget, loop_fields, network_config
from rnn_site.train.loop import Job, RunOptions, train

Batch = tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]
MAX_TOKENS = 100  # training sentences are cut here (99% are under 45 words)


@dataclass(frozen=True)
class SentimentTrainConfig(EpochBudget):
    """Hyperparameters (chosen on validation macro-F1; see the model card)."""

    embed_dim: int = 64
    hidden_size: int = 128
    dropout: float = 0.4
    # 6,000 words keeps the exported graph under 2 MB (the 64-wide embedding is most of it);
    # the 2,000 rarer words it drops cover little of the text (see the model card).
    max_vocab: int = 6000
    min_count: int = 2
    rating_weight: float = 0.5
    # The budget (EpochBudget's otherwise): 12 short epochs of 64 sentences.
    weight_decay: float = 0.0
    max_epochs: int = 12
    patience: int = 3


def encode(vocab: Vocab, sentences: Sequence[Sentence]) -> list[np.ndarray]:
    """Token ids per sentence (at least one id: an empty sentence reads as one unknown word)."""
    out = []
    for s in sentences:
        ids = vocab.encode(tokenize(s.text)[:MAX_TOKENS])
        out.append(ids if len(ids) else np.array([1], dtype=np.int64))
    return out


def pad_batch(ids: Sequence[np.ndarray], labels: Sequence[int], ratings: Sequence[float]) -> Batch:
    """tokens (batch, time) right-padded with 0, lengths, labels (float), ratings."""
    x, lengths = pad_right(ids, torch.long)
    return x, lengths, torch.tensor(labels, dtype=torch.float32), torch.tensor(ratings)


class EpochBatches(ShuffledBatches[Batch]):
    """Training sentences shuffled (seeded per epoch) into padded batches; has ``len``."""

    def __init__(self, ids: list[np.ndarray], sentences: Sequence[Sentence], batch: int, seed: int):
        def make(rows: np.ndarray) -> Batch:
            return pad_batch(
                [ids[i] for i in rows],
                [sentences[i].label for i in rows],
                [sentences[i].rating for i in rows],
            )

        super().__init__(len(ids), batch, seed, make)


def last_step(values: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
    """values (batch, time) → the value at each sentence's last real word (batch,)."""
    return values.gather(1, (lengths - 1).unsqueeze(1)).squeeze(1)


def make_loss(rating_weight: float) -> Callable[[SentimentLSTM, Batch], torch.Tensor]:
    """BCE on the last word's logit + ``rating_weight`` × MSE of the scaled rating."""

    def batch_loss(model: SentimentLSTM, batch: Batch) -> torch.Tensor:
        x, lengths, labels, ratings = batch
        logits, rating = model(x)
        bce = F.binary_cross_entropy_with_logits(last_step(logits, lengths), labels)
        mse = F.mse_loss(last_step(rating, lengths) / RATING_SCALE, ratings / RATING_SCALE)
        return bce + rating_weight * mse

    return batch_loss


def lstm_probabilities(model: SentimentLSTM, ids: Sequence[np.ndarray]) -> np.ndarray:
    """P(positive) after each sentence's last word."""
    was_training = model.training
    model.eval()
    out = []
    with torch.no_grad():
        for start in range(0, len(ids), 256):
            chunk = ids[start : start + 256]
            x, lengths, _, _ = pad_batch(chunk, [0] * len(chunk), [0.0] * len(chunk))
            logits, _ = model(x)
            out.append(torch.sigmoid(last_step(logits, lengths)).numpy())
    model.train(was_training)
    return np.concatenate(out)


def report(sentences: Sequence[Sentence], predicted: np.ndarray) -> dict[str, dict[str, float]]:
    """Accuracy and macro-F1 overall ("all") and per domain."""
    labels = np.array([s.label for s in sentences])
    domains = np.array([s.domain for s in sentences])
    out = {"all": classification_scores(labels, predicted)}
    for d in DOMAINS:
        mask = domains == d
        out[d] = {**classification_scores(labels[mask], predicted[mask]), "n": int(mask.sum())}
    return out


ORDER_WORDS = frozenset({"not", "no", "never", "but", "although", "though", "yet"})


def pick_examples(
    sentences: Sequence[Sentence], lstm: np.ndarray, bow: np.ndarray, n: int = 6
) -> dict[str, list[dict[str, Any]]]:
    """Test sentences for the page: where word order matters (a negation or contrast word, the
    LSTM right and bag-of-words wrong) and where the LSTM is confidently wrong."""

    def row(i: int) -> dict[str, Any]:
        s = sentences[i]
        return {"text": s.text, "domain": s.domain, "rating": s.rating, "label": s.label,
                "lstm": round(float(lstm[i]), 4), "bow": round(float(bow[i]), 4),
                "vader": s.vader}  # fmt: skip

    labels = np.array([s.label for s in sentences])
    short = np.array([len(tokenize(s.text)) <= 25 for s in sentences])
    order = np.array(
        [bool(ORDER_WORDS & set(tokenize(s.text))) or "n't" in s.text for s in sentences]
    )
    lstm_right = (lstm > 0.5) == labels
    bow_right = (bow > 0.5) == labels
    margin = np.abs(lstm - bow)
    wins = np.flatnonzero(order & short & lstm_right & ~bow_right)
    wins = wins[np.argsort(-margin[wins], kind="stable")][:n]
    confidence = np.abs(lstm - 0.5)
    fails = np.flatnonzero(short & ~lstm_right)
    fails = fails[np.argsort(-confidence[fails], kind="stable")][:n]
    return {
        "word_order": [row(int(i)) for i in wins],
        "lstm_fails": [row(int(i)) for i in fails],
    }


def save_sentiment(path: str | Path, model: SentimentLSTM, vocab: Vocab) -> Path:
    """Checkpoint: config, weights and the vocabulary in id order."""
    return save_checkpoint(path, model, vocab.words)


def load_sentiment(path: str | Path) -> tuple[SentimentLSTM, Vocab]:
    """The model (eval mode) and vocabulary saved by :func:`save_sentiment`."""
    model, words = load_checkpoint(path, lambda config: SentimentLSTM(SentimentConfig(**config)))
    return model, Vocab(words)


def fit_baselines(
    parts: Mapping[str, Sequence[Sentence]], ids: dict[str, list[np.ndarray]], vocab_size: int
) -> tuple[Any, dict[str, Any], dict[str, Any]]:
    """Bag-of-words (L2 chosen on validation) and VADER's rules, scored on val and test →
    (the bag-of-words model, the scores, what the log records about the choices)."""
    labels = {name: [s.label for s in part] for name, part in parts.items()}
    bow, l2, bow_val = choose_l2(
        ids["train"], labels["train"], ids["val"], labels["val"], vocab_size
    )
    majority = int(np.mean(labels["train"]) >= 0.5)
    results: dict[str, Any] = {
        "bag-of-words": {
            name: report(parts[name], bow.predict(ids[name])) for name in ("val", "test")
        },
        "vader": {
            name: report(parts[name], vader_predict([s.vader for s in parts[name]], majority))
            for name in ("val", "test")
        },
    }
    print(f"bag-of-words (l2={l2:g}): test {results['bag-of-words']['test']['all']}")
    print(f"VADER rules: test {results['vader']['test']['all']}")
    choices = {"bow": {"l2": l2, "val_macro_f1_by_l2": bow_val}, "vader_neutral_label": majority}
    return bow, results, choices


def data_info(parts: Mapping[str, Sequence[Sentence]]) -> dict[str, Any]:
    """The data set as the log records it: source, licence, sentences per split and domain."""
    return {
        "name": "VADER human-rated sentences (Hutto & Gilbert, ICWSM 2014)",
        "source": "vaderSentiment==3.3.2 sdist, cached in rnn_site/data/vader-ratings-v1.json.gz",
        "licence": "MIT",
        "sentences": {
            name: {d: sum(s.domain == d for s in part) for d in DOMAINS}
            for name, part in parts.items()
        },
    }


def train_sentiment(
    out_dir: str | Path = "models/sentiment",
    *,
    hparams: SentimentTrainConfig | None = None,
    **run: Unpack[RunOptions],
) -> dict[str, Any]:
    """Fit the baselines and the LSTM; write the checkpoint and metrics.json; return metrics.

    ``run`` is the job's frame (:class:`RunOptions`; 2 threads unless given)."""
    job = Job.of(out_dir, run, threads=2)
    seed = job.seed
    hp = hparams or SentimentTrainConfig()
    splits = binary_splits()
    parts = {"train": splits.train, "val": splits.val, "test": splits.test}
    vocab = Vocab.build((s.text for s in splits.train), hp.min_count, hp.max_vocab)
    ids = {name: encode(vocab, part) for name, part in parts.items()}
    val_labels = [s.label for s in splits.val]
    bow, results, choices = fit_baselines(parts, ids, len(vocab))

    torch.manual_seed(seed)
    model = SentimentLSTM(network_config(SentimentConfig, hp, vocab_size=len(vocab)))
    config = job.train_config(
        **loop_fields(hp), schedule="cosine", warmup_steps=50, grad_clip=1.0,
        metric="val_macro_f1", mode="max",
    )  # fmt: skip

    def evaluate(m: SentimentLSTM) -> dict[str, float]:
        predicted = (lstm_probabilities(m, ids["val"]) > 0.5).astype(np.int64)
        scores = classification_scores(val_labels, predicted)
        return {"val_accuracy": scores["accuracy"], "val_macro_f1": scores["macro_f1"]}

    result = train(
        model,
        batches=lambda epoch: EpochBatches(
            ids["train"], splits.train, hp.batch, seed * 1000 + epoch
        ),
        loss_fn=make_loss(hp.rating_weight),  # type: ignore[arg-type]
        evaluate=evaluate,  # type: ignore[arg-type]
        config=config,
        out_dir=job.out,
        info=job.info("sentiment", model, hp, data=data_info(parts), **choices),
    )
    model.eval()
    results["lstm"] = {
        name: report(parts[name], (lstm_probabilities(model, ids[name]) > 0.5).astype(np.int64))
        for name in ("val", "test")
    }
    print(f"LSTM: test {results['lstm']['test']['all']} ({result.stopped})")
    examples = pick_examples(
        splits.test, lstm_probabilities(model, ids["test"]), bow.probability(ids["test"])
    )
    save_sentiment(job.out / "sentiment.pt", model, vocab)
    return job.finish(result, results=results, examples=examples)


#: ``--quick``: 6 epochs instead of 12 (about a minute on 2 idle cores).
QUICK = {"max_epochs": 6}

#: ``rnn-site train sentiment [--quick] [--max-epochs N] [--hidden H] [--max-vocab N]``.
TRAINER = Trainer(
    "sentiment", __doc__, SentimentTrainConfig, train_sentiment, QUICK,
    {"--max-epochs": Flag("max_epochs"), "--hidden": Flag("hidden_size"),
     "--max-vocab": Flag("max_vocab")},
)  # fmt: skip
main = TRAINER.main


if __name__ == "__main__":
    raise SystemExit(main())
