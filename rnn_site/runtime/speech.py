"""Transcribe spoken digits and letters with the exported speech recogniser (numpy + onnxruntime).

    from rnn_site.runtime import SpeechRecognizer
    model = SpeechRecognizer.load("speech")
    result = model.transcribe(waveform, sample_rate=44100)
    result.text, result.posteriors, result.features, result.alternatives

The graph takes 16 kHz samples and computes its own features, so the only preparation here is
checking the input and resampling it (`rnn_site.data.audio.resample`, band-limited, NumPy).
Decoding is greedy (default) or prefix beam search (`rnn_site.decoding.ctc`).
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import onnxruntime as ort

from rnn_site.data.audio import N_FFT, SAMPLE_RATE, resample
from rnn_site.decoding.ctc import Hypothesis, greedy_decode, prefix_beam_decode
from rnn_site.runtime.errors import (
    AudioTooLongError,
    EmptyAudioError,
    InvalidArgumentError,
    InvalidAudioError,
    InvalidSampleRateError,
    ModelMismatchError,
    NonFiniteAudioError,
)
from rnn_site.runtime.registry import ModelLocation, locate_verified
from rnn_site.runtime.session import open_graph

#: Longest clip accepted, in seconds (the model was trained on clips under 5 s).
MAX_SECONDS = 30.0
MIN_RATE, MAX_RATE = 4_000, 192_000


@dataclass(frozen=True)
class Transcription:
    """What the recogniser heard in one clip.

    text: the transcript ("55512"); posteriors: (steps, 37) probabilities per 40 ms step
    (column 0 is the blank, column k the symbol ``alphabet[k - 1]``); features: (frames, 40)
    the log-mel spectrogram the model saw; alternatives: the beam's transcripts with their log
    probabilities (only the greedy one when decoded greedily).
    """

    text: str
    posteriors: np.ndarray = field(repr=False)
    features: np.ndarray = field(repr=False)
    alternatives: list[Hypothesis]
    step_seconds: float


def check_waveform(waveform: Any, sample_rate: Any) -> tuple[np.ndarray, int]:
    """Validate a clip → (float32 mono samples, integer rate); typed errors say what is accepted.

    Accepted: a 1-D sequence or array of float samples in about [-1, 1], or int16 PCM
    (scaled by 1/32768); 4 kHz ≤ rate ≤ 192 kHz; at least 25 ms, at most 30 s.
    """
    if isinstance(sample_rate, bool) or not isinstance(sample_rate, int | float | np.number):
        raise InvalidSampleRateError(
            f"sample_rate must be a number of samples per second, got {type(sample_rate).__name__}"
        )
    if not math.isfinite(float(sample_rate)) or float(sample_rate) != int(sample_rate):
        raise InvalidSampleRateError(f"sample_rate must be a whole number, got {sample_rate!r}")
    rate = int(sample_rate)
    if not MIN_RATE <= rate <= MAX_RATE:
        raise InvalidSampleRateError(
            f"sample_rate {rate} Hz is outside {MIN_RATE:,}–{MAX_RATE:,} Hz "
            "(audio is usually recorded at 16,000, 44,100 or 48,000 Hz)"
        )
    if isinstance(waveform, str | bytes):
        raise InvalidAudioError(
            f"waveform must be an array of samples, got {type(waveform).__name__}; "
            "read the file first (e.g. rnn_site.data.audio.read_wav)"
        )
    x = np.asarray(waveform)
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
    if not np.isfinite(x).all():
        bad = int(np.flatnonzero(~np.isfinite(x))[0])
        raise NonFiniteAudioError(
            f"waveform holds NaN or infinite samples (first at index {bad}); "
            "all samples must be finite"
        )
    seconds = x.size / rate
    if seconds > MAX_SECONDS:
        raise AudioTooLongError(
            f"waveform lasts {seconds:.1f} s; at most {MAX_SECONDS:.0f} s is accepted "
            "(cut long recordings into clips)"
        )
    if x.size * SAMPLE_RATE / rate < N_FFT:
        raise EmptyAudioError(
            f"waveform lasts {1000 * seconds:.1f} ms; at least 25 ms is needed (one frame)"
        )
    return x.astype(np.float32), rate


class SpeechRecognizer:
    """The speech recogniser behind a checked API: `transcribe(waveform, sample_rate)`."""

    def __init__(self, location: ModelLocation, session: ort.InferenceSession) -> None:
        self.location = location
        self.card: dict[str, Any] = location.card
        self.alphabet: str = self.card["alphabet"]
        self.step_seconds: float = float(self.card["audio"]["step_seconds"])
        self._session = session

    @classmethod
    def load(
        cls,
        name_or_path: str | os.PathLike[str] = "speech",
        *,
        models_dir: str | os.PathLike[str] | None = None,
        verify: bool = True,
        intra_op_threads: int = 1,
    ) -> SpeechRecognizer:
        """Load by name ("speech" → models/speech) or directory; verify hashes and I/O."""
        location = locate_verified(name_or_path, models_dir, ["speech"], verify=verify)
        classes = location.card["io"]["speech"]["outputs"]["log_probs"]["shape"][-1]
        if len(location.card["alphabet"]) + 1 != classes:
            raise ModelMismatchError(
                "card.json: the alphabet's length + 1 (blank) differs from the graph's classes",
                file="card.json",
            )
        return cls(location, open_graph(location, "speech", intra_op_threads=intra_op_threads))

    def run(self, samples_16k: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The graph on 16 kHz samples → (features (frames, 40), log_probs (steps, 37))."""
        features, log_probs = self._session.run(
            None, {"waveform": np.ascontiguousarray(samples_16k, dtype=np.float32)[None, :]}
        )
        return features[0], log_probs[0]

    def transcribe(
        self,
        waveform: Any,
        sample_rate: int = SAMPLE_RATE,
        *,
        decoder: str = "greedy",
        beam_width: int = 8,
    ) -> Transcription:
        """Transcribe one mono clip at any rate from 4 to 192 kHz (resampled to 16 kHz)."""
        if decoder not in ("greedy", "beam"):
            raise InvalidArgumentError(f"decoder must be 'greedy' or 'beam', got {decoder!r}")
        if isinstance(beam_width, bool) or not isinstance(beam_width, int) or beam_width < 1:
            raise InvalidArgumentError(f"beam_width must be an integer ≥ 1, got {beam_width!r}")
        samples, rate = check_waveform(waveform, sample_rate)
        features, log_probs = self.run(resample(samples, rate, SAMPLE_RATE))
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
        )
