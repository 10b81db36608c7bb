"""The model card's shape: one TypedDict per task, and the JSON Schema generated from them.

Every model folder holds a ``card.json``: the exporters (`rnn_site.export`) write it, the
runtime, the site build and the browser demos read it. This module is its one definition. It
imports nothing beyond the standard library, so the runtime (numpy + onnxruntime only) and the
site build can use the types without torch.

The fields every card has live in `CardBase`; each task adds its own (`TextGenerationCard`
its ``vocab`` string, `ForecastingCard` its ``series``, …), and `Card` is their union, told
apart by ``task``. ``rnn_site/card.schema.json`` (JSON Schema, draft 2020-12) is generated
from these types by ``python -m rnn_site.card``; a test checks that the file is current and
that every published card validates against it.
"""

# No `from __future__ import annotations`: on Python 3.11 a TypedDict sees NotRequired[...]
# only in evaluated annotations, and the JSON Schema's "required" lists depend on it.

import json
import sys
import types
import typing
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal, NotRequired, TypedDict, Union

SCHEMA_PATH = Path(__file__).with_name("card.schema.json")

#: Whether a larger figure of a metric is better, per metric key.
Better = Literal["lower", "higher"]
#: Scores as the card shows them: row (the model or a baseline) → metric key → value.
Scores = dict[str, dict[str, float]]


class TensorContract(TypedDict):
    """One declared input or output: ``shape`` mixes fixed sizes and named dynamic axes."""

    dtype: str
    shape: list[int | str]


class GraphContract(TypedDict):
    """A graph's inputs and outputs by name, as the ONNX file declares them."""

    inputs: dict[str, TensorContract]
    outputs: dict[str, TensorContract]


#: The card's ``io``: graph role (as in ``files``) → its contract, plus ``opset`` (int) and
#: free-text notes (``nodes``, ``encoding``, ``state``).
Contract = dict[str, GraphContract | int | str]


class SeriesSettings(TypedDict):
    """One site series' settings: family id, period, window and scales; the anomaly
    threshold chosen on validation and the benchmark's size unit (`robust_unit`), in which the
    demo sizes the anomalies it injects."""

    id: int
    period: int
    lookback: int
    horizon: int
    scale: float
    norm_scale: float
    anomaly_threshold: float
    anomaly_unit: float


class DataRecord(TypedDict):
    """What the model was trained on. The four common fields first, then each task's counts."""

    name: str
    source_package: str
    licence: str
    split_note: str
    description: NotRequired[str]
    install: NotRequired[str]
    #: text generation: characters per split, the split itself, the unknown symbol's use
    characters: NotRequired[dict[str, int]]
    split: NotRequired[dict[str, str | list[str]]]
    unknown_symbol: NotRequired[str]
    unknown_chars: NotRequired[dict[str, int]]
    #: speech: split → {"word", "digits", "voices", "seconds"}
    counts: NotRequired[dict[str, dict[str, int]]]
    #: sentiment: split → domain → sentences
    sentences: NotRequired[dict[str, dict[str, int]]]
    #: translation: split → sentence pairs
    pairs: NotRequired[dict[str, int]]
    #: music: split → chorales, split → events
    chorales: NotRequired[dict[str, int]]
    events: NotRequired[dict[str, int]]
    #: forecasting: the per-series settings (as the card's ``series``)
    series: NotRequired[dict[str, SeriesSettings]]


class TrainingRecord(TypedDict):
    """How the model was trained, from its training log (`rnn_site.export.cards`)."""

    command: str | None
    preset: str | None
    budget: dict[str, int]
    steps: int | None
    stopped: str | None
    complete: bool | None
    wall_time_s: float | None
    machine: dict[str, str | int | list[str]] | None
    threads: int | None
    commit: str | None
    #: "bf16" for a recipe trained under bfloat16 autocast; absent: float32.
    precision: NotRequired[str]
    #: The decay of the weights' moving average the model is (absent: the raw weights).
    ema_decay: NotRequired[float]
    note: NotRequired[str]


class Performance(TypedDict, total=False):
    """The benchmark's figures (``rnn-site bench``); empty until it has run."""

    latency: dict[str, dict[str, float]]
    onnxruntime_speedup: dict[str, float]
    throughput: dict[str, int | float | str]
    tokens: int
    repeats: int
    threads: int
    setup: str
    measured: str


class Example(TypedDict):
    """The README's "Example" section: a sentence saying what was run, and its output."""

    title: str
    text: str


class Usage(TypedDict):
    """How to use the model: Python from ``rnn_site/examples``, optionally a plain HTML page."""

    python: str
    html: NotRequired[str]


class CardHead(TypedDict):
    """The first fields of every card (each task's card adds ``task``, a literal)."""

    name: str
    version: str
    title: str
    summary: str


class CardNotes(TypedDict):
    """The prose sections after the scores, from ``rnn_site/export/prose/<name>.md``."""

    intended_use: str
    file_notes: dict[str, str]
    preprocessing: str
    io_notes: str
    metrics_note: str
    limits: list[str]


class CardScores(TypedDict):
    """What every card says about its data, scores and provenance."""

    data: DataRecord
    metrics: Scores
    baselines: Scores
    better: dict[str, Better]
    performance: Performance
    licence: str
    source_commit: str


class CardCommon(CardScores, CardNotes):
    """The fields after a task's own: scores and provenance, then the notes."""


class CardBase(CardHead, CardCommon):
    """The fields of every card, whatever its task.

    Prose fields (title, summary, the notes, the data's texts) come from
    ``rnn_site/export/prose/<name>.md``; ``usage.python`` from the application's runnable
    example in ``rnn_site/examples``; ``training`` from the training log; ``performance`` from
    the benchmark.
    """

    config: dict[str, Any]
    files: dict[str, str]
    io: Contract
    example: NotRequired[Example]
    training: NotRequired[TrainingRecord]
    usage: NotRequired[Usage]


class GreedyText(TypedDict):
    """Greedy continuation of ``prompt``: ``n`` characters, reproduced by every runtime."""

    prompt: str
    n: int
    output: str


class TextGenerationCard(CardBase):
    """A character language model: ``vocab`` in token-id order."""

    task: Literal["text-generation"]
    vocab: str
    example_greedy: GreedyText
    unknown: NotRequired[str]
    parameters: NotRequired[int]


class BpeTarget(TypedDict):
    """How the translator's German side is cut: whole words or BPE pieces."""

    pieces: Literal["bpe", "words"]
    continuation: str


class Tokenizer(TypedDict):
    """Word tokenisation: regex matches of ``pattern`` after ``replace``, then vocab ids."""

    pattern: str
    lowercase: bool
    replace: dict[str, str]
    pad: int
    unknown: int
    max_tokens: int
    normalize: NotRequired[str]
    bos: NotRequired[int]
    eos: NotRequired[int]
    target: NotRequired[BpeTarget]


class TextClassificationCard(CardBase):
    """The sentiment model: word ``vocab``, tokenizer, per-domain results and examples."""

    task: Literal["text-classification"]
    vocab: list[str]
    tokenizer: Tokenizer
    results: dict[str, Any]
    examples: dict[str, Any]


class TranslationVocab(TypedDict):
    src: list[str]
    tgt: list[str]


class TranslationCard(CardBase):
    """The translator: source and target vocabularies, beam width and test results."""

    task: Literal["translation"]
    vocab: TranslationVocab
    tokenizer: Tokenizer
    results: dict[str, Any]
    beam: int
    examples: dict[str, Any]
    #: English word → German word: what an output ``<unk>`` attending to it becomes (older
    #: cards; a newer one names the file, ``files["dictionary"]``, as its table is too large).
    unk_dictionary: NotRequired[dict[str, str]]


@dataclass(frozen=True)
class Bounds:
    """Inclusive limits of a number, for the schema: ``Annotated[float, Bounds(0, 1)]``."""

    minimum: float
    maximum: float


class SilenceTrim(TypedDict):
    """How the runtime and the demo cut silence around speech (rnn_site.data.speech_trim).

    Without ``floor_quantile`` the noise floor is off (cards exported before it)."""

    frame: int
    threshold_db: float
    margin_s: float
    floor_quantile: NotRequired[Annotated[float, Bounds(0, 1)]]
    floor_margin_db: NotRequired[float]
    ceiling_db: NotRequired[float]


class AudioSettings(TypedDict):
    """The audio front end inside the speech graph, and the silence trim before it."""

    sample_rate: int
    n_fft: int
    hop: int
    n_mels: int
    step_seconds: float
    min_samples: int
    trim: NotRequired[SilenceTrim]


class Sample(TypedDict):
    """One demo clip in ``samples/``."""

    file: str
    text: str
    voice: str
    kind: str
    licence: NotRequired[str]


class SpeechRecognitionCard(CardBase):
    """The speech recogniser: CTC ``alphabet`` and ``blank``, audio settings, demo clips."""

    task: Literal["speech-recognition"]
    alphabet: str
    blank: int
    audio: AudioSettings
    samples: list[Sample]
    results: dict[str, Any]
    per_voice: dict[str, float]


class ForecastingCard(CardBase):
    """The forecaster: quantiles, horizons, series settings, target counts."""

    task: Literal["time-series-forecasting"]
    quantiles: list[float]
    interval_level: float
    min_history: int
    max_horizon: int
    series: dict[str, SeriesSettings]
    targets: dict[str, int | float]
    #: normalisation → {"val_mase", "test_mase_<series>", "held_out_mean_mase", "chosen"}
    normalisations: dict[str, dict[str, float | bool | None]]


class GreedyMelody(TypedDict):
    """Greedy continuation of a seed; events are [MIDI pitch or null, quarters, fermata]."""

    mode: str
    beats_per_bar: float
    pickup: float
    seed: list[list[float | None]]
    n: int
    output: list[list[float | None]]


class MusicGenerationCard(CardBase):
    """The melody model: token names in id order and the grammar a sampler must follow."""

    task: Literal["music-generation"]
    tokens: list[str]
    grammar: dict[str, list[str]]
    generated_statistics: dict[str, Any]
    example_greedy: GreedyMelody


Card = Union[  # noqa: UP007 (the union is inspected at run time to build the schema)
    TextGenerationCard,
    TextClassificationCard,
    TranslationCard,
    SpeechRecognitionCard,
    ForecastingCard,
    MusicGenerationCard,
]
#: card "task" → the TypedDict of its card.
CARD_TYPES: dict[str, type] = {
    typing.get_type_hints(t)["task"].__args__[0]: t for t in typing.get_args(Card)
}


# --------------------------------------------------------------------------- JSON Schema


def _schema(tp: Any, defs: dict[str, Any]) -> dict[str, Any]:
    """The JSON Schema of one annotation; TypedDicts go into ``defs`` and are referenced."""
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if tp is Any:
        return {}
    if tp is None or tp is type(None):
        return {"type": "null"}
    simple = {str: "string", bool: "boolean", int: "integer", float: "number"}
    if tp in simple:
        return {"type": simple[tp]}
    if origin is NotRequired:
        return _schema(args[0], defs)
    if origin is Annotated:
        bounds = next(m for m in tp.__metadata__ if isinstance(m, Bounds))
        return {**_schema(args[0], defs), "minimum": bounds.minimum, "maximum": bounds.maximum}
    if origin is Literal:
        return {"const": args[0]} if len(args) == 1 else {"enum": list(args)}
    if origin in (Union, types.UnionType):
        return {"anyOf": [_schema(a, defs) for a in args]}
    if origin is list:
        return {"type": "array", "items": _schema(args[0], defs)}
    if origin is dict:
        return {"type": "object", "additionalProperties": _schema(args[1], defs)}
    if typing.is_typeddict(tp):
        if tp.__name__ not in defs:
            defs[tp.__name__] = {}  # placeholder: breaks recursion
            hints = typing.get_type_hints(tp, include_extras=True)
            defs[tp.__name__] = {
                "description": (tp.__doc__ or "").split("\n")[0],
                "type": "object",
                "properties": {k: _schema(v, defs) for k, v in hints.items()},
                "required": [k for k in hints if k in tp.__required_keys__],
                "additionalProperties": False,
            }
        return {"$ref": f"#/$defs/{tp.__name__}"}
    raise TypeError(f"no JSON Schema for {tp!r}; use str, int, float, bool, list, dict, TypedDict")


def card_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of `Card`, generated from the TypedDicts above."""
    defs: dict[str, Any] = {}
    variants = [_schema(t, defs) for t in typing.get_args(Card)]
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "Model card (card.json) of Interactive RNN Journey",
        "description": "Generated from rnn_site/card.py by `python -m rnn_site.card`; "
        "do not edit by hand.",
        "oneOf": variants,
        "$defs": dict(sorted(defs.items())),
    }


def schema_text() -> str:
    """card.schema.json as written: two-space JSON, UTF-8, trailing newline."""
    return json.dumps(card_schema(), indent=2, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Write ``rnn_site/card.schema.json`` from the types (``python -m rnn_site.card``)."""
    del argv
    SCHEMA_PATH.write_text(schema_text(), encoding="utf-8")
    print(f"wrote {SCHEMA_PATH}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
