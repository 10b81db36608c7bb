"""The application registry: every application of the site, in one table of plain data.

One application is one vertical slice (data → model → training → export → runtime → page and
demo) with one name: its model folder under ``models/``, its ``rnn-site train NAME`` and its
registry entry. Everything that lists applications (the ``rnn-site`` command, ``models list``,
the Models page, the tests' parametrisation) reads this table, so adding an application is
its slice files plus one entry here (README.md, "Add an application").

Targets are ``"module:attribute"`` strings, not imports, so reading the registry costs nothing
and needs no torch: the CLI imports a trainer only when it runs one.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Application:
    """One application: where each part of its slice lives.

    name: the model folder, the CLI's ``train``/``export`` name and the card's ``name``.
    task: the card's task, which picks the runtime class and the CLI verb.
    data, model: the modules that read its data and define its network.
    trainer: ``main(argv) -> int`` of ``rnn-site train NAME``; exporter: ``(checkpoint,
    out_dir) -> {kind: path}``; bench: ``(model_dir, ...) -> figures`` or ``""`` for none.
    runtime: the numpy + onnxruntime class; verb: the ``rnn-site`` command that runs it
    (``""`` where none does yet); page and demo: the site page (under ``docs/``) and the demo
    module (under ``docs/assets/demos/``) that show it; example: the runnable
    ``rnn_site/examples`` module its card's usage example is read from.

    Naming: an application's own modules carry its one name (``train/ts_forecaster.py`` for
    ``ts-forecaster``, hyphens as underscores). Data modules are the exception: they are named
    for their data set (``shakespeare``, ``vader``, ``ding``, ``chorales``, ``timeseries``),
    since one data set may serve several applications (char-lm and char-mingru both read
    ``shakespeare``); likewise a network several models share is named for its idea
    (``models/min_rnn`` holds char-mingru's network and the cell comparison's).
    """

    name: str
    task: str
    data: str
    model: str
    trainer: str
    exporter: str
    runtime: str
    verb: str
    page: str
    demo: str
    example: str
    bench: str = ""

    @property
    def checkpoint(self) -> str:
        """The checkpoint file training writes into the model folder."""
        return f"{self.name}.pt"


APPLICATIONS: tuple[Application, ...] = (
    Application(
        name="char-lm",
        task="text-generation",
        data="rnn_site.data.shakespeare",
        model="rnn_site.models.char_lm:CharLSTM",
        trainer="rnn_site.train.char_lm:main",
        exporter="rnn_site.export.char_lm:export_char_lm",
        runtime="rnn_site.runtime:CharLanguageModel",
        verb="generate",
        page="applications/text-generation.md",
        demo="text-generation",
        example="rnn_site.examples.use_char_lm",
        bench="rnn_site.bench.char_lm:run_benchmark",
    ),
    Application(
        name="char-mingru",
        task="text-generation",
        data="rnn_site.data.shakespeare",
        model="rnn_site.models.min_rnn:CharMinRNN",
        trainer="rnn_site.train.char_mingru:main",
        exporter="rnn_site.export.char_mingru:export_char_mingru",
        runtime="rnn_site.runtime:CharLanguageModel",
        verb="generate",
        page="next.md",
        demo="compare-cells",
        example="rnn_site.examples.use_char_mingru",
    ),
    Application(
        name="sentiment",
        task="text-classification",
        data="rnn_site.data.vader",
        model="rnn_site.models.sentiment:SentimentLSTM",
        trainer="rnn_site.train.sentiment:main",
        exporter="rnn_site.export.sentiment:export_sentiment",
        runtime="rnn_site.runtime:SentimentModel",
        verb="classify",
        page="applications/sentiment.md",
        demo="sentiment",
        example="rnn_site.examples.use_sentiment",
    ),
    Application(
        name="translator",
        task="translation",
        data="rnn_site.data.ding",
        model="rnn_site.models.translator:Translator",
        trainer="rnn_site.train.translator:main",
        exporter="rnn_site.export.translator:export_translator",
        runtime="rnn_site.runtime:Translator",
        verb="translate",
        page="applications/translation.md",
        demo="translation",
        example="rnn_site.examples.use_translator",
    ),
    Application(
        name="speech",
        task="speech-recognition",
        data="rnn_site.data.speech",
        model="rnn_site.models.speech:SpeechCTC",
        trainer="rnn_site.train.speech:main",
        exporter="rnn_site.export.speech:export_speech",
        runtime="rnn_site.runtime:SpeechRecognizer",
        verb="transcribe",
        page="applications/speech.md",
        demo="speech",
        example="rnn_site.examples.use_speech",
    ),
    Application(
        name="ts-forecaster",
        task="time-series-forecasting",
        data="rnn_site.data.timeseries",
        model="rnn_site.models.ts_forecaster:LSTMForecaster",
        trainer="rnn_site.train.ts_forecaster:main",
        exporter="rnn_site.export.ts_forecaster:export_forecaster",
        runtime="rnn_site.runtime:Forecaster",
        verb="",
        page="applications/time-series.md",
        demo="time-series",
        example="rnn_site.examples.use_ts_forecaster",
    ),
    Application(
        name="melody",
        task="music-generation",
        data="rnn_site.data.chorales",
        model="rnn_site.models.melody:MelodyLSTM",
        trainer="rnn_site.train.melody:main",
        exporter="rnn_site.export.melody:export_melody",
        runtime="rnn_site.runtime:MelodyModel",
        verb="",
        page="applications/music.md",
        demo="music",
        example="rnn_site.examples.use_melody",
    ),
)


class UnknownApplicationError(KeyError):
    """A name that no registry entry has; the message lists the names there are."""

    def __str__(self) -> str:  # KeyError would print the message with quotes around it
        return str(self.args[0])


def names() -> list[str]:
    """Every application's name, in registry order."""
    return [app.name for app in APPLICATIONS]


def application(name: str) -> Application:
    """The registry entry called ``name``; :class:`UnknownApplicationError` if none is."""
    for app in APPLICATIONS:
        if app.name == name:
            return app
    raise UnknownApplicationError(f"unknown model {name!r}; known: {', '.join(sorted(names()))}")


def resolve(target: str) -> Any:
    """Import a ``"module:attribute"`` (or plain ``"module"``) target of the registry."""
    module, _, attribute = target.partition(":")
    loaded = importlib.import_module(module)
    return getattr(loaded, attribute) if attribute else loaded
