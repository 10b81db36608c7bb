"""Export the sentiment LSTM: one sequence graph with a prediction after every word, and its card.

``sequence.onnx``: ``tokens`` int64 [batch, time] → ``logits`` float32 [batch, time] (the
positive-vs-negative logit after each word) and ``rating`` float32 [batch, time] (the predicted
mean human rating, -4..4). The state starts at zero inside the graph: a sentence is always read
from its first word. The card carries the vocabulary, the tokenizer's regex, the scores of the
LSTM and both baselines (overall and per domain), and the examples the page shows.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Unpack

import torch
from torch import nn

from rnn_site.card import Better, Scores, TextClassificationCard
from rnn_site.data.vader import TOKEN_PATTERN
from rnn_site.export import steps
from rnn_site.export.card_text import CardProse, card_text
from rnn_site.export.onnx_lstm import GraphIO, OnnxLSTMLayer, TensorSpec, export_graph
from rnn_site.export.results_tables import sentiment_domain_table as _domain_table
from rnn_site.models.sentiment import RATING_SCALE, SentimentLSTM
from rnn_site.train.sentiment import MAX_TOKENS, load_sentiment

NAME = "sentiment"
VERSION = "1.0.0"
#: The graph's licence and training data, in its ONNX metadata.
PROVENANCE = {"licence": "MIT", "data": "VADER human-rated sentences (vaderSentiment 3.3.2), MIT"}
MODEL_NAMES = {"lstm": NAME, "bag-of-words": "bag-of-words", "vader": "vader-rules"}
#: results figure → card metric key (and the same with "movie_" for the movie domain).
SCORE_KEYS = {"accuracy": "test_accuracy", "macro_f1": "test_macro_f1"}
BETTER: dict[str, Better] = {k: "higher" for v in SCORE_KEYS.values() for k in (v, f"movie_{v}")}


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


def sentiment_scores(results: dict[str, Any]) -> tuple[Scores, Scores]:
    """(metrics, baselines) for the card: test accuracy and macro-F1, overall and on movies."""

    def scores(key: str, domain: str) -> dict[str, float]:
        test = results.get(key, {}).get("test", {}).get(domain, {})
        return {SCORE_KEYS[k]: float(test[k]) for k in SCORE_KEYS if k in test}

    def both(key: str) -> dict[str, float]:
        movie = {f"movie_{k}": v for k, v in scores(key, "movie").items()}
        return {**scores(key, "all"), **movie}

    baselines = {MODEL_NAMES[k]: both(k) for k in ("bag-of-words", "vader") if k in results}
    return {NAME: both("lstm")}, baselines


def sentiment_prose(words: list[str], log: dict[str, Any]) -> CardProse:
    """The card's prose, from ``prose/sentiment.md``."""
    counts = (log.get("data") or {}).get("sentences", {})
    split = (f"{n} {sum(counts[n].values()):,}" for n in ("train", "val", "test") if n in counts)
    return card_text(NAME).prose(
        vocab_size=f"{len(words):,}",
        token_pattern=TOKEN_PATTERN,
        max_tokens=str(MAX_TOKENS),
        domain_table=_domain_table(log.get("results") or {}),
        split_counts=", ".join(split),
    )


def export_sentiment_model(
    model: SentimentLSTM,
    words: list[str],
    out_dir: str | Path,
    **options: Unpack[steps.ExportOptions],
) -> dict[str, Path]:
    """Write sequence.onnx, card.json, README.md into `out_dir`; refresh the manifest."""
    with steps.start_export(NAME, out_dir, **options) as run:
        metadata = run.metadata(**PROVENANCE, tokenizer=TOKEN_PATTERN)
        paths = {"sequence": run.work_dir / "sequence.onnx"}
        export_sequence(model, paths["sequence"], metadata)
        results = run.log.get("results") or {}
        metrics, baselines = sentiment_scores(results)
        prose = sentiment_prose(words, run.log)
        data = run.log.get("data") or {}
        card: TextClassificationCard = {
            **steps.card_head(run, prose),
            "task": "text-classification",
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
            "results": results,
            "examples": run.log.get("examples", {}),
            **steps.card_common(
                run,
                prose,
                data=steps.data_record(prose, sentences=data.get("sentences", {})),
                metrics=metrics,
                baselines=baselines,
                better=BETTER,
            ),
        }
        return run.publish(paths, card)


def export_sentiment(
    checkpoint: str | Path = "models/sentiment/sentiment.pt",
    out_dir: str | Path = "models/sentiment",
) -> dict[str, Path]:
    """Export the trained model: read the checkpoint and the metrics.json training wrote."""

    def load(path: Path) -> tuple[SentimentLSTM, list[str]]:
        model, vocab = load_sentiment(path)
        return model, vocab.words

    return steps.export_checkpoint(load, export_sentiment_model, checkpoint, out_dir)
