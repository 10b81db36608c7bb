"""Speech slice: export parity (torch ↔ onnxruntime, dynamic length), the runtime's checks and
errors, the published model against its card, and the trained model on held-out voices."""

from __future__ import annotations

import json
import runpy
import shutil

import numpy as np
import onnx
import onnxruntime as ort
import pytest
import torch
from shipped import MODELS, ROOT, runtime_fixture
from skips import skip_locally_fail_in_ci

from rnn_site.data.audio import SAMPLE_RATE, log_mel, read_wav, resample
from rnn_site.decoding.ctc import error_rates
from rnn_site.export.manifest import verify
from rnn_site.export.speech import export_speech_model
from rnn_site.models.speech import SpeechConfig, SpeechCTC
from rnn_site.runtime import (
    AudioTooLongError,
    EmptyAudioError,
    InvalidArgumentError,
    InvalidAudioError,
    InvalidSampleRateError,
    NonFiniteAudioError,
)

MODEL_DIR = MODELS / "speech"
model = runtime_fixture("speech")


@pytest.fixture(scope="module")
def card() -> dict:
    return json.loads((MODEL_DIR / "card.json").read_text("utf-8"))


def clip(seconds: float, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * SAMPLE_RATE)) / SAMPLE_RATE
    return (0.3 * np.sin(2 * np.pi * (300 + 800 * t) * t) + 0.02 * rng.normal(size=len(t))).astype(
        np.float32
    )


def test_export_matches_torch_for_any_length_and_batch(tmp_path):
    torch.manual_seed(0)
    net = SpeechCTC(SpeechConfig(conv_channels=16, hidden_size=12)).eval()
    export_speech_model(net, tmp_path / "speech", samples=False)
    path = tmp_path / "speech" / "speech.onnx"
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    graph = onnx.load(str(path))
    ops = {node.op_type for node in graph.graph.node}
    assert {"LSTM", "Conv", "MatMul", "Log"} <= ops
    assert [n.op_type for n in graph.graph.node].count("LSTM") == 4  # 2 layers × 2 directions
    assert path.stat().st_size < 100_000  # the DFT filters are computed, not stored
    for seconds in (0.2, 1.0, 2.7):
        x = clip(seconds, 1)
        features, log_probs = session.run(None, {"waveform": x[None]})
        with torch.no_grad():
            expected, steps = net(torch.from_numpy(x)[None], torch.tensor([len(x)]))
        assert log_probs.shape == (1, int(steps[0]), 37)
        np.testing.assert_allclose(log_probs[0], expected[0].numpy(), atol=1e-4)
        np.testing.assert_allclose(features[0], log_mel(x), atol=1e-4)
    # Two clips of one length in one batch: each row as if alone.
    pair = np.stack([clip(0.6, 2), clip(0.6, 3)])
    _, batched = session.run(None, {"waveform": pair})
    _, alone = session.run(None, {"waveform": pair[1:]})
    np.testing.assert_allclose(batched[1], alone[0], atol=1e-5)


def test_published_model_is_in_the_manifest_and_small(card):
    assert not [p for p in verify(ROOT / "models") if p.startswith("speech/")]
    assert (MODEL_DIR / "speech.onnx").stat().st_size < 2_000_000
    assert card["alphabet"] == "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    samples = card["samples"]
    assert samples and all((MODEL_DIR / "samples" / s["file"]).is_file() for s in samples)
    assert sum((MODEL_DIR / "samples" / s["file"]).stat().st_size for s in samples) < 400_000


def test_published_graph_matches_the_checkpoint(model):
    from rnn_site.train.speech import load_speech_model

    net, alphabet = load_speech_model(MODEL_DIR / "speech.pt")
    assert alphabet == model.alphabet
    x = clip(1.3, 4)
    _, log_probs = model.run(x)
    with torch.no_grad():
        expected, _ = net(torch.from_numpy(x)[None], torch.tensor([len(x)]))
    np.testing.assert_allclose(log_probs, expected[0].numpy(), atol=1e-4)


def test_card_reports_the_model_beating_dtw_on_real_speech_and_chance(card):
    results = card["results"]
    for real in ("real_en", "real_en_GB"):
        lstm, dtw = results["lstm"][real]["greedy"], results["dtw"][real]["greedy"]
        assert lstm["n"] == dtw["n"] == 26
        assert lstm["cer"] < dtw["cer"], real
    # Held-out synthetic voices, isolated words: well above chance (1/36). The page compares
    # the LSTM with DTW there; on the current card the LSTM is ahead.
    lstm = results["lstm"]["tts_isolated"]["greedy"]
    assert lstm["n"] == results["dtw"]["tts_isolated"]["greedy"]["n"] > 500
    assert lstm["string_accuracy"] > 15 / 36
    assert results["lstm"]["tts_connected"]["greedy"]["cer"] < 0.3
    # Every figure on the card comes from the training log next to it.
    log = json.loads((MODEL_DIR / "metrics.json").read_text("utf-8"))
    assert log["results"] == results


def test_shipped_samples_transcribe_mostly_right(model, card):
    said, heard = [], []
    for sample in card["samples"]:
        if not sample["file"].endswith(".wav"):
            continue
        waveform, rate = read_wav(MODEL_DIR / "samples" / sample["file"])
        said.append(sample["text"])
        heard.append(model.transcribe(waveform, rate).text)
    assert len(said) >= 4
    assert error_rates(said, heard)["cer"] < 0.5, list(zip(said, heard, strict=True))


def test_transcribe_returns_posteriors_and_resamples(model):
    wav = next(s for s in model.card["samples"] if s["file"].endswith(".wav"))
    x, rate = read_wav(MODEL_DIR / "samples" / wav["file"])
    result = model.transcribe(x, rate)
    steps = result.posteriors.shape[0]
    assert result.posteriors.shape == (steps, 37)
    np.testing.assert_allclose(result.posteriors.sum(axis=1), 1.0, atol=1e-4)
    assert result.features.shape[1] == 40 and result.step_seconds == 0.04
    # The same clip at 44.1 kHz (band-limited resampling) is heard the same way.
    again = model.transcribe(resample(x, rate, 44_100), 44_100)
    assert again.text == result.text
    beam = model.transcribe(x, rate, decoder="beam", beam_width=4)
    assert beam.text == beam.alternatives[0].text and len(beam.alternatives) <= 4
    int16 = np.round(x * 32767).astype(np.int16)
    assert model.transcribe(int16, rate).text == result.text


@pytest.mark.parametrize(
    ("waveform", "rate", "error", "message"),
    [
        (np.zeros(0, np.float32), 16_000, EmptyAudioError, "empty"),
        (np.zeros(100, np.float32), 16_000, EmptyAudioError, "at least 25 ms"),
        (np.array([0.1, np.nan] * 400, np.float32), 16_000, NonFiniteAudioError, "index 1"),
        (np.full(800, np.inf, np.float32), 16_000, NonFiniteAudioError, "finite"),
        (np.zeros((2, 16_000), np.float32), 16_000, InvalidAudioError, "mono"),
        (np.zeros((16_000, 2), np.float32), 16_000, InvalidAudioError, "mix the channels"),
        (np.zeros(16_000, np.int32), 16_000, InvalidAudioError, "dtype int32"),
        (np.zeros(16_000, bool), 16_000, InvalidAudioError, "dtype bool"),
        ("hello.wav", 16_000, InvalidAudioError, "read the file first"),
        (np.zeros(31 * 8_000, np.float32), 8_000, AudioTooLongError, "at most 30 s"),
        (np.zeros(16_000, np.float32), 100, InvalidSampleRateError, "outside"),
        (np.zeros(16_000, np.float32), 10**9, InvalidSampleRateError, "outside"),
        (np.zeros(16_000, np.float32), 16_000.5, InvalidSampleRateError, "whole number"),
        (np.zeros(16_000, np.float32), float("nan"), InvalidSampleRateError, "whole number"),
        (np.zeros(16_000, np.float32), "16k", InvalidSampleRateError, "number"),
        (np.zeros(16_000, np.float32), True, InvalidSampleRateError, "number"),
    ],
)
def test_bad_audio_raises_typed_errors(model, waveform, rate, error, message):
    with pytest.raises(error, match=message):
        model.transcribe(waveform, rate)


def test_bad_decoder_options(model):
    x = clip(0.5, 0)
    with pytest.raises(InvalidArgumentError, match="'greedy' or 'beam'"):
        model.transcribe(x, decoder="viterbi")
    with pytest.raises(InvalidArgumentError, match="beam_width"):
        model.transcribe(x, decoder="beam", beam_width=0)
    assert isinstance(model.transcribe(np.zeros(8000), 16_000).text, str)  # silence is fine


def test_example_runs(capsys):
    runpy.run_module("rnn_site.examples.use_speech", run_name="__main__")
    first = json.loads((MODEL_DIR / "card.json").read_text("utf-8"))["samples"][0]["text"]
    assert capsys.readouterr().out.strip() == first


def _require_tts() -> None:
    from rnn_site.data.speech import APT_PACKAGES, missing_tools

    missing = missing_tools()
    if missing:
        skip_locally_fail_in_ci(
            f"text-to-speech missing ({', '.join(missing)}): "
            f"apt-get install {' '.join(APT_PACKAGES)}"
        )


def test_synthesis_is_deterministic_and_16k():
    _require_tts()
    from rnn_site.data.speech import Request, Voice, spoken_text, synthesise

    requests = [
        Request(v, "7", "word", spoken_text("7", v), 1.1, 0.9)
        for v in (
            Voice("espeak", "en+f2"),
            Voice("flite", "slt"),
            Voice("festival", "kal_diphone"),
        )
    ]
    first, second = synthesise(requests), synthesise(requests)
    for a, b in zip(first, second, strict=True):
        assert np.array_equal(a, b) and a.dtype == np.float32
        assert 0.15 * SAMPLE_RATE < len(a) < 2 * SAMPLE_RATE and np.abs(a).max() > 0.05


def test_trained_model_hears_a_fresh_held_out_voice(model):
    """36 words by flite's rms voice (never in training), at default prosody: far above chance."""
    _require_tts()
    from rnn_site.data.speech import VOCAB, Request, Voice, spoken_text, synthesise

    voice = Voice("flite", "rms")
    requests = [Request(voice, s, "word", spoken_text(s, voice), 1.0, 1.0) for s in VOCAB]
    heard = [model.transcribe(a).text for a in synthesise(requests)]
    accuracy = error_rates(list(VOCAB), heard)["string_accuracy"]
    assert accuracy > 0.5, list(zip(VOCAB, heard, strict=True))


def test_real_recordings_decode_when_installed():
    from rnn_site.data.speech import LETTERS, klettres_files, load_real_letters

    files = klettres_files()
    if not files or shutil.which("oggdec") is None:
        skip_locally_fail_in_ci(
            "apt-get install klettres-data vorbis-tools (the real-speech test set)"
        )
    assert len(files) == 52 and {name for name, _, _ in files} == {"en", "en_GB"}
    letters = load_real_letters()
    assert [u.label for u in letters[:26]] == list(LETTERS)
    assert all(0.2 * SAMPLE_RATE < len(u.audio) < 3 * SAMPLE_RATE for u in letters)


def test_page_shows_the_cards_results(card):
    from rnn_site.export.speech import results_table
    from rnn_site.sitebuild.page_data import render_data

    page = (ROOT / "docs" / "applications" / "speech.md").read_text("utf-8")
    assert results_table(card["results"]) in render_data(page)
