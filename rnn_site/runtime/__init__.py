"""Run exported models with numpy and onnxruntime only (no torch).

from rnn_site.runtime import CharLanguageModel
model = CharLanguageModel.load("char-lm")
print(model.generate("ROMEO:", n=200, temperature=0.8, seed=0))
"""

from rnn_site.runtime.char_lm import CharLanguageModel
from rnn_site.runtime.errors import (
    EmptyPromptError,
    InvalidArgumentError,
    InvalidLengthError,
    InvalidTemperatureError,
    ModelIntegrityError,
    ModelMismatchError,
    ModelNotFoundError,
    RnnSiteError,
    UnknownCharacterError,
)
from rnn_site.runtime.registry import list_models, locate

__all__ = [
    "CharLanguageModel",
    "EmptyPromptError",
    "InvalidArgumentError",
    "InvalidLengthError",
    "InvalidTemperatureError",
    "ModelIntegrityError",
    "ModelMismatchError",
    "ModelNotFoundError",
    "RnnSiteError",
    "UnknownCharacterError",
    "list_models",
    "locate",
]
