"""Typed errors for the defects found by fuzzing the runtime (issues 16, 18, 19 and 20).

Each test here failed before its fix: an untyped exception leaked (TypeError, OverflowError,
KeyError, UnicodeDecodeError...), a bad value was accepted silently, or a file was used without
the check it was promised. The shipped models in models/ are loaded once per module.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
from shipped import MODELS, runtime_fixture

from rnn_site.data.audio import read_wav
from rnn_site.data.chorales import Event
from rnn_site.runtime import (
    CharLanguageModel,
    Forecaster,
    HistoryTooShortError,
    InvalidArgumentError,
    InvalidBeamError,
    InvalidDurationError,
    InvalidLengthError,
    InvalidNoteError,
    InvalidSeedError,
    InvalidSeriesError,
    InvalidTemperatureError,
    InvalidTextError,
    MelodyModel,
    ModelIntegrityError,
    ModelMismatchError,
    ModelNotFoundError,
    NonFiniteAudioError,
    RnnSiteError,
    RuntimeModel,
    SentimentModel,
    SpeechRecognizer,
    Translator,
    UnknownSeriesError,
    WrongTaskError,
)
from rnn_site.runtime.char_lm import MAX_PROMPT
from rnn_site.runtime.ts_forecaster import ANOMALY_BATCH, MAX_ABS_VALUE

WAV = MODELS / "speech" / "samples" / "flite-rms-7024.wav"
lm = runtime_fixture("char-lm")
forecaster = runtime_fixture("ts-forecaster")
speech = runtime_fixture("speech")
melody = runtime_fixture("melody")


def copy_model(tmp_path: Path, name: str) -> Path:
    """A private models folder holding `name` and the shared manifest (to tamper with)."""
    target = tmp_path / "models"
    target.mkdir()
    shutil.copytree(MODELS / name, target / name, ignore=shutil.ignore_patterns("*.pt"))
    shutil.copy(MODELS / "manifest.json", target / "manifest.json")
    return target


# ------------------------------------------------------------------ one base class, one load


def test_every_runtime_class_shares_one_load():
    for cls in (CharLanguageModel, Forecaster, MelodyModel, SentimentModel, SpeechRecognizer):
        assert issubclass(cls, RuntimeModel)
        assert "load" not in vars(cls), f"{cls.__name__} has its own load()"
    assert issubclass(Translator, RuntimeModel) and "load" not in vars(Translator)


@pytest.mark.parametrize(
    ("cls", "model", "task", "fits"),
    [
        (SpeechRecognizer, "char-lm", "text-generation", "CharLanguageModel"),
        (CharLanguageModel, "speech", "speech-recognition", "SpeechRecognizer"),
        (Translator, "sentiment", "text-classification", "SentimentModel"),
        (Forecaster, "melody", "music-generation", "MelodyModel"),
    ],
)
def test_a_model_for_another_task_is_refused_naming_the_class_that_fits(cls, model, task, fits):
    with pytest.raises(WrongTaskError) as info:
        cls.load(model, models_dir=MODELS)
    message = str(info.value)
    assert task in message and f"{fits}.load({model!r})" in message and cls.__name__ in message
    assert info.value.task == task and info.value.fits == fits


def test_load_without_a_name_opens_the_class_own_model(monkeypatch):
    monkeypatch.setenv("RNN_SITE_MODELS", str(MODELS))
    assert SentimentModel.load().location.name == "sentiment"


# ------------------------------------------------------------------ files: verified when opened


def test_a_graph_swapped_after_load_is_not_used(lm, tmp_path):
    """char-lm's sequence graph was verified at load but opened later, from the path."""
    models = copy_model(tmp_path, "char-lm")
    model = CharLanguageModel.load("char-lm", models_dir=models)
    text = "To be, or not to be, that is the question."
    expected = lm.score(text)
    # Replace sequence.onnx with another valid graph between load and first use.
    shutil.copy(models / "char-lm" / "step.onnx", models / "char-lm" / "sequence.onnx")
    assert model.score(text) == pytest.approx(expected, abs=1e-9)


def test_series_json_is_hash_checked_when_read(forecaster, tmp_path):
    models = copy_model(tmp_path, "ts-forecaster")
    model = Forecaster.load("ts-forecaster", models_dir=models)
    assert model.load_series("co2") == forecaster.load_series("co2")
    path = models / "ts-forecaster" / "series.json"
    data = json.loads(path.read_text())
    data["series"]["co2"]["values"][0] += 1.0
    path.write_text(json.dumps(data))
    with pytest.raises(ModelIntegrityError, match=r"series\.json: sha256 is"):
        model.load_series("co2")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"\xff\xfe{}", "not valid UTF-8 JSON"),
        (b"{}", 'needs a "name"'),
        (b"[]", "must hold a JSON object, got list"),
        (b'{"name": "char-lm", "files": {"step": "../../etc/passwd"}}', "inside the model"),
    ],
    ids=["utf8", "empty-object", "list", "escaping-path"],
)
def test_a_tampered_card_is_refused_naming_the_file(tmp_path, content, message):
    models = copy_model(tmp_path, "char-lm")
    (models / "char-lm" / "card.json").write_bytes(content)
    with pytest.raises(ModelIntegrityError, match=message) as info:
        CharLanguageModel.load("char-lm", models_dir=models)
    assert "card.json" in str(info.value) and info.value.file == "card.json"


@pytest.mark.parametrize(
    ("manifest", "message"),
    [
        (b"\xff\xfe", "not valid UTF-8 JSON"),
        (b"[]", "not a schema-1 manifest"),
        (b'{"schema": 1, "models": [null]}', r"models\[0\] is malformed"),
        (
            b'{"schema": 1, "models": [{"name": "char-lm", "files": [{"path": "x"}]}]}',
            r"models\[0\] is malformed",
        ),
    ],
    ids=["utf8", "list", "null-model", "no-sha256"],
)
def test_a_tampered_manifest_is_refused_naming_the_file(tmp_path, manifest, message):
    models = copy_model(tmp_path, "char-lm")
    (models / "manifest.json").write_bytes(manifest)
    with pytest.raises(ModelIntegrityError, match=message) as info:
        CharLanguageModel.load("char-lm", models_dir=models)
    assert "manifest.json" in str(info.value) and info.value.file == "manifest.json"


def test_a_card_missing_a_field_the_class_reads_is_a_mismatch(tmp_path):
    models = copy_model(tmp_path, "speech")
    card = json.loads((models / "speech" / "card.json").read_text())
    del card["alphabet"]
    (models / "speech" / "card.json").write_text(json.dumps(card))
    with pytest.raises(ModelMismatchError, match="does not describe a SpeechRecognizer"):
        SpeechRecognizer.load("speech", models_dir=models, verify=False)


def test_an_explicit_models_folder_is_used_alone(tmp_path, monkeypatch):
    (tmp_path / "empty").mkdir()
    monkeypatch.setenv("RNN_SITE_MODELS", str(tmp_path / "empty"))
    with pytest.raises(ModelNotFoundError, match="no model named 'char-lm'"):
        CharLanguageModel.load("char-lm")  # was loaded from the repository's models/
    monkeypatch.setenv("RNN_SITE_MODELS", str(tmp_path / "missing"))
    with pytest.raises(ModelNotFoundError, match="RNN_SITE_MODELS"):
        CharLanguageModel.load("char-lm")
    monkeypatch.delenv("RNN_SITE_MODELS")
    with pytest.raises(ModelNotFoundError, match="is not a folder"):
        CharLanguageModel.load("char-lm", models_dir=tmp_path / "missing")


@pytest.mark.parametrize("name", [3, b"char-lm", ["char-lm"]])
def test_a_model_name_that_is_not_a_str_or_path_is_typed(name):
    with pytest.raises(ModelNotFoundError, match="named by a str or a path"):
        CharLanguageModel.load(name, models_dir=MODELS)


# ------------------------------------------------------------------ text generation


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"seed": -1}, InvalidSeedError, "from 0 to 2"),
        ({"seed": 1.5}, InvalidSeedError, "got float 1.5"),
        ({"seed": True}, InvalidSeedError, "got bool"),
        ({"seed": 2**64}, InvalidSeedError, "from 0 to 2"),
        ({"temperature": 10**400}, InvalidTemperatureError, "finite number"),
        ({"temperature": True}, InvalidTemperatureError, "got bool"),
        ({"temperature": "0.5"}, InvalidTemperatureError, "must be a number"),
        ({"prompt": "a" * (MAX_PROMPT + 1)}, InvalidLengthError, "at most 2,000"),
        ({"prompt": b"ROMEO:"}, InvalidTextError, "decode bytes first"),
        ({"prompt": ("R", "O")}, InvalidTextError, "got tuple"),
        ({"prompt": ["ROMEO:"]}, InvalidTextError, "got list"),
        ({"greedy": "yes"}, InvalidArgumentError, "greedy must be True or False"),
        ({"on_unknown": None}, InvalidArgumentError, "on_unknown must be"),
    ],
)
def test_generate_refuses_bad_arguments_with_typed_errors(lm, kwargs, error, message):
    with pytest.raises(error, match=message):
        lm.generate(**{"prompt": "ROMEO:", "n": 3, **kwargs})


@pytest.mark.parametrize("text", [b"To be, or not", bytearray(b"To be"), ["To", "be"], 42, None])
def test_score_and_hidden_states_refuse_what_is_not_text(lm, text):
    with pytest.raises(InvalidTextError, match="must be a str"):
        lm.score(text)
    with pytest.raises(InvalidTextError, match="must be a str"):
        lm.hidden_states(text)


def test_decode_refuses_ids_outside_the_vocabulary(lm):
    assert lm.decode(lm.encode("ROMEO")) == "ROMEO"
    for ids in ([-1], [len(lm.vocab)], [0.5], ["a"], [[1], [1, 2]]):
        with pytest.raises(InvalidArgumentError, match="ids must be"):
            lm.decode(ids)


# ------------------------------------------------------------------ music


def test_melody_seed_is_the_random_seed_and_none_works(melody):
    prompt = [(72, 1.0), (71, 1.0)]
    a = melody.generate(prompt, 8, temperature=1.0, seed=3)
    assert a == melody.generate(prompt, 8, temperature=1.0, seed=3)
    assert len(melody.generate(prompt, 4, seed=None)) == 4  # was a TypeError


def test_melody_old_argument_names_still_work_with_a_deprecation_warning(melody):
    prompt = [(72, 1.0), (71, 1.0)]
    expected = melody.generate(prompt, 8, temperature=1.0, seed=5)
    with pytest.warns(DeprecationWarning, match="rng_seed= is deprecated"):
        assert melody.generate(prompt, 8, temperature=1.0, rng_seed=5) == expected
    with (
        pytest.warns(DeprecationWarning, match="seed= is deprecated.*use prompt="),
        pytest.warns(DeprecationWarning, match="rng_seed= is deprecated"),
    ):
        assert melody.generate(seed=prompt, n=8, temperature=1.0, rng_seed=5) == expected
    with pytest.raises(InvalidArgumentError, match="pass seed= only"):
        melody.generate(prompt, 8, seed=1, rng_seed=2)


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"beats_per_bar": 10**400}, InvalidArgumentError, "beats_per_bar must be a finite"),
        ({"beats_per_bar": True}, InvalidArgumentError, "beats_per_bar must be a number"),
        ({"pickup": float("nan")}, InvalidArgumentError, "pickup must be a finite"),
        ({"seed": -5}, InvalidSeedError, "from 0 to 2"),
        ({"prompt": "C D E"}, InvalidArgumentError, "prompt must be a sequence"),
        ({"prompt": [(10**30, 1.0)]}, InvalidNoteError, "out of range"),
        ({"prompt": [(72, 10**400)]}, InvalidDurationError, "not one the model knows"),
        ({"prompt": [(72, 1.0, "yes")]}, InvalidArgumentError, "fermata must be True or False"),
        ({"prompt": [(72, 1.0)] * 2001}, InvalidArgumentError, "more than 2,000 events"),
    ],
)
def test_melody_generate_refuses_bad_arguments_with_typed_errors(melody, kwargs, error, message):
    with pytest.raises(error, match=message):
        melody.generate(**{"n": 2, **kwargs})


@pytest.mark.parametrize(
    ("events", "kwargs", "error", "message"),
    [
        ([(72, 1.0)], {"tempo_bpm": 10**400}, InvalidArgumentError, "tempo_bpm must be"),
        ([(72, 1.0)], {"tempo_bpm": "fast"}, InvalidArgumentError, "tempo_bpm must be a number"),
        ([(72, 1.0)], {"beats_per_bar": 3.5}, InvalidArgumentError, "must be an integer"),
        ([(128, 1.0)], {}, InvalidNoteError, "between 0 and 127"),
        ([(72, 0.0)], {}, InvalidDurationError, "duration must be a finite"),
        ([(72, float("inf"))], {}, InvalidDurationError, "duration must be a finite"),
        ([72], {}, InvalidArgumentError, r"must be an Event or \(pitch, duration\)"),
        (None, {}, InvalidArgumentError, "must be a sequence of events"),
    ],
)
def test_to_midi_raises_typed_errors(melody, events, kwargs, error, message):
    with pytest.raises(error, match=message):
        melody.to_midi(events, **kwargs)


def test_to_midi_writes_pitches_the_model_does_not_know(melody):
    data = melody.to_midi([Event(30, 1.0), Event(None, 0.5), (100, 3.0)])
    assert data[:4] == b"MThd" and bytes([0x90, 30]) in data and bytes([0x90, 100]) in data


# ------------------------------------------------------------------ translation


def test_translate_beam_width_is_the_name_and_beam_an_alias():
    model = Translator.load("translator", models_dir=MODELS)
    text = "I have a cold."
    expected = model.translate(text, beam_width=3).text
    with pytest.warns(DeprecationWarning, match="beam= is deprecated"):
        assert model.translate(text, beam=3).text == expected
    with pytest.raises(InvalidBeamError, match=r"between 1 \(greedy\) and 10"):
        model.translate(text, beam_width=11)


# ------------------------------------------------------------------ speech


def test_speech_refuses_samples_beyond_float32_after_the_cast(speech):
    """1e39 is finite as float64 but inf as float32: the features were NaN, the text made up."""
    waveform, rate = read_wav(WAV)
    loud = waveform.astype(np.float64)
    loud[100] = 1e39
    with pytest.raises(NonFiniteAudioError, match="index 100"):
        speech.transcribe(loud, rate)


@pytest.mark.parametrize("width", [33, 100_000, 10**30])
def test_speech_beam_width_is_capped_at_32(speech, width):
    waveform, rate = read_wav(WAV)
    with pytest.raises(InvalidBeamError, match=r"between 1 \(greedy\) and 32"):
        speech.transcribe(waveform, rate, decoder="beam", beam_width=width)
    assert speech.transcribe(waveform, rate, decoder="beam", beam_width=32).text


@pytest.mark.parametrize("rate", [10**400, 2**70, -(2**70)])
def test_speech_huge_integer_rates_are_typed(speech, rate):
    with pytest.raises(RnnSiteError, match="sample_rate"):
        speech.transcribe(np.zeros(1600, np.float32), rate)


# ------------------------------------------------------------------ forecasting


@pytest.mark.parametrize("value", [1e39, -1e39, 3.5e38])
def test_forecast_refuses_values_beyond_float32(forecaster, value):
    history = [350.0] * 40 + [value]
    with pytest.raises(InvalidSeriesError, match="float32"):
        forecaster.forecast(history, 5, "co2")  # was a NaN forecast
    with pytest.raises(InvalidSeriesError, match="float32"):
        forecaster.anomaly_scores([350.0] * 60 + [value], "co2")
    assert np.isfinite(
        forecaster.forecast([float(MAX_ABS_VALUE) / 1e10] * 40, 3, "co2").median
    ).all()


@pytest.mark.parametrize("series", [["co2"], None, 0, b"co2", {"co2": 1}])
def test_forecast_series_must_be_a_str(forecaster, series):
    with pytest.raises(UnknownSeriesError, match="series must be a str"):
        forecaster.forecast([350.0] * 40, 5, series)
    with pytest.raises(UnknownSeriesError):
        forecaster.anomaly_scores([350.0] * 60, series)


@pytest.mark.parametrize(
    ("start", "error"),
    [
        (1.5, InvalidArgumentError),
        ("48", InvalidArgumentError),
        (True, InvalidArgumentError),
        (10**30, HistoryTooShortError),
        (-(10**30), HistoryTooShortError),
        (-5, HistoryTooShortError),
    ],
)
def test_anomaly_start_must_be_a_usable_integer(forecaster, start, error):
    with pytest.raises(error, match="start"):
        forecaster.anomaly_scores([350.0] * 60, "co2", start)


@pytest.mark.parametrize(
    "history",
    [[True] * 40, ["350"] * 40, [b"1"] * 40, [None] * 40, [1 + 2j] * 40, [10**400] * 40],
)
def test_forecast_histories_of_non_numbers_are_typed(forecaster, history):
    with pytest.raises(InvalidSeriesError):
        forecaster.forecast(history, 5, "co2")


@pytest.mark.parametrize("scale", [10**400, True, "big", float("inf"), 0, -1.0])
def test_forecast_scale_is_checked(forecaster, scale):
    with pytest.raises(InvalidArgumentError, match="scale must be") as info:
        forecaster.forecast([350.0] * 40, 5, "co2", scale=scale)
    assert len(str(info.value)) < 120  # 10**400 was printed whole, 401 digits


def test_anomaly_scores_in_batches_equal_one_batch(forecaster, monkeypatch):
    from rnn_site.runtime import ts_forecaster as module

    values = forecaster.load_series("co2")["values"][:400]
    whole = forecaster.anomaly_scores(values, "co2")
    monkeypatch.setattr(module, "ANOMALY_BATCH", 7)
    np.testing.assert_array_equal(forecaster.anomaly_scores(values, "co2"), whole)


MEMORY = """
import resource, sys
import numpy as np
from rnn_site.runtime import Forecaster
model = Forecaster.load("ts-forecaster", models_dir=sys.argv[1])
n = int(sys.argv[2])
t = np.arange(n)
values = 350 + np.sin(t / 12 * 2 * np.pi) + 0.01 * t
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
assert model.anomaly_scores(values, "co2").shape == (n - 48,)
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before)
"""


def peak_growth_mb(values: int) -> float:
    """How much `anomaly_scores` of ``values`` values raises the peak memory (ru_maxrss, which
    counts onnxruntime's native arena as well as numpy) of a fresh process that has loaded the
    model: tracemalloc would see numpy's arrays only."""
    result = subprocess.run(
        [sys.executable, "-c", MEMORY, str(MODELS), str(values)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return int(result.stdout.strip()) / 1024  # ru_maxrss is in KiB on Linux


def test_anomaly_scores_memory_stays_bounded():
    """Memory does not grow with the series. The growth is onnxruntime's working memory for a
    batch of `ANOMALY_BATCH` windows (about 0.12 MB a window), reached by the second batch.
    Measured (peak RSS over the loaded model, 2026-12-06): 243 MB at 6,192 values (three
    batches), 243 MB at 24,624 (twelve), 250 MB at 200,000. Read in one batch (ANOMALY_BATCH
    set above the length) the same two series took 426 MB and 1,699 MB, about 68 kB a value
    (before batching, 100,000 values took 6.8 GB). So twelve batches against three: < 50 MB
    more, not 1.2 GB."""
    lookback = 48  # co2's: the scores start after it, so these are whole batches
    short = peak_growth_mb(3 * ANOMALY_BATCH + lookback)
    long = peak_growth_mb(12 * ANOMALY_BATCH + lookback)
    assert long - short < 50, f"peak grew by {short:.0f} MB, then {long:.0f} MB at 4x the values"


def test_no_warning_escapes_a_normal_call(lm, forecaster):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        lm.generate("ROMEO:", 5, seed=0)
        forecaster.forecast([350.0] * 40, 5, "co2")
