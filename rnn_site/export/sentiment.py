"""Export the sentiment LSTM: one sequence graph with a prediction after every word, and its card.

``sequence.onnx``: ``tokens`` int64 [batch, time] → ``logits`` float32 [batch, time] (the
positive-vs-negative logit after each word) and ``rating`` float32 [batch, time] (the predicted
mean human rating, -4..4). The state starts at zero inside the graph: a sentence is always read
from its first word. The card carries the vocabulary, the tokenizer's regex, the scores of the
LSTM and both baselines (overall and per domain), and the examples the page shows.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch
from torch import nn

from rnn_site.data.vader import DOMAINS, TOKEN_PATTERN
from rnn_site.export.cards import publish_card, read_training_log
from rnn_site.export.onnx_lstm import (
    GraphIO,
    OnnxLSTMLayer,
    TensorSpec,
    export_graph,
    graph_metadata,
)
from rnn_site.models.sentiment import RATING_SCALE, SentimentLSTM
from rnn_site.provenance import git_commit
from rnn_site.train.sentiment import MAX_TOKENS, load_sentiment

NAME = "sentiment"
VERSION = "1.0.0"
DOMAIN_NAMES = {
    "movie": "movie reviews",
    "amazon": "Amazon reviews",
    "nyt": "NYT editorials",
    "tweets": "tweets",
}
MODEL_NAMES = {"lstm": NAME, "bag-of-words": "bag-of-words", "vader": "vader-rules"}


def sequence_io() -> GraphIO:
    """The contract of sequence.onnx."""
    per_step = TensorSpec("float32", ("batch", "time"))
    return GraphIO(
        inputs={"tokens": TensorSpec("int64", ("batch", "time"))},
        outputs={"logits": per_step, "rating": per_step},
    )


class SentimentSequenceGraph(nn.Module):
    """tokens (batch, time) → logits, rating (batch, time); one native ONNX LSTM node."""

    def __init__(self, model: SentimentLSTM) -> None:
        super().__init__()
        self.embed = model.embed
        self.layer = OnnxLSTMLayer.from_torch(model.lstm, 0)
        self.head = model.head
        self.hidden_size = model.config.hidden_size

    def forward(self, tokens: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        x = self.embed(tokens.transpose(0, 1))  # (time, batch, embed)
        # Zero state shaped like one time step's hidden vector: (1, batch, H).
        zeros = torch.zeros_like(x[:1, :, :1]).expand(1, -1, self.hidden_size)
        y, _, _ = self.layer(x, zeros, zeros)
        out = self.head(y).transpose(0, 1)  # (batch, time, 2)
        return out[..., 0], out[..., 1] * RATING_SCALE


def export_sequence(model: SentimentLSTM, path: str | Path, metadata: dict[str, str]) -> Any:
    """Write sequence.onnx for `model` and return the ONNX model."""
    return export_graph(
        SentimentSequenceGraph(model.eval()),
        (torch.ones((2, 3), dtype=torch.int64),),
        path,
        sequence_io(),
        {**metadata, "graph": "sequence"},
        doc="Sentiment LSTM: tokens -> positive logit and rating after every word.",
    )


def _domain_table(results: dict[str, Any]) -> str:
    """Markdown: test accuracy / macro-F1 per domain for each model."""
    columns = ["all", *DOMAINS]
    head = "| model | " + " | ".join(
        "all domains" if c == "all" else DOMAIN_NAMES[c] for c in columns
    )
    lines = [head + " |", "|---" * (len(columns) + 1) + "|"]
    for key, label in (("lstm", "**LSTM**"), ("bag-of-words", "bag-of-words"), ("vader", "VADER")):
        test = results.get(key, {}).get("test", {})
        cells = [
            f"{test[c]['accuracy']:.3f} / {test[c]['macro_f1']:.3f}" if c in test else "–"
            for c in columns
        ]
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def export_sentiment_model(
    model: SentimentLSTM,
    words: list[str],
    out_dir: str | Path,
    *,
    log: dict[str, Any] | None = None,
    commit: str | None = None,
) -> dict[str, Path]:
    """Write sequence.onnx, card.json, README.md into `out_dir`; refresh the manifest."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    log = log or {}
    commit = commit or git_commit()
    metadata = graph_metadata(
        NAME,
        VERSION,
        licence="MIT",
        data="VADER human-rated sentences (vaderSentiment 3.3.2), MIT",
        commit=commit,
        tokenizer=TOKEN_PATTERN,
    )
    paths = {"sequence": out_dir / "sequence.onnx"}
    export_sequence(model, paths["sequence"], metadata)
    results = log.get("results") or {}
    keys = {"accuracy": "test_accuracy", "macro_f1": "test_macro_f1"}

    def scores(key: str, domain: str) -> dict[str, float]:
        test = results.get(key, {}).get("test", {}).get(domain, {})
        return {keys[k]: float(test[k]) for k in keys if k in test}

    def movie(key: str) -> dict[str, float]:
        return {f"movie_{k}": v for k, v in scores(key, "movie").items()}

    metrics = {NAME: {**scores("lstm", "all"), **movie("lstm")}}
    baselines = {
        MODEL_NAMES[key]: {**scores(key, "all"), **movie(key)}
        for key in ("bag-of-words", "vader")
        if key in results
    }
    data = log.get("data") or {}
    counts = data.get("sentences", {})
    card: dict[str, Any] = {
        "name": NAME,
        "version": VERSION,
        "task": "text-classification",
        "title": "Sentiment LSTM (VADER's human-rated sentences)",
        "summary": (
            "Reads a sentence word by word and says how positive it is after every word: a "
            "probability (positive vs negative) and a predicted mean human rating (-4..4). "
            "Trained from scratch on 18,656 sentences rated by at least 20 people each "
            "(movie reviews, Amazon reviews, NYT editorials, tweets)."
        ),
        "vocab": words,
        "tokenizer": {
            "pattern": TOKEN_PATTERN,
            "lowercase": True,
            "replace": {"\u2019": "'"},
            "pad": 0,
            "unknown": 1,
            "max_tokens": MAX_TOKENS,
        },
        "config": model.config.to_dict(),
        "files": {"sequence": "sequence.onnx", "torch": "sentiment.pt"},
        "io": {"sequence": sequence_io().to_json(), "opset": 17},
        "data": {
            "name": "VADER human-rated sentences (Hutto & Gilbert, ICWSM 2014)",
            "source_package": "vaderSentiment==3.3.2 source distribution, "
            "additional_resources/hutto_ICWSM_2014.tar.gz (checksum-verified, cached in "
            "rnn_site/data/vader-ratings-v1.json.gz)",
            "licence": "MIT",
            "sentences": counts,
            "split_note": (
                "Binary label: mean rating > 0 is positive, < 0 negative; the 383 sentences "
                "rated exactly 0 are left out. Split 80/10/10 within each (domain, label) group "
                "with a seeded shuffle: "
                + ", ".join(
                    f"{name} {sum(counts[name].values()):,}"
                    for name in ("train", "val", "test")
                    if name in counts
                )
                + " sentences."
            ),
        },
        "metrics": metrics if metrics[NAME] else {},
        "baselines": baselines,
        "better": {k: "higher" for k in [*keys.values(), *(f"movie_{v}" for v in keys.values())]},
        "results": results,
        "examples": log.get("examples", {}),
        "performance": {},
        "licence": "MIT",
        "source_commit": commit,
        "intended_use": (
            "Teaching: watch an LSTM change its mind as it reads (negation, 'but' clauses), "
            "and compare it with a bag of words and a hand-built lexicon. Not for judging real "
            f"people's text: it knows {len(words):,} words from four 2000s-era English sources."
        ),
        "file_notes": {
            "sequence": "token ids in, the positive logit and the rating after every word out.",
            "torch": "the PyTorch checkpoint the graph was exported from.",
        },
        "preprocessing": (
            "Replace `’` by `'`, find every match of the regular expression "
            f"`{TOKEN_PATTERN}` (letters and digits with inner apostrophes, `!`, `?`), "
            "lowercase it; a word's id is its position in the card's `vocab` (0 padding, "
            f"1 unknown). At most {MAX_TOKENS} tokens were used in training."
        ),
        "io_notes": (
            "Feed the whole sentence; `logits[:, t]` is the prediction after word t, so the "
            "last one is the sentence's. P(positive) = sigmoid(logit)."
        ),
        "metrics_note": (
            "Test set, accuracy / macro-F1, overall and per domain:\n\n"
            + _domain_table(results)
            + "\n\nBag-of-words is logistic regression on the same vocabulary (L2 chosen on "
            "validation); VADER is the rule-based analyser of vaderSentiment 3.3.2 (compound "
            "> 0 → positive; exactly 0 → the training majority). VADER's lexicon was built "
            "with these raters' help, so its score here is not a held-out score. Summary:"
        ),
        "limits": [
            "Binary only: neutral and mixed sentences are forced to one side; the rating output "
            "is coarse.",
            f"Words outside the {len(words):,}-word vocabulary are unknown (`<unk>`): names, "
            "new slang, typos and other languages carry no meaning for it.",
            "Reads left to right: a sentence whose sense flips at the end is judged well only "
            "at its last word; the early trajectory is a guess 'so far'.",
            "Sarcasm and world knowledge defeat it; see the failures on the model's page.",
        ],
    }
    paths.update(publish_card(out_dir, card))
    return paths


def export_sentiment(
    checkpoint: str | Path = "models/sentiment/sentiment.pt",
    out_dir: str | Path = "models/sentiment",
) -> dict[str, Path]:
    """Export the trained model: read the checkpoint and the metrics.json training wrote."""
    model, vocab = load_sentiment(checkpoint)
    return export_sentiment_model(model, vocab.words, out_dir, log=read_training_log(checkpoint))
