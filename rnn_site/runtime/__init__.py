"""Run exported models with numpy and onnxruntime only (no torch).

from rnn_site.runtime import CharLanguageModel
model = CharLanguageModel.load("char-lm")
print(model.generate("ROMEO:", n=200, temperature=0.8, seed=0))

from rnn_site.runtime import Forecaster
model = Forecaster.load("ts-forecaster")
print(model.forecast(history, horizon=12, series="co2").median)

from rnn_site.runtime import MelodyModel
model = MelodyModel.load("melody")
model.to_midi(model.generate([(72, 1.0), (71, 1.0)], n=32, rng_seed=0), "melody.mid")

from rnn_site.runtime import SentimentModel
model = SentimentModel.load("sentiment")
print(model.predict("not bad at all, but too long").probability)
"""

from rnn_site.runtime.char_lm import CharLanguageModel
from rnn_site.runtime.errors import (
    EmptyPromptError,
    EmptyTextError,
    HistoryTooShortError,
    InvalidArgumentError,
    InvalidDurationError,
    InvalidHorizonError,
    InvalidLengthError,
    InvalidNoteError,
    InvalidSeriesError,
    InvalidTemperatureError,
    InvalidTextError,
    ModelIntegrityError,
    ModelMismatchError,
    ModelNotFoundError,
    NonFiniteValueError,
    RnnSiteError,
    TextTooLongError,
    UnknownCharacterError,
    UnknownSeriesError,
)
from rnn_site.runtime.forecaster import Forecast, Forecaster
from rnn_site.runtime.melody import MelodyModel
from rnn_site.runtime.registry import list_models, locate
from rnn_site.runtime.sentiment import SentimentModel, SentimentPrediction

__all__ = [
    "CharLanguageModel",
    "EmptyPromptError",
    "EmptyTextError",
    "Forecast",
    "Forecaster",
    "HistoryTooShortError",
    "InvalidArgumentError",
    "InvalidDurationError",
    "InvalidHorizonError",
    "InvalidLengthError",
    "InvalidNoteError",
    "InvalidSeriesError",
    "InvalidTemperatureError",
    "InvalidTextError",
    "MelodyModel",
    "ModelIntegrityError",
    "ModelMismatchError",
    "ModelNotFoundError",
    "NonFiniteValueError",
    "RnnSiteError",
    "SentimentModel",
    "SentimentPrediction",
    "TextTooLongError",
    "UnknownCharacterError",
    "UnknownSeriesError",
    "list_models",
    "locate",
]
