"""Transcribe spoken digits and letters with the exported speech recogniser (numpy + onnxruntime).

    from rnn_site.runtime import SpeechRecognizer
    model = SpeechRecognizer.load("speech")
    result = model.transcribe(waveform, sample_rate=44100)
    result.text, result.posteriors, result.features, result.alternatives

The graph takes 16 kHz samples and computes its own features, so the only preparation here is
checking the input, resampling it (`rnn_site.data.audio.resample`, band-limited, NumPy) and
cutting the silence around the speech (`rnn_site.data.speech_trim`, with the card's
``audio.trim`` settings, as the browser demo does): the features are normalised by the clip's
mean, so long silence changes what the model hears.
Decoding is greedy (default) or prefix beam search (`rnn_site.decoding.ctc`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from rnn_site.card import SpeechRecognitionCard
from rnn_site.data.audio import N_FFT, SAMPLE_RATE, resample
from rnn_site.data.speech_trim import TRIM, TrimSettings, speech_span
from rnn_site.decoding.ctc import Hypothesis, greedy_decode, prefix_beam_decode
from rnn_site.runtime.base import RuntimeModel, raw_inputs
from rnn_site.runtime.checks import check_beam_width, check_choice
from rnn_site.runtime.errors import (
    AudioTooLongError,
    EmptyAudioError,
    InvalidAudioError,
    InvalidSampleRateError,
    ModelMismatchError,
    NonFiniteAudioError,
)

#: Longest clip accepted, in seconds (the model was trained on clips under 5 s).
MAX_SECONDS = 30.0
MIN_RATE, MAX_RATE = 4_000, 192_000
#: Widest CTC beam (the browser demo's limit too): wider costs time and gains nothing here.
MAX_BEAM_WIDTH = 32


@dataclass(frozen=True)
class Transcription:
    """What the recogniser heard in one clip.

    text: the transcript ("55512"); posteriors: (steps, 37) probabilities per 40 ms step
    (column 0 is the blank, column k the symbol ``alphabet[k - 1]``); features: (frames, 40)
    the log-mel spectrogram the model saw; alternatives: the beam's transcripts with their log
    probabilities (only the greedy one when decoded greedily); kept: (start, stop) of the 16 kHz
    samples the model heard, the rest being silence cut before and after the speech.
    """

    text: str
    posteriors: np.ndarray = field(repr=False)
    features: np.ndarray = field(repr=False)
    alternatives: list[Hypothesis]
    step_seconds: float
    kept: tuple[int, int] = (0, 0)


def check_waveform(waveform: Any, sample_rate: Any) -> tuple[np.ndarray, int]:
    """Validate a clip → (float32 mono samples, integer rate); typed errors say what is accepted.

    Accepted: a 1-D sequence or array of float samples in about [-1, 1], or int16 PCM
    (scaled by 1/32768); 4 kHz ≤ rate ≤ 192 kHz; at least 25 ms, at most 30 s. Every sample
    must be finite *as float32*, the precision the model computes in: 1e39 is refused too.
    """
    if isinstance(sample_rate, bool | np.bool_) or not isinstance(
        sample_rate, int | float | np.integer | np.floating
    ):
        raise InvalidSampleRateError(
            f"sample_rate must be a number of samples per second, got {type(sample_rate).__name__}"
        )
    try:
        whole = math.isfinite(float(sample_rate)) and float(sample_rate) == int(sample_rate)
    except OverflowError:  # an integer too large for a float
        whole = True
    if not whole:
        raise InvalidSampleRateError(f"sample_rate must be a whole number, got {sample_rate!r}")
    rate = int(sample_rate)
    if not MIN_RATE <= rate <= MAX_RATE:
        shown = f"{rate} Hz" if abs(rate) < 10**12 else "far"
        raise InvalidSampleRateError(
            f"sample_rate {shown} is outside {MIN_RATE:,}–{MAX_RATE:,} Hz "
            "(audio is usually recorded at 16,000, 44,100 or 48,000 Hz)"
        )
    if isinstance(waveform, str | bytes | bytearray):
        raise InvalidAudioError(
            f"waveform must be an array of samples, got {type(waveform).__name__}; "
            "read the file first (e.g. rnn_site.data.audio.read_wav)"
        )
    try:
        x = np.asarray(waveform)
    except (TypeError, ValueError, OverflowError):  # ragged lists, huge Python ints
        raise InvalidAudioError(
            "waveform must be a 1-D sequence of float samples (or int16 PCM)"
        ) from None
    if x.dtype == np.int16:
        x = x.astype(np.float32) / 32768.0
    elif x.dtype.kind != "f":
        raise InvalidAudioError(
            f"waveform must hold float samples (or int16 PCM), got dtype {x.dtype}"
        )
    if x.ndim != 1:
        hint = " (mix the channels down first, e.g. x.mean(axis=1))" if x.ndim == 2 else ""
        raise InvalidAudioError(f"waveform must be 1-D mono samples, got shape {x.shape}{hint}")
    if x.size == 0:
        raise EmptyAudioError("waveform is empty: give at least 25 ms of audio")
    seconds = x.size / rate
    if seconds > MAX_SECONDS:  # before the cast below, which copies the samples
        raise AudioTooLongError(
            f"waveform lasts {seconds:.1f} s; at most {MAX_SECONDS:.0f} s is accepted "
            "(cut long recordings into clips)"
        )
    # Checked after the cast: a float64 sample beyond float32's range becomes inf there.
    with np.errstate(over="ignore"):
        x = x.astype(np.float32)
    if not np.isfinite(x).all():
        bad = int(np.flatnonzero(~np.isfinite(x))[0])
        raise NonFiniteAudioError(
            f"waveform holds NaN, infinite or out-of-range samples (first at index {bad}); "
            "all samples must be finite float32 values (normally within [-1, 1])"
        )
    if x.size * SAMPLE_RATE / rate < N_FFT:
        raise EmptyAudioError(
            f"waveform lasts {1000 * seconds:.1f} ms; at least 25 ms is needed (one frame)"
        )
    return x, rate


class SpeechRecognizer(RuntimeModel[SpeechRecognitionCard]):
    """The speech recogniser behind a checked API: `transcribe(waveform, sample_rate)`.

    Build it with `load` ("speech" → models/speech, see `rnn_site.runtime.base.RuntimeModel`).
    """

    task = "speech-recognition"
    default_model = "speech"
    graphs = ("speech",)

    def read_card(self) -> None:
        classes = self.contract("speech")["outputs"]["log_probs"]["shape"][-1]
        if not isinstance(self.card["alphabet"], str) or len(self.card["alphabet"]) + 1 != classes:
            raise ModelMismatchError(
                "card.json: the alphabet's length + 1 (blank) differs from the graph's classes",
                file="card.json",
            )
        self.alphabet: str = self.card["alphabet"]
        self.step_seconds: float = float(self.card["audio"]["step_seconds"])
        # Cards exported before the trim was published lack it: the published settings then.
        # A card with only the fixed trim's three fields (before the noise floor) keeps it off.
        trim = self.card["audio"].get("trim")
        self.trim_settings = TrimSettings(**trim) if trim else TRIM
        self._session = self.session("speech")

    def run(self, samples_16k: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The graph on 16 kHz samples → (features (frames, 40), log_probs (steps, 37)).

        Raw: `transcribe` checks and resamples first; what the graph refuses here is an
        InvalidArgumentError."""
        with raw_inputs(f"{self.location.name} graph"):
            waveform = np.ascontiguousarray(samples_16k, dtype=np.float32)[None, :]
            features, log_probs = self._session.run(None, {"waveform": waveform})
        return features[0], log_probs[0]

    def transcribe(
        self,
        waveform: Any,
        sample_rate: int = SAMPLE_RATE,
        *,
        decoder: str = "greedy",
        beam_width: int = 8,
        trim: bool = True,
    ) -> Transcription:
        """Transcribe one mono clip at any rate from 4 to 192 kHz (resampled to 16 kHz).

        `waveform` and `sample_rate` as `check_waveform` accepts (25 ms to 30 s). decoder:
        "greedy" or "beam" (CTC prefix beam search of `beam_width` 1 to 32, `MAX_BEAM_WIDTH`;
        checked whichever decoder is chosen). trim: cut the silence before and after the speech
        first (`rnn_site.data.speech_trim`), as the model's test clips were.
        """
        check_choice(decoder, "decoder", ("greedy", "beam"))
        beam_width = check_beam_width(beam_width, MAX_BEAM_WIDTH)
        samples, rate = check_waveform(waveform, sample_rate)
        audio = resample(samples, rate, SAMPLE_RATE)
        start, stop = speech_span(audio, self.trim_settings) if trim else (0, len(audio))
        features, log_probs = self.run(audio[start:stop])
        if decoder == "beam":
            alternatives = prefix_beam_decode(log_probs, self.alphabet, beam_width)
            text = alternatives[0].text
        else:
            text = greedy_decode(log_probs, self.alphabet)
            best = log_probs.max(axis=-1).sum(dtype=np.float64)
            alternatives = [Hypothesis(text, float(best))]
        return Transcription(
            text=text,
            posteriors=np.exp(log_probs.astype(np.float64)),
            features=features,
            alternatives=alternatives,
            step_seconds=self.step_seconds,
            kept=(start, stop),
        )
