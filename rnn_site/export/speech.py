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
from typing import Any, Unpack, cast

import torch
import torch.nn.functional as F
from torch import nn

from rnn_site.card import Sample, Scores, SilenceTrim, SpeechRecognitionCard
from rnn_site.data.audio import HOP, N_FFT, N_MELS, SAMPLE_RATE, write_wav
from rnn_site.data.speech import (
    APT_PACKAGES,
    E_SET,
    LETTERS,
    TEST_ACCENTS,
    TEST_OTHER,
    TEST_VARIANTS,
    VAL_VARIANTS,
    VOCAB,
    SynthesisConfig,
    klettres_files,
    load_speech,
)
from rnn_site.data.speech_trim import TRIM, TrimSettings
from rnn_site.export import steps
from rnn_site.export.card_text import CardProse, CardText, card_text
from rnn_site.export.cards import ScoredTrimError  # raised here; kept importable from here
from rnn_site.export.onnx_lstm import GraphIO, OnnxLSTMLayer, TensorSpec, export_graph
from rnn_site.export.results_tables import speech_results_table as results_table
from rnn_site.files import atomic_path
from rnn_site.models.speech import SpeechCTC
from rnn_site.provenance import short_commit
from rnn_site.train.speech import load_speech_model

NAME = "speech"
VERSION = "1.0.0"
#: The graph's licence and training data, in its ONNX metadata.
PROVENANCE = {
    "licence": "MIT",
    "data": "synthesised with espeak-ng, flite and festival voices (Debian)",
}
STEP_SECONDS = 4 * HOP / SAMPLE_RATE
#: The demo's samples: (voice, label) of held-out synthetic clips, and KLettres letters.
SAMPLE_PICKS = (
    ("espeak:en-029+f1", "5"),
    ("espeak:en+f4", "Q"),
    ("festival:ked_diphone", "J"),
    ("flite:rms", "W"),
)
REAL_PICKS = (("en", "B"), ("en_GB", "Y"), ("en", "M"))
CONNECTED_PICKS = 3
#: (results key, card metric prefix) of the sets scored against the DTW baseline.
SCORED_SETS = (("tts_isolated", "tts_words"), ("real_en", "real_en"), ("real_en_GB", "real_en_gb"))
BETTER = ("tts_words", "tts_strings", "real_en", "real_en_gb")


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


def write_samples(out_dir: Path) -> list[Sample]:
    """Copy a few held-out clips (WAV) and real letters (Ogg) into `out_dir`/samples."""
    folder = out_dir / "samples"
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    entries: list[Sample] = []
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


def speech_scores(results: dict[str, Any]) -> tuple[Scores, Scores]:
    """(metrics, baselines) for the card: greedy CER of the LSTM and of the DTW templates."""

    def cer(source: str, key: str) -> float | None:
        s = results.get(source, {}).get(key, {}).get("greedy")
        return float(s["cer"]) if s else None

    mine: dict[str, float] = {}
    theirs: dict[str, float] = {}
    for key, short in SCORED_SETS:
        lstm, dtw = cer("lstm", key), cer("dtw", key)
        if lstm is not None:
            mine[f"{short}_cer"] = lstm
        if dtw is not None:
            theirs[f"{short}_cer"] = dtw
    connected = cer("lstm", "tts_connected")
    if connected is not None:
        mine["tts_strings_cer"] = connected
    return {NAME: mine}, ({"dtw-templates": theirs} if theirs else {})


def check_test_trim(log: dict[str, Any], settings: TrimSettings = TRIM) -> None:
    """Refuse a log whose test scores (``results``) were not cut by ``settings``, the trim
    the card publishes (``audio.trim``); ``test_trim`` in the log says which cut them."""
    if not log.get("results"):
        return  # no scores (a test's random weights): nothing to publish with a trim
    scored, runtime = log.get("test_trim"), settings.to_dict()
    if scored != runtime:
        which = "no trim recorded (no test_trim)" if scored is None else f"test_trim {scored}"
        raise ScoredTrimError(
            f"the log's test scores were cut by {which}; the runtime cuts by {runtime}: score "
            "them again with it (python -m rnn_site.experiments.speech_noise_floor --rescore DIR)"
        )


def _clips(changes: list[dict[str, str]]) -> str:
    """ " (one clip: T heard as C)", the clips a rescore heard differently, or ""."""
    said = []
    for c in changes:
        if c["before"] == c["said"]:
            said.append(f"{c['said']} heard as {c['after'] or '(nothing)'}")
        elif c["after"] == c["said"]:
            said.append(f"{c['said']} now heard right")
        else:
            said.append(
                f"{c['said']} heard as {c['after'] or '(nothing)'} instead of {c['before']}"
            )
    count = {1: "one clip", 2: "two clips", 3: "three clips"}.get(len(said), f"{len(said)} clips")
    return f" ({count}: {', '.join(said)})" if said else ""


def rescored_sentence(text: CardText, log: dict[str, Any]) -> str:
    """The card's sentence on test scores measured again with the same weights (the log's
    ``rescored`` record): the command, the commit, each set's greedy CER before and after,
    and the clips heard differently, after a space; "" for a log scored once."""
    record = log.get("rescored")
    if not record or "previous" not in record:
        return ""
    before, changed = record["previous"]["greedy_cer"], record["previous"]["changed"]
    lstm = log["results"]["lstm"]
    parts = []
    for key, label in RESCORED_LABELS.items():
        if key not in lstm or key not in before:
            continue
        was, now = (f"{100 * cer:.1f}%" for cer in (before[key], lstm[key]["greedy"]["cer"]))
        went = f"stayed at {now}" if was == now else f"went from {was} to {now}"
        parts.append(f"{went} on {label}{_clips(changed.get(key, []))}")
    trim = "noise-floor trim" if "floor_quantile" in record["trim"] else "trim"
    return " " + text.text(
        "_rescored",
        trim=trim,
        command=record["command"],
        commit=short_commit(record["commit"]),
        changes=", ".join(parts[:-1]) + ", and " + parts[-1] if len(parts) > 1 else "".join(parts),
    )


#: How the rescore sentence names the card's test sets.
RESCORED_LABELS = {
    "tts_isolated": "held-out words",
    "tts_connected": "digit strings",
    "real_en": "KLettres en",
    "real_en_GB": "KLettres en_GB",
}


def dtw_voice_set(log: dict[str, Any]) -> str:
    """Which voices gave the DTW templates, as the card says it: "more" for a run trained with
    ``--voices more`` (its templates still come from the base voices only, see
    `rnn_site.train.speech.final_scores`), "base" for every other, logs of before the flag
    included."""
    return "more" if (log.get("hparams") or {}).get("voices") == "more" else "base"


#: The card's test sets of real speakers (KLettres), one clip per letter.
REAL_SETS = ("real_en", "real_en_GB")


def real_slips(results: dict[str, Any]) -> dict[str, str]:
    """What the card's limits name from the real speakers' errors (``results``: the log's test
    scores): ``e_set_wrong``, the E-set letters heard wrong from either speaker ("B/D/G");
    ``both_wrong``, the other letters heard wrong from both speakers ("A/O/S"); and
    ``as_digits``, the letters heard as something starting with a digit ("J/Q"); "?" for a
    log without both speakers' errors (a test's run)."""
    lstm = results.get("lstm") or {}
    if not all("errors" in lstm.get(key, {}) for key in REAL_SETS):
        return {"e_set_wrong": "?", "both_wrong": "?", "as_digits": "?"}
    by_speaker = [
        {e["said"] for e in lstm[key]["errors"] if e["heard"] != e["said"]} for key in REAL_SETS
    ]
    wrong = set.union(*by_speaker)
    both = set.intersection(*by_speaker) - set(E_SET)
    errors = [e for key in REAL_SETS for e in lstm[key]["errors"]]
    digits = {e["said"] for e in errors if e["said"] in LETTERS and e["heard"][:1].isdigit()}
    return {
        "e_set_wrong": "/".join(c for c in E_SET if c in wrong) or "none",
        "both_wrong": "/".join(c for c in LETTERS if c in both) or "none",
        "as_digits": "/".join(sorted(digits)) or "none",
    }


def speech_prose(log: dict[str, Any]) -> CardProse:
    """The card's prose, from ``prose/speech.md``."""
    text = card_text(NAME)
    counts = (log.get("data") or {}).get("counts", {})
    train, test = counts.get("train", {}), counts.get("test", {})
    counted = (
        text.text(
            "_counts",
            train_words=f"{train['word']:,}",
            train_digits=f"{train['digits']:,}",
            train_voices=str(train["voices"]),
            train_minutes=f"{train['seconds'] / 60:.0f}",
            test_words=f"{test['word']:,}",
            test_digits=str(test["digits"]),
            test_voices=str(test["voices"]),
        )
        if counts
        else ""
    )
    return text.prose(
        results_table=results_table(log.get("results") or {}),
        dtw_templates=str(log.get("dtw_templates", "?")),
        dtw_voices=text.text(f"_dtw_voices.{dtw_voice_set(log)}"),
        apt_packages=", ".join(APT_PACKAGES),
        test_accents=", ".join(TEST_ACCENTS),
        test_variants=", ".join(TEST_VARIANTS),
        test_other=", ".join(TEST_OTHER),
        val_variants=", ".join(VAL_VARIANTS),
        counts=counted,
        rescored=rescored_sentence(text, log),
        ceiling_db=f"{-TRIM.ceiling_db:.0f}",
        **real_slips(log.get("results") or {}),
    )


def export_speech_model(
    model: SpeechCTC,
    out_dir: str | Path,
    *,
    samples: bool = True,
    **options: Unpack[steps.ExportOptions],
) -> dict[str, Path]:
    """Write speech.onnx, samples/, card.json, README.md into `out_dir`; refresh the manifest.

    Every refusal comes before the first file is written: a log scored with another trim
    (`ScoredTrimError`, here), an incomplete run (`IncompleteRunError`, in `start_export`), a
    card its log cannot fill (the card is built before the graph).
    A refused export leaves `out_dir` as it was, graph and samples beside the old card."""
    check_test_trim(options.get("log") or {})
    with steps.start_export(NAME, out_dir, **options) as run:
        card = speech_card(run, model.config.to_dict(), [])  # the clips join once written
        paths = {"speech": run.work_dir / "speech.onnx"}
        export_graph_file(model, paths["speech"], run.metadata(**PROVENANCE, alphabet=VOCAB))
        if samples:
            card["samples"] = write_samples(run.work_dir)
        return run.publish(paths, card)


def refresh_card(out_dir: str | Path = "models/speech") -> dict[str, Path]:
    """Write the card, README and manifest again from the training log, the graph and demo
    clips untouched: for scores re-measured with the same weights (``rescored`` in the log).
    The card keeps the commit and version its graph was exported with (`steps.start_refresh`)."""
    with steps.start_refresh(NAME, out_dir) as (run, old):
        return run.publish({}, speech_card(run, old["config"], old["samples"]))


def card_trim(settings: TrimSettings = TRIM) -> SilenceTrim:
    """The trim as the card holds it (the noise floor's fields only when it is on)."""
    return cast(SilenceTrim, settings.to_dict())


def speech_card(
    run: steps.ExportRun, config: dict[str, Any], samples: list[Sample]
) -> SpeechRecognitionCard:
    """The card of the model with network ``config``: scores from the run's log, the runtime's
    trim (the one that scored the log's test sets, else `ScoredTrimError`), the demo ``samples``."""
    check_test_trim(run.log)
    results = run.log.get("results") or {}
    metrics, baselines = speech_scores(results)
    prose = speech_prose(run.log)
    card: SpeechRecognitionCard = {
        **steps.card_head(run, prose),
        "task": "speech-recognition",
        "alphabet": VOCAB,
        "blank": 0,
        "config": config,
        "audio": {
            "sample_rate": SAMPLE_RATE,
            "n_fft": N_FFT,
            "hop": HOP,
            "n_mels": N_MELS,
            "step_seconds": STEP_SECONDS,
            "min_samples": N_FFT,
            "trim": card_trim(),
        },
        "files": {"speech": "speech.onnx", "torch": "speech.pt"},
        "io": {
            "speech": graph_io().to_json(),
            "opset": 17,
            "nodes": "four native `LSTM` nodes (forward and time-reversed, two layers)",
        },
        "samples": samples,
        "results": results,
        "per_voice": run.log.get("per_voice", {}),
        **steps.card_common(
            run,
            prose,
            data=steps.data_record(prose, counts=(run.log.get("data") or {}).get("counts", {})),
            metrics=metrics,
            baselines=baselines,
            better={f"{short}_cer": "lower" for short in BETTER},
        ),
    }
    return card


def export_speech(
    checkpoint: str | Path = "models/speech/speech.pt", out_dir: str | Path = "models/speech"
) -> dict[str, Path]:
    """Export the trained model: read the checkpoint and the metrics.json training wrote."""
    return steps.export_checkpoint(
        lambda path: load_speech_model(path)[:1], export_speech_model, checkpoint, out_dir
    )
