"""Export the speech recogniser: one graph from waveform to CTC posteriors, its card and samples.

``speech.onnx``: ``waveform`` float32 [batch, samples] (16 kHz mono, at least 400 samples) →
``features`` float32 [batch, frames, 40] (the log-mel spectrogram the model sees, 10 ms frames)
and ``log_probs`` float32 [batch, steps, 37] (log-probabilities of the CTC blank and the 36
symbols, 40 ms steps). The features are computed inside the graph, so a user needs no signal
processing, and the browser runs exactly the Python features. Each bidirectional LSTM layer is
two native ``LSTM`` nodes, the backward one reading the time-reversed sequence.

``samples/``: a few held-out clips (16 kHz WAV) and real KLettres recordings (Ogg, GPL-2+) for
the demo, with ``samples.json`` naming what each says. Not in the manifest (demo media, not
model files), but copied to the site with the model.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from rnn_site.data.audio import HOP, N_FFT, N_MELS, SAMPLE_RATE, write_wav
from rnn_site.data.speech import (
    APT_PACKAGES,
    TEST_ACCENTS,
    TEST_OTHER,
    TEST_VARIANTS,
    VAL_VARIANTS,
    VOCAB,
    SynthesisConfig,
    klettres_files,
    load_speech,
)
from rnn_site.export.cards import publish_card, read_training_log
from rnn_site.export.onnx_lstm import (
    GraphIO,
    OnnxLSTMLayer,
    TensorSpec,
    export_graph,
    graph_metadata,
)
from rnn_site.files import atomic_path
from rnn_site.models.speech import SpeechCTC
from rnn_site.provenance import git_commit
from rnn_site.train.speech import load_speech_model

NAME = "speech"
VERSION = "1.0.0"
STEP_SECONDS = 4 * HOP / SAMPLE_RATE
#: The demo's samples: (voice, label) of held-out synthetic clips, and KLettres letters.
SAMPLE_PICKS = (
    ("espeak:en-029+f1", "5"),
    ("espeak:en-gb+f4", "Q"),
    ("festival:ked_diphone", "J"),
    ("flite:rms", "W"),
)
REAL_PICKS = (("en", "B"), ("en_GB", "Y"), ("en", "M"))
CONNECTED_PICKS = 3


def graph_io() -> GraphIO:
    """The contract of speech.onnx."""
    return GraphIO(
        inputs={"waveform": TensorSpec("float32", ("batch", "samples"))},
        outputs={
            "features": TensorSpec("float32", ("batch", "frames", N_MELS)),
            "log_probs": TensorSpec("float32", ("batch", "steps", len(VOCAB) + 1)),
        },
    )


class SpeechGraph(nn.Module):
    """waveform (batch, samples) → features (batch, frames, 40), log_probs (batch, steps, 37)."""

    def __init__(self, model: SpeechCTC) -> None:
        super().__init__()
        self.features = model.features
        self.conv1, self.conv2, self.head = model.conv1, model.conv2, model.head
        self.frontend = model.frontend
        lstm = model.lstm
        self.forward_layers = nn.ModuleList(
            OnnxLSTMLayer.from_torch(lstm, k, reverse=False) for k in range(lstm.num_layers)
        )
        self.backward_layers = nn.ModuleList(
            OnnxLSTMLayer.from_torch(lstm, k, reverse=True) for k in range(lstm.num_layers)
        )
        self.hidden_size = lstm.hidden_size

    def forward(self, waveform: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        feats = self.features(waveform)  # (batch, frames, 40)
        x = self.frontend(feats).transpose(0, 1)  # (steps, batch, C)
        zeros = torch.zeros_like(x[:1, :, :1]).expand(1, -1, self.hidden_size)
        for fwd, bwd in zip(self.forward_layers, self.backward_layers, strict=True):
            ahead, _, _ = fwd(x, zeros, zeros)
            behind, _, _ = bwd(x.flip(0), zeros, zeros)
            x = torch.cat([ahead, behind.flip(0)], dim=-1)
        log_probs = F.log_softmax(self.head(x), dim=-1).transpose(0, 1)
        return feats, log_probs


def export_graph_file(model: SpeechCTC, path: str | Path, metadata: dict[str, str]) -> Any:
    """Write speech.onnx (dynamic batch and length) and return the ONNX model."""
    example = torch.randn(2, 16_000) * 0.1
    return export_graph(
        SpeechGraph(model.eval()),
        (example,),
        path,
        graph_io(),
        {**metadata, "graph": "speech"},
        doc="Speech recogniser: 16 kHz waveform -> log-mel features and CTC log-probabilities.",
        # Keep the DFT filters as the few ops that compute them: folded, they are 640 kB.
        constant_folding=False,
    )


def write_samples(out_dir: Path) -> list[dict[str, Any]]:
    """Copy a few held-out clips (WAV) and real letters (Ogg) into `out_dir`/samples."""
    folder = out_dir / "samples"
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    entries: list[dict[str, Any]] = []
    try:
        data = load_speech(SynthesisConfig(), progress=False)
    except FileNotFoundError:
        data = None
    if data is not None:
        for voice, label in SAMPLE_PICKS:
            u = next((u for u in data.test if u.voice == voice and u.label == label), None)
            if u is None:
                continue
            name = f"{voice.replace(':', '-').replace('+', '-')}-{label}.wav"
            write_wav(folder / name, u.audio)
            entries.append({"file": name, "text": label, "voice": voice, "kind": "held-out voice"})
        strings = [u for u in data.test if u.kind == "digits" and len(u.label) <= 5]
        for u in strings[:CONNECTED_PICKS]:
            name = f"{u.voice.replace(':', '-').replace('+', '-')}-{u.label}.wav"
            write_wav(folder / name, u.audio)
            entries.append(
                {"file": name, "text": u.label, "voice": u.voice, "kind": "held-out voice"}
            )
    for name, letter, path in klettres_files():
        if (name, letter) in REAL_PICKS:
            target = f"klettres-{name}-{letter}.ogg"
            shutil.copyfile(path, folder / target)
            entries.append(
                {"file": target, "text": letter, "voice": f"klettres:{name}",
                 "kind": "real recording", "licence": "GPL-2+ (KLettres, KDE)"}
            )  # fmt: skip
    notice = (
        "Demo clips for the speech model. The WAV files were synthesised by the project "
        "(espeak-ng, flite, festival voices held out from training; MIT like the model). "
        "The klettres-*.ogg files are recordings from KDE's KLettres (Debian package "
        "klettres-data), (c) 2001-2011 Anne-Marie Mahfouf and contributors, GPL-2+.\n"
    )
    (folder / "NOTICE.txt").write_text(notice, encoding="utf-8")
    with atomic_path(folder / "samples.json") as tmp:
        tmp.write_text(json.dumps({"samples": entries}, indent=2) + "\n", encoding="utf-8")
    return entries


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{100 * value:.1f}%"


def _cell(source: dict[str, Any], key: str, how: str) -> str:
    scores = source.get(key, {}).get(how)
    if not scores:
        return "–"
    return f"{_pct(scores['cer'])} / {_pct(scores['string_accuracy'])}"


def results_table(results: dict[str, Any]) -> str:
    """Markdown: CER and string accuracy of the LSTM (greedy, beam) and DTW per set."""
    names = {
        "tts_isolated": "held-out TTS voices, isolated words",
        "tts_connected": "held-out TTS voices, digit strings",
        "real_en": "real recordings, KLettres en (26 letters)",
        "real_en_GB": "real recordings, KLettres en_GB (26 letters)",
    }
    lines = [
        "| test set | LSTM greedy: CER / strings right | LSTM beam: CER / strings right "
        "| DTW: CER / right |",
        "|---|---|---|---|",
    ]
    lstm, dtw = results.get("lstm", {}), results.get("dtw", {})
    for key, label in names.items():
        if key in lstm:
            lines.append(
                f"| {label} (n={lstm[key]['greedy']['n']}) | {_cell(lstm, key, 'greedy')} | "
                f"{_cell(lstm, key, 'beam')} | {_cell(dtw, key, 'greedy')} |"
            )
    return "\n".join(lines)


def export_speech_model(
    model: SpeechCTC,
    out_dir: str | Path,
    *,
    log: dict[str, Any] | None = None,
    commit: str | None = None,
    samples: bool = True,
) -> dict[str, Path]:
    """Write speech.onnx, samples/, card.json, README.md into `out_dir`; refresh the manifest."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    log = log or {}
    commit = commit or git_commit()
    metadata = graph_metadata(
        NAME,
        VERSION,
        licence="MIT",
        data="synthesised with espeak-ng, flite and festival voices (Debian)",
        commit=commit,
        alphabet=VOCAB,
    )
    paths = {"speech": out_dir / "speech.onnx"}
    export_graph_file(model, paths["speech"], metadata)
    sample_entries = write_samples(out_dir) if samples else []
    results = log.get("results") or {}

    def scores(source: str, key: str, how: str = "greedy") -> dict[str, float]:
        s = results.get(source, {}).get(key, {}).get(how)
        return {} if not s else {"cer": float(s["cer"]), "acc": float(s["string_accuracy"])}

    metrics = {NAME: {}}  # type: dict[str, dict[str, float]]
    baseline: dict[str, float] = {}
    for key, short in (("tts_isolated", "tts_words"), ("real_en", "real_en"),
                       ("real_en_GB", "real_en_gb")):  # fmt: skip
        mine, theirs = scores("lstm", key), scores("dtw", key)
        if mine:
            metrics[NAME][f"{short}_cer"] = mine["cer"]
        if theirs:
            baseline[f"{short}_cer"] = theirs["cer"]
    connected = scores("lstm", "tts_connected")
    if connected:
        metrics[NAME]["tts_strings_cer"] = connected["cer"]
    counts = (log.get("data") or {}).get("counts", {})
    card: dict[str, Any] = {
        "name": NAME,
        "version": VERSION,
        "task": "speech-recognition",
        "title": "Speech recogniser: spoken digits and letters (BiLSTM + CTC)",
        "summary": (
            "Hears English digits (zero … nine), letter names (A … Z) and strings of digits, "
            "and writes them down. Log-mel features computed inside the graph, two "
            "convolutions, two bidirectional LSTM layers, CTC output. Trained only on "
            "synthetic speech from three Debian text-to-speech engines; tested on voices it "
            "never heard and on real recordings of the alphabet."
        ),
        "alphabet": VOCAB,
        "blank": 0,
        "config": model.config.to_dict(),
        "audio": {
            "sample_rate": SAMPLE_RATE,
            "n_fft": N_FFT,
            "hop": HOP,
            "n_mels": N_MELS,
            "step_seconds": STEP_SECONDS,
            "min_samples": N_FFT,
        },
        "files": {"speech": "speech.onnx", "torch": "speech.pt"},
        "io": {
            "speech": graph_io().to_json(),
            "opset": 17,
            "nodes": "four native `LSTM` nodes (forward and time-reversed, two layers)",
        },
        "samples": sample_entries,
        "data": {
            "name": "Synthesised spoken digits and letters (this project)",
            "source_package": (
                "made offline by `rnn_site.data.speech` with Debian's "
                + ", ".join(APT_PACKAGES)
                + "; real-speech test set: KLettres' English alphabet (klettres-data)"
            ),
            "licence": "synthetic data: MIT; KLettres recordings (test only): GPL-2+",
            "counts": counts,
            "split_note": (
                "Whole voices are held out. Test: espeak-ng accent "
                + ", ".join(TEST_ACCENTS)
                + " (every variant), variants "
                + ", ".join(TEST_VARIANTS)
                + " (every accent), "
                + ", ".join(TEST_OTHER)
                + ". Validation (early stopping): variant "
                + ", ".join(VAL_VARIANTS)
                + ". Everything else trains. "
                + (
                    f"Train: {counts['train']['word']:,} words + {counts['train']['digits']:,} "
                    f"digit strings from {counts['train']['voices']} voices "
                    f"({counts['train']['seconds'] / 60:.0f} min); test: "
                    f"{counts['test']['word']:,} words + {counts['test']['digits']} strings "
                    f"from {counts['test']['voices']} voices."
                    if counts
                    else ""
                )
            ),
        },
        "metrics": metrics if metrics[NAME] else {},
        "baselines": {"dtw-templates": baseline} if baseline else {},
        "better": {
            k: "lower"
            for k in ["tts_words_cer", "tts_strings_cer", "real_en_cer", "real_en_gb_cer"]
        },
        "results": results,
        "per_voice": log.get("per_voice", {}),
        "performance": {},
        "licence": "MIT",
        "source_commit": commit,
        "intended_use": (
            "Teaching: see how a recurrent network with CTC turns a spectrogram into symbols "
            "without being told where each one is. Not a general recogniser: it knows 36 "
            "words and was trained only on synthetic voices."
        ),
        "file_notes": {
            "speech": "16 kHz waveform in; log-mel features and CTC log-probabilities out.",
            "torch": "the PyTorch checkpoint the graph was exported from.",
        },
        "preprocessing": (
            "None outside the graph: give mono float32 samples at 16 kHz (resample first; "
            "`rnn_site.runtime.SpeechRecognizer` does). Inside: peak normalisation, 25 ms Hann "
            "frames every 10 ms, power spectrum as a convolution, 40 mel bands (20–7600 Hz), "
            "log(power + 0.001), per-band mean removed."
        ),
        "io_notes": (
            "`log_probs[:, t]` covers 40 ms of audio; class 0 is the CTC blank, class k the "
            "k-th symbol of `alphabet` (0–9 then A–Z). Greedy decoding: take the argmax per "
            "step, merge repeats, drop blanks. At least 400 samples (25 ms)."
        ),
        "metrics_note": (
            "Character error rate (CER: edits ÷ symbols said; each spoken word is one symbol, "
            "so it is also the word error rate) and the share of clips transcribed exactly:\n\n"
            + results_table(results)
            + "\n\nDTW: nearest of "
            + str(log.get("dtw_templates", "?"))
            + " templates (training voices) under dynamic time warping of the same log-mel "
            "features; isolated words only. Summary (CER):"
        ),
        "limits": [
            "36 words only: digits, letter names, digit strings. Anything else comes out as "
            "the nearest of them, or nothing.",
            "Trained on synthetic voices only: real voices, rooms and microphones are far from "
            "what it heard; the real-recording rows above say how far.",
            "Letters that sound alike (B/D/E/P/T/V, M/N, F/S) are confused, as by people on "
            "the telephone.",
            "Bidirectional: it transcribes a whole clip at once, not while you speak. "
            "Clips up to 30 s.",
        ],
    }
    paths.update(publish_card(out_dir, card))
    return paths


def export_speech(
    checkpoint: str | Path = "models/speech/speech.pt", out_dir: str | Path = "models/speech"
) -> dict[str, Path]:
    """Export the trained model: read the checkpoint and the metrics.json training wrote."""
    model, _ = load_speech_model(checkpoint)
    return export_speech_model(model, out_dir, log=read_training_log(checkpoint))
