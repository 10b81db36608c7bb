"""Property-based tests: arbitrary values into every public runtime entry point and CLI command.

The property is the promise of `rnn_site.runtime.errors`: a call either works or raises one of
the package's own errors (`RnnSiteError` and its subclasses), never numpy's, onnxruntime's or
Python's own exception from deep inside; the CLI either succeeds or prints ``error: …`` and
exits 2. Each argument is replaced, independently, by anything: None, bools, huge and negative
integers, NaN and infinities, text, bytes, lists, tuples, dicts and numpy arrays of any dtype.

Fast by design: the shipped models are loaded once per module, generation is drawn through
`stream` and cut after a few characters, examples are derandomized (the same in CI every time)
and no database is written.
"""

from __future__ import annotations

import itertools
import os
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from shipped import MODELS

from rnn_site.cli import main
from rnn_site.runtime import (
    CharLanguageModel,
    Forecaster,
    InvalidArgumentError,
    MelodyModel,
    RnnSiteError,
    SentimentModel,
    SpeechRecognizer,
    Translator,
)
from rnn_site.runtime.registry import list_models, locate

# The strategies' own repr grows large; hypothesis warns about that, not about our code.
pytestmark = pytest.mark.filterwarnings("ignore:Generating overly large repr")

#: Examples per test: 80 keeps the file well under a minute; set RNN_SITE_FUZZ_EXAMPLES=2000
#: for a long hunt.
FUZZ = settings(
    max_examples=int(os.environ.get("RNN_SITE_FUZZ_EXAMPLES", "80")),
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.function_scoped_fixture,  # capsys, read out after every example
    ],
)

numbers = st.one_of(
    st.integers(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0, 1, -1, 2**31, 2**63, 2**64, -(2**63), 10**400, -(10**400), 1e39]),
)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    numbers,
    st.text(max_size=40),
    st.binary(max_size=20),
    st.complex_numbers(max_magnitude=1e3),
)
arrays = hnp.arrays(
    dtype=st.sampled_from(
        [np.float64, np.float32, np.float16, np.int16, np.int64, np.uint8, np.bool_, np.complex64]
    ),
    shape=hnp.array_shapes(min_dims=0, max_dims=2, max_side=600),
)
#: Anything a caller might pass where a value is expected.
anything = st.one_of(
    scalars,
    arrays,
    st.lists(scalars, max_size=80),
    st.lists(st.floats(allow_nan=True, allow_infinity=True), max_size=200).map(tuple),
    st.lists(st.tuples(scalars, scalars), max_size=10),
    st.dictionaries(st.text(max_size=5), scalars, max_size=3),
)


def call(function: Any, *args: Any, **kwargs: Any) -> Any:
    """Call, and let only the package's own errors through (returned, for assertions)."""
    try:
        return function(*args, **kwargs)
    except RnnSiteError as exc:
        return exc


def short_call(function: Any, *args: Any, **kwargs: Any) -> Any:
    """`call`, and an argument error's message stays short: a huge value is not spelled out."""
    result = call(function, *args, **kwargs)
    if isinstance(result, InvalidArgumentError):
        assert len(str(result)) < 200, str(result)
    return result


def optional(*names: str) -> st.SearchStrategy[dict[str, Any]]:
    """Keyword arguments ``names``, each independently left out or fuzzed with ``anything``."""
    return st.fixed_dictionaries({}, optional=dict.fromkeys(names, anything))


@pytest.fixture(scope="module")
def models() -> dict[str, Any]:
    return {
        "lm": CharLanguageModel.load("char-lm", models_dir=MODELS),
        "melody": MelodyModel.load("melody", models_dir=MODELS),
        "sentiment": SentimentModel.load("sentiment", models_dir=MODELS),
        "translator": Translator.load("translator", models_dir=MODELS),
        "speech": SpeechRecognizer.load("speech", models_dir=MODELS),
        "forecaster": Forecaster.load("ts-forecaster", models_dir=MODELS),
    }


# ------------------------------------------------------------------ text generation


@FUZZ
@given(optional("prompt", "n", "temperature", "top_k", "seed", "greedy", "on_unknown"))
def test_char_lm_stream_and_generate(models, kwargs):
    lm = models["lm"]
    args = {"prompt": "ROMEO:", "n": 3, **kwargs}
    chars = call(lm.stream, **args)
    if not isinstance(chars, RnnSiteError):
        assert len("".join(itertools.islice(chars, 3))) <= 3
    call(lm.generate, **{**args, "n": 3})


@FUZZ
@given(anything, optional("on_unknown", "replacement"))
def test_char_lm_score_states_encode_decode(models, text, kwargs):
    lm = models["lm"]
    on_unknown = {k: v for k, v in kwargs.items() if k == "on_unknown"}
    call(lm.score, text, **on_unknown)
    call(lm.hidden_states, text, **on_unknown)
    call(lm.encode, text, **kwargs)
    call(lm.decode, text)


@pytest.mark.filterwarnings("ignore:overflow encountered in cast:RuntimeWarning")  # raw: unchecked
@FUZZ
@given(anything, st.lists(anything, max_size=3), anything)
def test_raw_graph_calls(models, first, rest, batch):
    """The raw `step`/`run` methods check nothing, but what their graph refuses is ours."""
    lm = models["lm"]
    call(lm.initial_state, batch)
    call(lm.step, first, *rest)
    call(lm.step, np.array([1, 2]), *call(lm.initial_state, 1))
    call(models["forecaster"].run, first, *[*rest, None, None][:2])
    call(models["speech"].run, first)


# ------------------------------------------------------------------ music


@pytest.mark.filterwarnings("ignore:seed= is deprecated:DeprecationWarning")
@FUZZ
@given(optional("prompt", "n", "temperature", "seed", "mode", "beats_per_bar", "pickup"))
def test_melody_generate(models, kwargs):
    call(models["melody"].generate, **{"n": 2, **kwargs})


@FUZZ
@given(anything, optional("tempo_bpm", "beats_per_bar"))
def test_melody_to_midi_and_check_event(models, events, kwargs):
    melody = models["melody"]
    call(melody.to_midi, events, **kwargs)
    call(melody.check_event, events)


# ------------------------------------------------------------------ words


@FUZZ
@given(anything)
def test_sentiment(models, text):
    sentiment = models["sentiment"]
    call(sentiment.predict, text)
    call(sentiment.probability, text)
    call(sentiment.encode, text)


@FUZZ
@given(anything, optional("beam_width", "max_len"))
def test_translator(models, text, kwargs):
    translator = models["translator"]
    call(translator.translate, text, **kwargs)
    call(translator.translate, "I have a cold.", **kwargs)
    call(translator.encode, text)


# ------------------------------------------------------------------ speech


@FUZZ
@given(anything, optional("sample_rate", "decoder", "beam_width"))
def test_speech(models, waveform, kwargs):
    speech = models["speech"]
    call(speech.transcribe, waveform, **kwargs)
    call(speech.transcribe, np.zeros(4000, np.float32), **kwargs)


# ------------------------------------------------------------------ forecasting


@FUZZ
@given(anything, optional("horizon", "series", "scale", "calibration"))
def test_forecaster_forecast(models, history, kwargs):
    forecaster = models["forecaster"]
    short_call(forecaster.forecast, history, **{"horizon": 3, **kwargs})
    short_call(forecaster.forecast, [350.0 + i for i in range(40)], **{"horizon": 3, **kwargs})


@FUZZ
@given(anything, optional("series", "start"))
def test_forecaster_anomalies(models, values, kwargs):
    forecaster = models["forecaster"]
    short_call(forecaster.anomaly_scores, values, **kwargs)
    short_call(forecaster.detect_anomalies, [350.0 + (i % 12) for i in range(80)], **kwargs)
    short_call(forecaster.load_series, kwargs.get("series", values))


@FUZZ
@given(anything, anything, anything, anything)
def test_forecaster_history_factors(models, values, horizon, series, unit):
    """Public too (`forecast` calls it with checked arguments): each argument is checked."""
    forecaster = models["forecaster"]
    short_call(forecaster.history_factors, values, horizon, series, unit)
    short_call(forecaster.history_factors, np.full(80, 350.0), horizon, "co2", unit)


@FUZZ
@given(anything, anything, st.one_of(anything, st.integers(-(10**30), 10**30)))
def test_forecaster_statistical_forecast(models, series, origin, near):
    forecaster = models["forecaster"]
    short_call(forecaster.statistical_forecast, series, origin)
    for known in forecaster.series:
        short_call(forecaster.statistical_forecast, known, origin)
        short_call(forecaster.statistical_forecast, known, near)


@FUZZ
@given(anything, anything)
def test_forecaster_demand_what_if(models, day, shift):
    """Without electricity-days.json (generated, not committed) the day and shift are still
    checked first; with it, the day's range too."""
    forecaster = models["forecaster"]
    short_call(forecaster.demand_what_if, day, shift)
    short_call(forecaster.demand_what_if, day)
    short_call(forecaster.demand_what_if, 0, shift)


@FUZZ
@given(
    anything,
    st.sampled_from(["demand", "temperature", "workday"]),
    st.tuples(st.integers(0, 335), scalars),
    optional("calibration"),
)
def test_forecaster_forecast_demand(models, value, name, placed, kwargs):
    """Each input replaced by anything, or one of its values by any scalar."""
    forecaster = models["forecaster"]
    valid = {"demand": [4.0] * 336, "temperature": [20.0] * 144, "workday": [1.0] * 144}
    short_call(forecaster.forecast_demand, **{**valid, name: value}, **kwargs)
    position, scalar = placed
    one_bad = list(valid[name])
    one_bad[position % len(one_bad)] = scalar
    short_call(forecaster.forecast_demand, **{**valid, name: one_bad}, **kwargs)


# ------------------------------------------------------------------ loading and the registry


@FUZZ
@given(
    anything,
    optional("models_dir", "verify", "intra_op_threads"),
    st.sampled_from(
        [CharLanguageModel, Forecaster, MelodyModel, SentimentModel, SpeechRecognizer, Translator]
    ),
)
def test_load_and_locate(name, kwargs, cls):
    call(cls.load, name, **kwargs)
    call(locate, name, kwargs.get("models_dir"))
    call(list_models, kwargs.get("models_dir", name))


# ------------------------------------------------------------------ the command line

#: Command-line values: any text, and numbers written as text (small enough to stay fast).
words = st.one_of(
    st.text(max_size=30).filter(lambda s: "\x00" not in s),
    st.integers(-(10**30), 300).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(str),
)


def run_cli(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    """`main(argv)` ends in 0, or in 2 with an ``error: …`` line (argparse's usage included)."""
    code: int | str | None
    try:
        code = main(argv)
    except SystemExit as exc:  # argparse: a value of the wrong type, --help
        code = exc.code
    err = capsys.readouterr().err
    assert code in (0, 2), (argv, code, err)
    if code == 2:
        assert "error: " in err and "Traceback" not in err, (argv, err)


SHIPPED = ["--models-dir", str(MODELS)]


@FUZZ
@given(prompt=words, n=words, temperature=words, seed=words, top_k=words)
def test_cli_generate(capsys, prompt, n, temperature, seed, top_k):
    argv = [*SHIPPED, "generate", "char-lm", f"--prompt={prompt}", f"--n={n}"]
    run_cli([*argv, f"--temperature={temperature}", f"--seed={seed}", f"--top-k={top_k}"], capsys)


@FUZZ
@given(text=words, beam=words, command=st.sampled_from(["translate", "classify"]))
def test_cli_translate_and_classify(capsys, text, beam, command):
    extra = [f"--beam-width={beam}"] if command == "translate" else []
    run_cli([*SHIPPED, command, f"{text}", *extra], capsys)


@FUZZ
@given(
    content=st.one_of(
        st.binary(max_size=200),
        st.binary(max_size=200).map(lambda b: b"RIFF\x00\x00\x00\x00WAVEfmt " + b),
    ),
    beam=words,
)
def test_cli_transcribe(tmp_path_factory, capsys, content, beam):
    path = tmp_path_factory.mktemp("wav") / "clip.wav"
    path.write_bytes(content)
    run_cli([*SHIPPED, "transcribe", str(path), f"--beam-width={beam}"], capsys)


@FUZZ
@given(folder=words)
def test_cli_models_list(capsys, folder):
    run_cli(["--models-dir", folder, "models", "list"], capsys)
