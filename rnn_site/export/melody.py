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
from typing import Any

import numpy as np
import torch

from rnn_site.data.chorales import Event, MelodyVocab, load_chorales, mark_bars, split_by_tune
from rnn_site.export.cards import publish_card, read_training_log
from rnn_site.export.char_lm import export_step, step_io
from rnn_site.export.onnx_lstm import graph_metadata
from rnn_site.files import write_json
from rnn_site.models.melody import MelodyLSTM
from rnn_site.provenance import git_commit
from rnn_site.train.melody import load_melody

NAME = "melody"
VERSION = "1.0.0"
SEED_EVENTS = 8
EXAMPLE_EVENTS = 32

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


def export_melody_model(
    model: MelodyLSTM,
    vocab: MelodyVocab,
    out_dir: str | Path,
    *,
    log: dict[str, Any] | None = None,
    commit: str | None = None,
) -> dict[str, Path]:
    """Write step.onnx, seeds.json, card.json, README.md into `out_dir`; refresh the manifest."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    model = model.eval()
    log = log or {}
    commit = commit or git_commit()
    lstm = log.get("melody") or {}
    baseline = log.get("baseline") or {}
    keys = ("val_nll_per_event", "test_nll_per_event")
    metrics = {NAME: {k: float(lstm[k]) for k in keys if k in lstm}}
    baselines = (
        {baseline["name"]: {k: float(baseline[k]) for k in keys if k in baseline}}
        if baseline.get("name")
        else {}
    )
    metadata = graph_metadata(
        NAME,
        VERSION,
        licence="MIT",
        data="Bach chorales (soprano) from the music21 corpus, BSD-3-Clause",
        commit=commit,
        tokens_json=json.dumps(vocab.names),
        encoding="token id = position of the token name in tokens_json",
    )
    paths = {"step": out_dir / "step.onnx", "seeds": out_dir / "seeds.json"}
    export_step(model, paths["step"], metadata)
    seed_list = seeds()
    write_json(paths["seeds"], {"schema": 1, "seeds": seed_list})

    first = seed_list[0]
    seed_events = [Event(p, d, bool(f)) for p, d, f in first["events"][:4]]
    seed_events = mark_bars(seed_events, first["beats_per_bar"], first["pickup"])
    example = greedy_example(model, vocab, first["mode"], seed_events)
    generated = log.get("generated") or {}
    data = log.get("data") or {}
    chorales = data.get("chorales", {})
    card: dict[str, Any] = {
        "name": NAME,
        "version": VERSION,
        "task": "music-generation",
        "title": "Melody LSTM (Bach chorale sopranos)",
        "summary": (
            "Writes chorale-like melodies one note at a time: pitch, duration, bar lines and "
            "fermatas as tokens. Trained on the soprano lines of Bach's chorales, normalised to "
            "C major / A minor. Small enough to run in the browser."
        ),
        "tokens": vocab.names,
        "config": model.config.to_dict(),
        "files": {"step": "step.onnx", "seeds": "seeds.json", "torch": "melody.pt"},
        "io": {"step": step_io(model.config).to_json(), "opset": 17},
        "grammar": GRAMMAR,
        "data": {
            "name": "Bach chorales, soprano part",
            "source_package": "music21 corpus (Riemenschneider numbering; 350 distinct files)",
            "licence": "BSD-3-Clause (music21); the music is in the public domain",
            "chorales": chorales,
            "events": data.get("events", {}),
            "split_note": (
                "Split by tune (chorales whose first eight pitches agree share a tune, and a "
                f"tune goes to one split only): {chorales.get('train', '?')} training, "
                f"{chorales.get('val', '?')} validation, {chorales.get('test', '?')} test "
                "chorales."
            ),
        },
        "metrics": metrics if metrics[NAME] else {},
        "baselines": baselines,
        "better": {"val_nll_per_event": "lower", "test_nll_per_event": "lower"},
        "generated_statistics": generated,
        "performance": {},
        "licence": "MIT",
        "source_commit": commit,
        "intended_use": (
            "Teaching and play: hear what an LSTM learns from 300 hymn melodies, and where it "
            "fails. Not a composition tool: it writes one voice, in C major or A minor, with "
            "the rhythms and range of a chorale soprano."
        ),
        "file_notes": {
            "step": "one token in, logits for the next token out, state carried (generation).",
            "seeds": "openings of the test chorales, for the demo (MIDI numbers, quarter notes).",
            "torch": "the PyTorch checkpoint the graph was exported from.",
        },
        "preprocessing": (
            "A melody is `<bos> major|minor [bar] pitch|rest duration [fermata] … <eos>`; "
            "pitches are `p<MIDI>` after transposing to C major / A minor, durations "
            "`d<quarter notes>`. Token ids are positions in `tokens`:\n\n```\n"
            + json.dumps(vocab.names)
            + "\n```\n\nSampling must follow the card's `grammar` (which token kinds may come "
            "next; mask every other token), so every output is a valid sequence of events: "
            + "; ".join(
                f"after `{k}`: {', '.join(f'`{x}`' for x in v)}" for k, v in GRAMMAR.items()
            )
            + ". Pitches and `rest` are kind `pitch`, `d…` tokens kind `duration`."
        ),
        "io_notes": (
            f"layers = {model.config.num_layers}, hidden = {model.config.hidden_size}, "
            f"vocab = {len(vocab)}. Start with zero states and feed `<bos>`, the mode, then the "
            "seed's tokens; pass `h_out`/`c_out` back in to continue."
        ),
        "metrics_note": (
            "Negative log-likelihood in nats per event (all tokens after `<bos>`, divided by "
            "the number of notes and rests) on held-out tunes; the n-gram's order was chosen on "
            "validation. Generated melodies continue the first 4 events of each test chorale "
            f"at temperature {generated.get('temperature', 1.0)}, as long as the original; "
            "compared with the real test melodies:\n\n"
            + (_table(generated) if generated else "_No generated statistics recorded._")
            + "\n\nNLL per event:"
        ),
        "example": {
            "title": f"Greedy continuation of the opening of {first['title']} "
            f"({first['mode']}; `|` bar line, `^` fermata, durations in quarter notes):",
            "text": describe(seed_events) + "  →  " + describe(example),
        },
        "example_greedy": {
            "mode": first["mode"],
            "beats_per_bar": first["beats_per_bar"],
            "pickup": first["pickup"],
            "seed": [[e.pitch, e.duration, int(e.fermata)] for e in seed_events],
            "n": EXAMPLE_EVENTS,
            "output": [[e.pitch, e.duration, int(e.fermata)] for e in example],
        },
        "limits": [
            "One voice only, always in C major or A minor; it knows the pitches "
            f"{vocab.pitches[0]}..{vocab.pitches[-1]} (MIDI) and the durations "
            f"{', '.join(f'{d:g}' for d in vocab.durations)} quarter notes.",
            "It learns local melody (steps, cadences, phrase lengths) well; it has no plan: long "
            "generations wander and rarely return home convincingly.",
            "300 training melodies: it has memorised fragments of hymn tunes; at low "
            "temperature it may quote them.",
            "The n-gram's order is capped at 10 tokens (about 4 events) by its int64 n-gram ids.",
        ],
    }
    paths.update(publish_card(out_dir, card))
    return paths


def export_melody(
    checkpoint: str | Path = "models/melody/melody.pt", out_dir: str | Path = "models/melody"
) -> dict[str, Path]:
    """Export the trained model: read the checkpoint and metrics.json that training wrote."""
    model, vocab = load_melody(checkpoint)
    return export_melody_model(model, vocab, out_dir, log=read_training_log(checkpoint))
