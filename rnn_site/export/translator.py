"""Export the attention translator as two graphs, an encoder and one decoder step, and its card.

``encoder.onnx``: ``tokens`` int64 [batch, src] and ``mask`` float32 [batch, src] (1 for a word,
0 for padding) → ``memory`` float32 [batch, src, 2·He] (one vector per English word), ``h0`` and
``c0`` float32 [1, batch, Hd] (the decoder's initial state).

``decoder.onnx``: ``prev`` int64 [batch] (the previous German word, ``<s>`` first), ``h``, ``c``
[1, batch, Hd], ``memory``, ``mask`` → ``log_probs`` float32 [batch, V] (of the next word),
``h_out``, ``c_out``, ``attention`` float32 [batch, src] (how much each English word counted).

Search (greedy or beam) runs outside the graphs, in the runtime and in the browser: a beam is a
batch of hypotheses. Each LSTM is a native ONNX ``LSTM`` node (layout 0); the backward encoder
direction reads each sentence reversed within its length, exactly as in training.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch
from torch import nn

from rnn_site.data.bpe import SEP
from rnn_site.data.ding import APT_PACKAGE, LICENCE, TOKEN_PATTERN
from rnn_site.export.cards import publish_card, read_training_log
from rnn_site.export.onnx_lstm import (
    GraphIO,
    OnnxLSTMLayer,
    TensorSpec,
    export_graph,
    graph_metadata,
)
from rnn_site.models.translator import Translator, reverse_padded
from rnn_site.provenance import git_commit
from rnn_site.train.translator import MAX_TOKENS, Vocabs, load_translator

NAME = "translator"
VERSION = "1.0.0"


def encoder_io(config: dict[str, Any]) -> GraphIO:
    """The contract of encoder.onnx."""
    hd = config["decoder_hidden"]
    return GraphIO(
        inputs={
            "tokens": TensorSpec("int64", ("batch", "src")),
            "mask": TensorSpec("float32", ("batch", "src")),
        },
        outputs={
            "memory": TensorSpec("float32", ("batch", "src", 2 * config["encoder_hidden"])),
            "h0": TensorSpec("float32", (1, "batch", hd)),
            "c0": TensorSpec("float32", (1, "batch", hd)),
        },
    )


def decoder_io(config: dict[str, Any]) -> GraphIO:
    """The contract of decoder.onnx."""
    hd = config["decoder_hidden"]
    state = TensorSpec("float32", (1, "batch", hd))
    return GraphIO(
        inputs={
            "prev": TensorSpec("int64", ("batch",)),
            "h": state,
            "c": state,
            "memory": TensorSpec("float32", ("batch", "src", 2 * config["encoder_hidden"])),
            "mask": TensorSpec("float32", ("batch", "src")),
        },
        outputs={
            "log_probs": TensorSpec("float32", ("batch", config["tgt_vocab"])),
            "h_out": state,
            "c_out": state,
            "attention": TensorSpec("float32", ("batch", "src")),
        },
    )


class EncoderGraph(nn.Module):
    """tokens, mask → memory, h0, c0: `Translator.encode` with native ONNX LSTM nodes."""

    def __init__(self, model: Translator) -> None:
        super().__init__()
        self.model = model
        self.fwd = OnnxLSTMLayer.from_torch(model.fwd, 0)
        self.bwd = OnnxLSTMLayer.from_torch(model.bwd, 0)

    def forward(
        self, tokens: torch.Tensor, mask: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        lengths = mask.sum(1).long().clamp(min=1)
        x = self.model.src_embed(tokens)  # (batch, src, E)
        # Zero state shaped (1, batch, He) from x, so the batch axis stays dynamic.
        zeros = torch.zeros_like(x[:, :1, :1]).transpose(0, 1).expand(1, -1, self.fwd.hidden_size)
        forward, _, _ = self.fwd(x.transpose(0, 1), zeros, zeros)
        backward, _, _ = self.bwd(reverse_padded(x, lengths).transpose(0, 1), zeros, zeros)
        return self.model.summarise(
            forward.transpose(0, 1), reverse_padded(backward.transpose(0, 1), lengths), lengths
        )


class DecoderStepGraph(nn.Module):
    """prev, h, c, memory, mask → log_probs, h_out, c_out, attention: `Translator.step`."""

    def __init__(self, model: Translator) -> None:
        super().__init__()
        self.model = model
        self.lstm = OnnxLSTMLayer.from_torch(model.decoder, 0)

    def forward(
        self,
        prev: torch.Tensor,
        h: torch.Tensor,
        c: torch.Tensor,
        memory: torch.Tensor,
        mask: torch.Tensor,
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        x = self.model.tgt_embed(prev).unsqueeze(0)  # (1, batch, E): one time step
        y, h_out, c_out = self.lstm(x, h, c)
        log_probs, attention = self.model.predict(y[0], memory, mask)
        return log_probs, h_out, c_out, attention


def example_inputs(model: Translator) -> tuple[tuple[torch.Tensor, ...], tuple[torch.Tensor, ...]]:
    """Inputs for tracing, with batch 2 and source length 3 (sizes > 1: dynamic axes)."""
    tokens = torch.tensor([[5, 6, 7], [8, 9, 0]])
    mask = (tokens != 0).float()
    with torch.no_grad():
        memory, h, c = model.encode(tokens, mask)
    return (tokens, mask), (torch.tensor([2, 2]), h, c, memory, mask)


def export_graphs(
    model: Translator, out_dir: str | Path, metadata: dict[str, str]
) -> dict[str, Path]:
    """Write encoder.onnx and decoder.onnx for `model`; return their paths."""
    out_dir = Path(out_dir)
    model.eval()
    config = model.config.to_dict()
    encoder_inputs, decoder_inputs = example_inputs(model)
    paths = {"encoder": out_dir / "encoder.onnx", "decoder": out_dir / "decoder.onnx"}
    export_graph(
        EncoderGraph(model),
        encoder_inputs,
        paths["encoder"],
        encoder_io(config),
        {**metadata, "graph": "encoder"},
        doc="Translator encoder: English token ids and mask -> memory and initial state.",
    )
    export_graph(
        DecoderStepGraph(model),
        decoder_inputs,
        paths["decoder"],
        decoder_io(config),
        {**metadata, "graph": "decoder"},
        doc="Translator decoder step: previous German word and state -> next-word log-probs.",
        # The tied embedding feeds both a Gather and the output MatMul: without folding it is
        # stored once instead of twice (onnxruntime folds the transpose at load time).
        constant_folding=False,
    )
    return paths


def _scores(results: dict[str, Any], key: str, suffix: str = "") -> dict[str, float]:
    """One search's BLEU and chrF as card metrics: {"test_bleu<suffix>": ..., ...}."""
    figures = results.get(key, {})
    return {f"test_{m}{suffix}": float(figures[m]) for m in ("bleu", "chrf") if m in figures}


def results_table(results: dict[str, Any], beam: int) -> str:
    """Markdown: test BLEU and chrF of beam search, greedy search and word-by-word lookup."""
    rows = [
        (f"**attention LSTM, beam {beam}**", results.get(f"beam-{beam}", {})),
        ("attention LSTM, greedy", results.get("greedy", {})),
        ("word-by-word lookup (baseline)", results.get("word-lookup", {})),
    ]
    lines = ["| translation | BLEU | chrF |", "|---|---|---|"]
    for label, figures in rows:
        if figures:
            lines.append(f"| {label} | {figures['bleu']:.1f} | {figures['chrf']:.1f} |")
    return "\n".join(lines)


def examples_table(examples: list[dict[str, Any]], n: int = 4) -> str:
    """Markdown: test sentences with the reference, beam search and the lookup baseline."""
    cell = lambda text: text.replace("|", "\\|")  # noqa: E731
    lines = ["| English | reference | model (beam) | word lookup |", "|---|---|---|---|"]
    for e in examples[:n]:
        lines.append(
            f"| {cell(e['en'])} | {cell(e['de'])} | {cell(e['beam'])} | {cell(e['lookup'])} |"
        )
    return "\n".join(lines)


def export_translator_model(
    model: Translator,
    vocabs: Vocabs,
    out_dir: str | Path,
    *,
    log: dict[str, Any] | None = None,
    commit: str | None = None,
) -> dict[str, Path]:
    """Write encoder.onnx, decoder.onnx, card.json, README.md into `out_dir`; refresh the
    manifest."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    log = log or {}
    commit = commit or git_commit()
    metadata = graph_metadata(
        NAME,
        VERSION,
        licence=LICENCE,
        data=f"Ding English-German dictionary (Debian {APT_PACKAGE}), {LICENCE}",
        commit=commit,
        tokenizer=TOKEN_PATTERN,
    )
    paths = export_graphs(model, out_dir, metadata)
    results = log.get("results") or {}
    beam = int(log.get("beam", 5))
    config = model.config.to_dict()
    metrics = {NAME: {**_scores(results, f"beam-{beam}"), **_scores(results, "greedy", "_greedy")}}
    baselines = {"word-lookup": _scores(results, "word-lookup")} if "word-lookup" in results else {}
    counts = (log.get("data") or {}).get("pairs", {})
    lexicon = int((log.get("data") or {}).get("lexicon_pairs", 0))
    total = sum(counts.values())
    card: dict[str, Any] = {
        "name": NAME,
        "version": VERSION,
        "task": "translation",
        "title": "English→German translator (LSTM encoder–decoder with attention)",
        "summary": (
            "Translates a short English sentence into German one word at a time, and shows "
            "which English words it looked at for each German word. A bidirectional LSTM "
            "encoder and an LSTM decoder with Luong attention, trained from scratch on "
            f"{total:,} example sentence pairs of the Ding dictionary."
        ),
        "vocab": {"src": vocabs.src.words, "tgt": vocabs.tgt.words},
        "tokenizer": {
            "pattern": TOKEN_PATTERN,
            "normalize": "NFC",
            "lowercase": True,
            "replace": {"\u2019": "'"},
            "pad": 0,
            "unknown": 1,
            "bos": 2,
            "eos": 3,
            "max_tokens": MAX_TOKENS,
            # German in whole words, or in BPE pieces ("entscheid@@" continues into the next).
            "target": {"pieces": "bpe" if vocabs.bpe else "words", "continuation": SEP},
        },
        "config": config,
        "files": {"encoder": "encoder.onnx", "decoder": "decoder.onnx", "torch": "translator.pt"},
        "io": {
            "encoder": encoder_io(config).to_json(),
            "decoder": decoder_io(config).to_json(),
            "opset": 17,
        },
        "data": {
            "name": "Ding English–German dictionary (Frank Richter, TU Chemnitz, "
            "https://dict.tu-chemnitz.de/), its example sentences",
            "source_package": f"Debian package `{APT_PACKAGE}` (/usr/share/trans/de-en), read "
            "at training time; the pairs are not redistributed here",
            "licence": f"{LICENCE} (GNU General Public License, version 2 or later)",
            "pairs": counts,
            "split_note": (
                "Sub-entries where both sides are one sentence of 4–15 words; the first of "
                "several alternatives; sides with placeholders (etw., jdm., sb., sth., …), "
                "inline alternatives (/) or optional words in parentheses dropped; "
                "deduplicated by English and by German sentence, so no test sentence was "
                "seen in training. Seeded 80/10/10 split: "
                + ", ".join(f"{name} {counts[name]:,}" for name in counts)
                + f" pairs. Training also used {lexicon:,} one-word pairs: the lookup "
                "baseline's German word for each English word of the vocabulary."
            ),
        },
        "metrics": metrics if metrics[NAME] else {},
        "baselines": baselines,
        "better": {
            k: "higher" for k in ("test_bleu", "test_chrf", "test_bleu_greedy", "test_chrf_greedy")
        },
        "results": results,
        "beam": beam,
        "examples": log.get("examples", {}),
        "performance": {},
        "licence": f"MIT (code); the weights are trained on {LICENCE} data",
        "source_commit": commit,
        "intended_use": (
            "Teaching: watch attention line up English and German words, compare greedy and "
            "beam search, and see how far ~11,500 sentence pairs get a small model. Not a "
            "translation tool: it knows a few thousand words and gets most sentences wrong."
        ),
        "file_notes": {
            "encoder": "English token ids and mask in; the memory (one vector per word) and "
            "the decoder's initial state out.",
            "decoder": "one decoding step: previous German word and state in; log-probabilities "
            "of the next word, the new state and the attention weights out.",
            "torch": "the PyTorch checkpoint the graphs were exported from.",
        },
        "preprocessing": (
            "NFC-normalise, replace `’` by `'`, find every match of the regular expression "
            f"`{TOKEN_PATTERN}`, lowercase it. An English word's id is its position in the "
            "card's `vocab.src`; the decoder writes German tokens of `vocab.tgt` ("
            + (
                f"byte-pair-encoding pieces: one ending in `{SEP}` continues into the next, "
                f"`entscheid{SEP}` + `ung` = `entscheidung`"
                if vocabs.bpe
                else "whole words"
            )
            + f"). 0 padding, 1 unknown, 2 `<s>`, 3 `</s>`. Training used at most {MAX_TOKENS} "
            "tokens per sentence."
        ),
        "io_notes": (
            "Run the encoder once; then call the decoder with `prev` = `<s>` and the encoder's "
            "`h0`, `c0`, feeding back each chosen word and `h_out`, `c_out` until `</s>`. For "
            "beam search, give the decoder one row per hypothesis (repeat `memory` and `mask`). "
            "`mask` is 1.0 for words and 0.0 for padding."
        ),
        "metrics_note": (
            "Test set (sentences never seen in training), lowercased and tokenized, sacrebleu "
            "corpus BLEU and chrF (0–100):\n\n"
            + results_table(results, beam)
            + "\n\nAn output `<unk>` is replaced by the English word with the most attention; "
            "the lookup baseline replaces each English word by a single-word dictionary "
            "entry (the most frequent German candidate in the training sentences). Summary:"
        ),
        "limits": [
            "Tiny data for translation (~11,500 training pairs, mostly idioms and usage "
            "examples): it gets the gist of short everyday sentences at best, and often "
            "invents fluent German that means something else.",
            "Lowercase in, lowercase out (the page capitalises the first letter only), so "
            "German nouns come out lowercase.",
            f"Known words: {len(vocabs.src):,} English (others are `<unk>` to it) and "
            + (
                f"{len(vocabs.tgt):,} German word pieces, from which it spells German words, "
                "sometimes ones that do not exist."
                if vocabs.bpe
                else f"{len(vocabs.tgt):,} German; where it writes `<unk>`, the English word it "
                "attends to most is copied instead."
            ),
            "Trained on sentences of 4–15 words: longer input degrades fast.",
            f"The weights are derived from {LICENCE} data (the Ding dictionary): "
            "redistributing them may carry the GPL's obligations.",
        ],
    }
    paths.update(publish_card(out_dir, card))
    return paths


def export_translator(
    checkpoint: str | Path = "models/translator/translator.pt",
    out_dir: str | Path = "models/translator",
) -> dict[str, Path]:
    """Export the trained model: read the checkpoint and the metrics.json training wrote."""
    model, vocabs = load_translator(checkpoint)
    return export_translator_model(model, vocabs, out_dir, log=read_training_log(checkpoint))
