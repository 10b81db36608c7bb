"""Errors the runtime raises: each says what was wrong and what is accepted.

Argument errors subclass `ValueError` (so ordinary ``except ValueError`` code keeps working);
all of them subclass `RnnSiteError`, which the CLI turns into a one-line message.
"""

from __future__ import annotations

from rnn_site.errors import RnnSiteError as RnnSiteError  # the package-wide base, re-exported


class InvalidArgumentError(RnnSiteError, ValueError):
    """An argument is outside what the model accepts (the message says what is accepted)."""


class EmptyPromptError(InvalidArgumentError):
    """Generation needs at least one character to start from."""


class InvalidTemperatureError(InvalidArgumentError):
    """Temperature must be a finite number ≥ 0 (0 means greedy)."""


class InvalidLengthError(InvalidArgumentError):
    """A length (characters to generate, text to read) is negative, not an integer, or absurd."""


class UnknownCharacterError(InvalidArgumentError):
    """The text holds a character the model has no token for."""

    def __init__(self, char: str, position: int, vocab_size: int) -> None:
        self.char = char
        self.position = position
        self.vocab_size = vocab_size
        super().__init__(
            f"unknown character {char!r} at position {position}; the model knows "
            f"{vocab_size} characters (use on_unknown='skip' or 'replace' to get past it)"
        )


class ModelNotFoundError(RnnSiteError, FileNotFoundError):
    """No model of that name or at that path."""


class ModelIntegrityError(RnnSiteError):
    """A model file is missing, corrupted or not the one the manifest describes."""

    def __init__(
        self, message: str, *, file: str = "", expected: str = "", actual: str = ""
    ) -> None:
        self.file = file
        self.expected = expected
        self.actual = actual
        super().__init__(message)

    @classmethod
    def hash_mismatch(cls, file: str, expected: str, actual: str) -> ModelIntegrityError:
        """The file's sha256 differs from the manifest's."""
        return cls(
            f"{file}: sha256 is {actual} but the manifest expects {expected}; the file is "
            "corrupted or was changed after export (re-download or re-export it)",
            file=file,
            expected=expected,
            actual=actual,
        )


class GeneratedFileMissingError(ModelIntegrityError):
    """A model file that is generated on the user's machine, not shipped, has not been written
    (the message says why it is not shipped and the command that writes it)."""


class ModelMismatchError(ModelIntegrityError):
    """A file loads, but its inputs/outputs do not match the model card's contract."""


class InvalidNoteError(InvalidArgumentError):
    """A note's pitch is not a MIDI number the model knows (its range is in the message)."""


class InvalidDurationError(InvalidArgumentError):
    """A note's duration is not one of the durations the model knows."""


class InvalidSeriesError(InvalidArgumentError):
    """A time series is not a one-dimensional sequence of finite numbers of a usable length."""


class NonFiniteValueError(InvalidSeriesError):
    """A time series holds NaN or ±inf (fill or drop gaps before forecasting)."""


class HistoryTooShortError(InvalidSeriesError):
    """A forecast needs at least the model's minimum number of past values."""


class UnknownSeriesError(InvalidArgumentError):
    """The forecaster knows a fixed set of series (its card lists them)."""


class InvalidHorizonError(InvalidLengthError):
    """A forecast horizon must be an integer between 1 and the model's maximum."""


class InvalidTextError(InvalidArgumentError):
    """Text to classify must be a `str` (not bytes, None or a list of words)."""


class EmptyTextError(InvalidTextError):
    """Text to classify must contain at least one word (letters or digits)."""


class TextTooLongError(InvalidTextError, InvalidLengthError):
    """Text to classify is longer than the model accepts (the limit is in the message)."""


class InvalidAudioError(InvalidArgumentError):
    """Audio must be a 1-D array of float (or int16) samples, mono, of a usable length."""


class EmptyAudioError(InvalidAudioError):
    """Audio with no samples, or fewer than one analysis window (25 ms)."""


class NonFiniteAudioError(InvalidAudioError):
    """Audio holds NaN or ±inf samples."""


class AudioTooLongError(InvalidAudioError, InvalidLengthError):
    """Audio longer than the recogniser accepts (the limit is in the message)."""


class InvalidSampleRateError(InvalidAudioError):
    """The sample rate is not a positive integer in the accepted range (in the message)."""


class InvalidBeamError(InvalidArgumentError):
    """A beam width must be an integer from 1 (greedy) to the model's maximum (in the message)."""


class InvalidSeedError(InvalidArgumentError):
    """A random seed must be None or an integer from 0 to 2**63 - 1."""


class WrongTaskError(InvalidArgumentError):
    """The model does another task than the class loading it (the message names the class
    that fits)."""

    def __init__(self, message: str, *, task: str = "", fits: str = "") -> None:
        self.task = task
        self.fits = fits
        super().__init__(message)
