"""Run exported models with numpy and onnxruntime only (no torch).

from rnn_site.runtime import CharLanguageModel
model = CharLanguageModel.load("char-lm")
print(model.generate("ROMEO:", n=200, temperature=0.8, seed=0))

from rnn_site.runtime import Forecaster
model = Forecaster.load("ts-forecaster")
print(model.forecast(history, horizon=12, series="co2").median)

from rnn_site.runtime import MelodyModel
model = MelodyModel.load("melody")
model.to_midi(model.generate([(72, 1.0), (71, 1.0)], n=32, seed=0), "melody.mid")

from rnn_site.runtime import SentimentModel
model = SentimentModel.load("sentiment")
print(model.predict("not bad at all, but too long").probability)

from rnn_site.runtime import SpeechRecognizer
model = SpeechRecognizer.load("speech")
print(model.transcribe(waveform, sample_rate=16000).text)

from rnn_site.runtime import Translator
model = Translator.load("translator")
print(model.translate("The weather is nice today.", beam_width=model.card["beam"]).text)

Every class derives from `RuntimeModel` (`rnn_site.runtime.base`): one `load()`, one vocabulary
of argument names (`seed`, `temperature`, `beam_width`, `n`), and typed errors, all subclasses of
`RnnSiteError`, for every bad input.
"""

from rnn_site.runtime.base import RuntimeModel
from rnn_site.runtime.char_lm import CharLanguageModel
from rnn_site.runtime.errors import (
    AudioTooLongError,
    EmptyAudioError,
    EmptyPromptError,
    EmptyTextError,
    GeneratedFileMissingError,
    HistoryTooShortError,
    InvalidArgumentError,
    InvalidAudioError,
    InvalidBeamError,
    InvalidDurationError,
    InvalidHorizonError,
    InvalidLengthError,
    InvalidNoteError,
    InvalidSampleRateError,
    InvalidSeedError,
    InvalidSeriesError,
    InvalidTemperatureError,
    InvalidTextError,
    ModelIntegrityError,
    ModelMismatchError,
    ModelNotFoundError,
    NonFiniteAudioError,
    NonFiniteValueError,
    RnnSiteError,
    TextTooLongError,
    UnknownCharacterError,
    UnknownSeriesError,
    WrongTaskError,
)
from rnn_site.runtime.melody import MelodyModel
from rnn_site.runtime.registry import list_models, locate
from rnn_site.runtime.sentiment import SentimentModel, SentimentPrediction
from rnn_site.runtime.speech import SpeechRecognizer, Transcription
from rnn_site.runtime.translator import TranslationResult, Translator
from rnn_site.runtime.ts_forecaster import Forecast, Forecaster

__all__ = [
    "AudioTooLongError",
    "CharLanguageModel",
    "EmptyAudioError",
    "EmptyPromptError",
    "EmptyTextError",
    "Forecast",
    "Forecaster",
    "GeneratedFileMissingError",
    "HistoryTooShortError",
    "InvalidArgumentError",
    "InvalidAudioError",
    "InvalidBeamError",
    "InvalidDurationError",
    "InvalidHorizonError",
    "InvalidLengthError",
    "InvalidNoteError",
    "InvalidSampleRateError",
    "InvalidSeedError",
    "InvalidSeriesError",
    "InvalidTemperatureError",
    "InvalidTextError",
    "MelodyModel",
    "ModelIntegrityError",
    "ModelMismatchError",
    "ModelNotFoundError",
    "NonFiniteAudioError",
    "NonFiniteValueError",
    "RnnSiteError",
    "RuntimeModel",
    "SentimentModel",
    "SentimentPrediction",
    "SpeechRecognizer",
    "TextTooLongError",
    "Transcription",
    "TranslationResult",
    "Translator",
    "UnknownCharacterError",
    "UnknownSeriesError",
    "WrongTaskError",
    "list_models",
    "locate",
]
