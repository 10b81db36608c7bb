"""Cut the silence before and after speech, the same way in Python and in the browser.

The speech model normalises its features by the clip's own mean (``rnn_site.data.audio``), so
a second of silence around a one-second word shifts every feature and the recogniser hears
something else. Its training and test clips are trimmed when they are made; a microphone
recording or an audio file is not. :func:`trim_silence` gives every clip the runtime sees the
same shape: speech with ``margin_s`` of what surrounds it.

Energy, not single samples, decides what is speech: the mean power of each 10 ms frame against
the loudest frame's, ``threshold_db`` below it or louder. A microphone's hiss, a click or a
breath moves single samples past a threshold much more often than it moves a frame's power.
The browser runs the same rule with the same constants, read from the model card
(``audio.trim``): ``speechSpan`` in docs/assets/demos/speech-logic.js.

A fixed level below the loudest frame cannot cut hiss that lies above it (white noise 45 dB
under the peak sample sits about 37 dB under the loudest frame, above -40 dB). With
``floor_quantile`` set, the level also rises to ``floor_margin_db`` above the clip's noise
floor, estimated as that quantile of the frames' powers, but never above ``ceiling_db`` under
the loudest frame (a clip that is all speech has no noise floor to find). The published trim
has it on since the rule of rnn_site/experiments/speech_noise_floor.py adopted it: no worse on
clean or silence-padded validation clips, and 20.4% → 4.9% CER with hiss under the silence.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from rnn_site.data.audio import HOP, N_FFT


class InvalidTrimSettingsError(ValueError):
    """Trim settings that :func:`speech_span` cannot apply (a quantile outside [0, 1])."""


@dataclass(frozen=True)
class TrimSettings:
    """How silence is cut (at 16 kHz): frames of ``frame`` samples; a frame is speech when its
    mean power is at most ``threshold_db`` below the loudest frame's; ``margin_s`` of the clip
    is kept before the first and after the last speech frame.

    ``floor_quantile`` (``None``: off) turns on the noise floor: the frame powers' quantile
    (sorted, index ``int(q * (frames - 1))``) plus ``floor_margin_db`` is the level too, where
    that is higher, up to ``ceiling_db`` below the loudest frame.
    """

    frame: int = HOP
    threshold_db: float = -40.0
    margin_s: float = 0.08
    floor_quantile: float | None = None
    floor_margin_db: float = 6.0
    ceiling_db: float = -30.0

    def __post_init__(self) -> None:
        # Outside [0, 1] the quantile's index falls off the sorted powers (IndexError) or, if
        # negative, wraps round to the loudest frames: refuse it where the settings are made.
        q = self.floor_quantile
        if q is not None and not 0.0 <= q <= 1.0:
            raise InvalidTrimSettingsError(
                f"floor_quantile {q!r} is not a quantile; "
                "accepted: 0 to 1, or None (no noise floor)"
            )

    def to_dict(self) -> dict[str, Any]:
        """The settings as the card holds them (without the noise floor's when it is off)."""
        out = asdict(self)
        if self.floor_quantile is None:
            for name in FLOOR_FIELDS:
                del out[name]
        return out


#: The noise floor's settings, absent from a card whose trim has none.
FLOOR_FIELDS = ("floor_quantile", "floor_margin_db", "ceiling_db")


#: The published settings (the card's ``audio.trim``): -40 dB, 80 ms, and the noise floor
#: (10th percentile + 6 dB, at most -30 dB). A card without the floor's fields had it off.
TRIM = TrimSettings(floor_quantile=0.1)


def frame_power(samples: np.ndarray, frame: int) -> np.ndarray:
    """Mean power of each ``frame`` samples (the last frame over the samples it has)."""
    x = np.asarray(samples, dtype=np.float64)
    n = len(x)
    frames = -(-n // frame)
    padded = np.zeros(frames * frame)
    padded[:n] = x
    sizes = np.full(frames, frame)
    sizes[-1] = n - (frames - 1) * frame
    power: np.ndarray = (padded.reshape(frames, frame) ** 2).sum(axis=1) / sizes
    return power


def speech_span(
    samples: np.ndarray, settings: TrimSettings = TRIM, rate: int = 16_000
) -> tuple[int, int]:
    """(start, stop) sample indices of the speech in ``samples`` with its margins.

    The whole clip when nothing stands out (digital silence) or when what would be kept is
    shorter than the model's one frame (25 ms). A last, shorter frame counts with the samples
    it has (in the noise floor's quantile too).
    """
    n = len(samples)
    if n == 0:
        return 0, 0
    power = frame_power(samples, settings.frame)
    frames = len(power)
    loudest = float(power.max())
    if loudest == 0.0:
        return 0, n
    level = loudest * 10.0 ** (settings.threshold_db / 10.0)
    if settings.floor_quantile is not None:
        floor = float(np.sort(power)[int(settings.floor_quantile * (frames - 1))])
        above_floor = floor * 10.0 ** (settings.floor_margin_db / 10.0)
        level = max(level, min(above_floor, loudest * 10.0 ** (settings.ceiling_db / 10.0)))
    loud = np.flatnonzero(power >= level)
    margin = round(settings.margin_s * rate)
    start = max(0, int(loud[0]) * settings.frame - margin)
    stop = min(n, (int(loud[-1]) + 1) * settings.frame + margin)
    return (start, stop) if stop - start >= N_FFT else (0, n)


def trim_silence(samples: np.ndarray, settings: TrimSettings = TRIM) -> np.ndarray:
    """16 kHz ``samples`` without the silence before and after the speech (a view)."""
    start, stop = speech_span(samples, settings)
    return samples[start:stop]
