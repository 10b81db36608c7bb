"""Export the melody LSTM: one step graph, its card, and the seeds the browser demo offers.

The model is a `CharLSTM` over music tokens, so the step graph and its contract are the
character model's (`rnn_site.export.char_lm`): (token, h, c) → (logits, h_out, c_out). What is
melody-specific lives in the card: the token names in id order, the grammar a sampler must
follow, the NLL of the LSTM against the n-gram, and the statistics of generated melodies.

``seeds.json`` holds the openings of the test chorales (normalised to C major / A minor) so the
demo can start from real Bach without music21 or the data file at site-build time.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Unpack

import numpy as np
import torch

from rnn_site.card import Example, GreedyMelody, MusicGenerationCard, Scores
from rnn_site.data.chorales import Event, MelodyVocab, load_chorales, mark_bars, split_by_tune
from rnn_site.export import steps
from rnn_site.export.card_text import CardProse, card_text
from rnn_site.export.char_lm import export_step, step_io
from rnn_site.files import write_json
from rnn_site.models.melody import MelodyLSTM
from rnn_site.train.melody import load_melody

NAME = "melody"
VERSION = "1.0.0"
#: The graph's licence and training data, in its ONNX metadata.
PROVENANCE = {
    "licence": "MIT",
    "data": "Bach chorales (soprano) from the music21 corpus, BSD-3-Clause",
}
SEED_EVENTS = 8
EXAMPLE_EVENTS = 32
NLL_KEYS = ("val_nll_per_event", "test_nll_per_event")

#: Which token kinds may follow each kind (MelodyVocab.allowed_after; a test checks they agree).
GRAMMAR = {
    "<bos>": ["major", "minor"],
    "major": ["bar", "pitch"],
    "minor": ["bar", "pitch"],
    "bar": ["pitch"],
    "pitch": ["duration"],
    "duration": ["bar", "pitch", "fermata", "<eos>"],
    "fermata": ["bar", "pitch", "<eos>"],
}

_NOTE_NAMES = ("C", "C#", "D", "Eb", "E", "F", "F#", "G", "G#", "A", "Bb", "B")


def note_name(pitch: int | None) -> str:
    """MIDI number → scientific pitch name (60 → "C4"); None → "rest"."""
    return "rest" if pitch is None else f"{_NOTE_NAMES[pitch % 12]}{pitch // 12 - 1}"


def describe(events: list[Event]) -> str:
    """Events as text: "| C5:1 D5:0.5 ..." with | for bar lines and ^ for fermatas."""
    return " ".join(
        ("| " if e.bar else "")
        + f"{note_name(e.pitch)}:{e.duration:g}"
        + ("^" if e.fermata else "")
        for e in events
    )


def greedy_example(
    model: MelodyLSTM, vocab: MelodyVocab, mode: str, seed: list[Event]
) -> list[Event]:
    """Greedy continuation (argmax of the grammatical tokens, ties → lowest id) with torch.

    The runtime must reproduce it exactly through onnxruntime: a parity test checks that.
    """
    ids = list(vocab.encode(mode, seed, end=False))
    made, state = 0, None
    with torch.no_grad():
        logits, state = model(torch.tensor([ids]), None)
        last = logits[0, -1].double().numpy()
        while made < EXAMPLE_EVENTS:
            masked = np.where(vocab.allowed_after(ids[-1]), last, -np.inf)
            token = int(np.argmax(masked))
            ids.append(token)
            made += vocab.kind(token) == "duration"
            logits, state = model(torch.tensor([[token]]), state)
            last = logits[0, -1].double().numpy()
    return vocab.decode(ids)[len(seed) :]


def seeds(limit: int = SEED_EVENTS) -> list[dict[str, Any]]:
    """Openings of the test chorales for the demo: plain data, in MIDI numbers and quarters."""
    splits = split_by_tune(load_chorales())
    return [
        {
            "title": f"{c.file.split('/')[-1].upper()} (Riemenschneider {c.number}), from {c.key}",
            "file": c.file,
            "mode": c.mode,
            "time_signature": c.time_signature,
            "beats_per_bar": _quarters_per_bar(c.time_signature),
            "pickup": c.pickup,
            "events": [[e.pitch, e.duration, int(e.fermata)] for e in c.events[:limit]],
        }
        for c in splits.test
        if c.time_signature in ("4/4", "3/4")
    ]


def _quarters_per_bar(signature: str) -> float:
    top, bottom = (int(x) for x in signature.split("/"))
    return top * 4 / bottom


def _table(stats: dict[str, Any]) -> str:
    """Markdown table of generated-vs-real melody statistics."""
    columns = sorted(
        (k for k in stats if isinstance(stats[k], dict) and "in_key" in stats[k]),
        key=lambda k: (k != "real_test", k != "lstm", k),  # real first, then the LSTM
    )
    rows = [
        ("pitch range per melody (semitones)", "pitch_range", "{:.1f}"),
        ("in-key notes", "in_key", "{:.1%}"),
        ("steps (at most 2 semitones)", "steps", "{:.1%}"),
        ("repeated notes", "repeated_notes", "{:.1%}"),
        ("leaps larger than a fifth", "leaps_over_fifth", "{:.1%}"),
        ("interval histogram: distance to real (TV)", "interval_tv_distance", "{:.3f}"),
    ]
    header = "| statistic | " + " | ".join(c.replace("_", " ") for c in columns) + " |"
    lines = [header, "|---" * (len(columns) + 1) + "|"]
    for label, key, fmt in rows:
        cells = [fmt.format(stats[c][key]) if key in stats[c] else "–" for c in columns]
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def melody_scores(log: dict[str, Any]) -> tuple[Scores, Scores]:
    """(metrics, baselines) for the card: NLL per event of the LSTM and the n-gram."""
    lstm, baseline = log.get("melody") or {}, log.get("baseline") or {}
    metrics = {NAME: {k: float(lstm[k]) for k in NLL_KEYS if k in lstm}}
    if not baseline.get("name"):
        return metrics, {}
    return metrics, {baseline["name"]: {k: float(baseline[k]) for k in NLL_KEYS if k in baseline}}


def melody_prose(vocab: MelodyVocab, config: dict[str, Any], log: dict[str, Any]) -> CardProse:
    """The card's prose, from ``prose/melody.md``."""
    text = card_text(NAME)
    generated = log.get("generated") or {}
    chorales = (log.get("data") or {}).get("chorales", {})
    grammar = (f"after `{k}`: {', '.join(f'`{x}`' for x in v)}" for k, v in GRAMMAR.items())
    return text.prose(
        tokens_json=json.dumps(vocab.names),
        grammar="; ".join(grammar),
        layers=str(config["num_layers"]),
        hidden=str(config["hidden_size"]),
        vocab_size=str(len(vocab)),
        temperature=str(generated.get("temperature", 1.0)),
        statistics_table=_table(generated) if generated else text.text("_no_statistics"),
        lowest=str(vocab.pitches[0]),
        highest=str(vocab.pitches[-1]),
        durations=", ".join(f"{d:g}" for d in vocab.durations),
        **{k: str(chorales.get(k, "?")) for k in ("train", "val", "test")},
    )


def _events(events: list[Event]) -> list[list[float | None]]:
    return [[e.pitch, e.duration, int(e.fermata)] for e in events]


def melody_example(
    model: MelodyLSTM, vocab: MelodyVocab, first: dict[str, Any]
) -> tuple[Example, GreedyMelody]:
    """The README's example and the card's ``example_greedy``: the greedy continuation of the
    first test chorale's opening four events, which every runtime must reproduce."""
    seed = [Event(p, d, bool(f)) for p, d, f in first["events"][:4]]
    seed = mark_bars(seed, first["beats_per_bar"], first["pickup"])
    made = greedy_example(model, vocab, first["mode"], seed)
    title = card_text(NAME).text("_example_title", seed_title=first["title"], mode=first["mode"])
    example: Example = {"title": title, "text": describe(seed) + "  →  " + describe(made)}
    return example, {
        "mode": first["mode"],
        "beats_per_bar": first["beats_per_bar"],
        "pickup": first["pickup"],
        "seed": _events(seed),
        "n": EXAMPLE_EVENTS,
        "output": _events(made),
    }


def export_melody_model(
    model: MelodyLSTM,
    vocab: MelodyVocab,
    out_dir: str | Path,
    **options: Unpack[steps.ExportOptions],
) -> dict[str, Path]:
    """Write step.onnx, seeds.json, card.json, README.md into `out_dir`; refresh the manifest."""
    with steps.start_export(NAME, out_dir, **options) as run:
        model = model.eval()
        metadata = run.metadata(
            **PROVENANCE,
            tokens_json=json.dumps(vocab.names),
            encoding="token id = position of the token name in tokens_json",
        )
        paths = {"step": run.work_dir / "step.onnx", "seeds": run.work_dir / "seeds.json"}
        export_step(model, paths["step"], metadata)
        seed_list = seeds()
        write_json(paths["seeds"], {"schema": 1, "seeds": seed_list})
        example, greedy = melody_example(model, vocab, seed_list[0])
        metrics, baselines = melody_scores(run.log)
        data = run.log.get("data") or {}
        prose = melody_prose(vocab, model.config.to_dict(), run.log)
        card: MusicGenerationCard = {
            **steps.card_head(run, prose),
            "task": "music-generation",
            "tokens": vocab.names,
            "config": model.config.to_dict(),
            "files": {"step": "step.onnx", "seeds": "seeds.json", "torch": "melody.pt"},
            "io": {"step": step_io(model.config).to_json(), "opset": 17},
            "grammar": GRAMMAR,
            "generated_statistics": run.log.get("generated") or {},
            **steps.card_common(
                run,
                prose,
                data=steps.data_record(
                    prose, chorales=data.get("chorales", {}), events=data.get("events", {})
                ),
                metrics=metrics,
                baselines=baselines,
                better={k: "lower" for k in NLL_KEYS},
            ),
            "example": example,
            "example_greedy": greedy,
        }
        return run.publish(paths, card)


def export_melody(
    checkpoint: str | Path = "models/melody/melody.pt", out_dir: str | Path = "models/melody"
) -> dict[str, Path]:
    """Export the trained model: read the checkpoint and metrics.json that training wrote."""
    return steps.export_checkpoint(load_melody, export_melody_model, checkpoint, out_dir)
