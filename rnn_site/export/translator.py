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
from typing import Any, Unpack

import torch
from torch import nn

from rnn_site.card import Tokenizer, TranslationCard, TranslationVocab
from rnn_site.data.bpe import SEP
from rnn_site.data.ding import APT_PACKAGE, LICENCE, TOKEN_PATTERN, WORDS_FILE, write_words
from rnn_site.export import steps
from rnn_site.export.card_text import CardProse, CardText, card_text
from rnn_site.export.onnx_lstm import GraphIO, OnnxLSTMLayer, TensorSpec, export_graph
from rnn_site.export.results_tables import translator_results_table as results_table
from rnn_site.models.translator import Translator, reverse_padded
from rnn_site.train.translator import MAX_TOKENS, Vocabs, load_translator
from rnn_site.weight_storage import WeightStorage

NAME = "translator"
#: The graphs' licence and training data, in their ONNX metadata.
PROVENANCE = {
    "licence": LICENCE,
    "data": f"Ding English-German dictionary (Debian {APT_PACKAGE}), {LICENCE}",
}
GRAPH_DOCS = {
    "encoder": "Translator encoder: English token ids and mask -> memory and initial state.",
    "decoder": "Translator decoder step: previous German word and state -> next-word log-probs.",
}
BETTER = ("test_bleu", "test_chrf", "test_bleu_greedy", "test_chrf_greedy")
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
    model: Translator,
    out_dir: str | Path,
    metadata: dict[str, str],
    weights: WeightStorage = "float32",
) -> dict[str, Path]:
    """Write encoder.onnx and decoder.onnx for `model`; return their paths. ``weights``: how
    they are stored (see `rnn_site.export.onnx_lstm.export_graph`)."""
    out_dir = Path(out_dir)
    model.eval()
    config = model.config.to_dict()
    encoder_inputs, decoder_inputs = example_inputs(model)
    paths = {"encoder": out_dir / "encoder.onnx", "decoder": out_dir / "decoder.onnx"}
    no_folding = {"constant_folding": False}
    graphs: tuple[tuple[str, nn.Module, tuple[torch.Tensor, ...], GraphIO, dict], ...] = (
        ("encoder", EncoderGraph(model), encoder_inputs, encoder_io(config), {}),
        # The tied embedding feeds both a Gather and the output MatMul: without folding it is
        # stored once instead of twice (onnxruntime folds the transpose at load time).
        ("decoder", DecoderStepGraph(model), decoder_inputs, decoder_io(config), no_folding),
    )
    for role, graph, inputs, contract, options in graphs:
        metadata_role = {**metadata, "graph": role}
        doc = GRAPH_DOCS[role]
        export_graph(
            graph, inputs, paths[role], contract, metadata_role, doc=doc, weights=weights, **options
        )
    return paths


def _scores(results: dict[str, Any], key: str, suffix: str = "") -> dict[str, float]:
    """One search's BLEU and chrF as card metrics: {"test_bleu<suffix>": ..., ...}."""
    figures = results.get(key, {})
    return {f"test_{m}{suffix}": float(figures[m]) for m in ("bleu", "chrf") if m in figures}


def translator_prose(vocab: TranslationVocab, bpe: bool, log: dict[str, Any]) -> CardProse:
    """The card's prose, from ``prose/translator.md`` (wording by BPE or whole-word target)."""
    text = card_text(NAME)
    data = log.get("data") or {}
    counts = data.get("pairs", {})
    pieces = "bpe" if bpe else "words"
    return text.prose(
        total_pairs=f"{sum(counts.values()):,}",
        data_licence=LICENCE,
        token_pattern=TOKEN_PATTERN,
        target_pieces=text.text(f"_target_pieces.{pieces}", sep=SEP),
        max_tokens=str(MAX_TOKENS),
        results_table=results_table(log.get("results") or {}, int(log.get("beam", 5))),
        src_words=f"{len(vocab['src']):,}",
        known_target=text.text(f"_known_target.{pieces}", tgt_words=f"{len(vocab['tgt']):,}"),
        apt_package=APT_PACKAGE,
        split_counts=", ".join(f"{name} {counts[name]:,}" for name in counts),
        phrase_pairs=f"{int(data.get('phrase_pairs', 0)):,}",
        phrases_per_epoch=f"{int(data.get('phrases_per_epoch', 0)):,}",
        dictionary_entries=f"{int(data.get('unk_dictionary', 0)):,}",
        validation_note=validation_note(text, log),
    )


def validation_note(text: CardText, log: dict[str, Any]) -> str:
    """Whether the validation history and the test scores share one ``<unk>`` rule: a run
    re-scored after training (``rescored`` in its log) kept the curve training logged."""
    rescored = log.get("rescored")
    if not rescored:
        return text.text("_validation_note.trained")
    if "beam" in rescored:  # decoded again with another beam width, same <unk> rule
        return text.text(
            "_validation_note.rescored_beam",
            rescore_command=rescored["command"],
            beam=str(rescored["beam"]),
        )
    return text.text("_validation_note.rescored", rescore_command=rescored["command"])


def tokenizer(vocabs: Vocabs) -> Tokenizer:
    """The card's ``tokenizer``: how English is cut into ids and German pieces joined."""
    return {
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
    }


def export_translator_model(
    model: Translator,
    vocabs: Vocabs,
    out_dir: str | Path,
    **options: Unpack[steps.ExportOptions],
) -> dict[str, Path]:
    """Write encoder.onnx, decoder.onnx, card.json, README.md into `out_dir`; refresh the
    manifest."""
    with steps.start_export(NAME, out_dir, **options) as run:
        metadata = run.metadata(**PROVENANCE, tokenizer=TOKEN_PATTERN)
        paths = export_graphs(model, run.work_dir, metadata, weights="float16")
        files = {"encoder": "encoder.onnx", "decoder": "decoder.onnx", "torch": "translator.pt"}
        if vocabs.dictionary:  # its own file: the full table would push card.json past 2 MB
            paths["dictionary"] = write_words(run.work_dir / WORDS_FILE, vocabs.dictionary)
            files["dictionary"] = WORDS_FILE
        results = run.log.get("results") or {}
        beam = int(run.log.get("beam", 5))
        config = model.config.to_dict()
        greedy = _scores(results, "greedy", "_greedy")
        baselines = (
            {"word-lookup": _scores(results, "word-lookup")} if "word-lookup" in results else {}
        )
        vocab: TranslationVocab = {"src": vocabs.src.words, "tgt": vocabs.tgt.words}
        prose = translator_prose(vocab, vocabs.bpe is not None, run.log)
        card: TranslationCard = {
            **steps.card_head(run, prose),
            "task": "translation",
            "vocab": vocab,
            "tokenizer": tokenizer(vocabs),
            "config": config,
            "files": files,
            "io": {
                "encoder": encoder_io(config).to_json(),
                "decoder": decoder_io(config).to_json(),
                "opset": 17,
            },
            "results": results,
            "beam": beam,
            "examples": run.log.get("examples", {}),
            **steps.card_common(
                run,
                prose,
                data=steps.data_record(prose, pairs=(run.log.get("data") or {}).get("pairs", {})),
                metrics={NAME: {**_scores(results, f"beam-{beam}"), **greedy}},
                baselines=baselines,
                better={k: "higher" for k in BETTER},
                licence=prose.get("licence", ""),
            ),
        }
        return run.publish(paths, card)


def export_translator(
    checkpoint: str | Path = "models/translator/translator.pt",
    out_dir: str | Path = "models/translator",
) -> dict[str, Path]:
    """Export the trained model: read the checkpoint and the metrics.json training wrote."""
    return steps.export_checkpoint(load_translator, export_translator_model, checkpoint, out_dir)
