"""Training-time augmentation for the speech recogniser, one switchable idea at a time.

The recogniser is trained only on synthetic voices; these changes to the training clips stand
in for what a real microphone adds. Each is named, so an ablation can switch them on one by one
(``rnn-site train speech --augment speed,noise``):

- ``speed``: play faster or slower (length and pitch move together, like a tape);
- ``pitch``: higher or lower voice at the same duration (phase-vocoder stretch, then ``speed``);
- ``reverb``: a room: convolution with a synthetic impulse response, exponentially decaying
  noise whose energy falls 60 dB in RT60 seconds;
- ``noise``: white-to-brown noise at a random signal-to-noise ratio;
- ``gain``: louder or quieter, clipped at full scale (the model normalises the peak, so gain
  matters only where it clips);
- ``silence``: silence before and after the word (a person pauses before and after speaking);
- ``hiss``: a microphone's noise floor under the whole clip, the padding included (``silence``
  pads with digital zeros, which no microphone records);
- ``mask``: SpecAugment-style masks that zero random time spans and mel bands of the features.

The waveform changes run in that order on every training clip, afresh in every epoch; ``mask``
acts on the log-mel features inside the model (``SpeechCTC.forward(..., feature_mask)``). All
randomness comes from one ``torch.Generator`` seeded from the run's seed and the epoch, so the
same command gives the same weights. ``legacy`` names the NumPy augmentation of
:func:`rnn_site.data.speech.augment` (speed, silence, echo, noise, gain), the published recipe
before this module; ``none`` trains on the clean clips.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch

from rnn_site.data.audio import SAMPLE_RATE

#: The augmentations of this module, in the order they are applied.
KINDS = ("speed", "pitch", "reverb", "noise", "gain", "silence", "hiss", "mask")
LEGACY = "legacy"
NONE = "none"


def parse_augment(text: str) -> str:
    """``--augment`` value → canonical form: "legacy", "none", or kinds in :data:`KINDS` order.

    Accepts a comma-separated list of kinds, ``all`` (every kind), ``none`` or ``legacy``.
    """
    names = [n.strip() for n in text.split(",") if n.strip()]
    if names in ([LEGACY], [NONE]):
        return names[0]
    if names == ["all"]:
        return ",".join(KINDS)
    unknown = [n for n in names if n not in KINDS]
    if unknown or not names:
        raise ValueError(
            f"unknown augmentation {', '.join(unknown) or repr(text)}; "
            f"expected legacy, none, all or a comma-separated list of {', '.join(KINDS)}"
        )
    return ",".join(k for k in KINDS if k in names)


def kinds_of(augment: str) -> tuple[str, ...]:
    """The module's kinds switched on by an ``augment`` value (none for legacy/none)."""
    augment = parse_augment(augment)
    return () if augment in (LEGACY, NONE) else tuple(augment.split(","))


# --------------------------------------------------------------------------- the signal changes


def fft_size(n: int) -> int:
    """The smallest m >= n with no prime factor above 5: an FFT of a prime-ish length is slow."""
    m = n
    while True:
        k = m
        for p in (2, 3, 5):
            while k % p == 0:
                k //= p
        if k == 1:
            return m
        m += 1


def change_speed(audio: torch.Tensor, factor: float) -> torch.Tensor:
    """Play ``factor`` times faster: ``len / factor`` samples, by linear interpolation.

    Linear interpolation is enough for changes of a few tens of percent (its slight low-pass
    only removes energy near 8 kHz, which the 40 mel bands barely weigh).
    """
    n = audio.shape[-1]
    if n < 2:
        return audio.clone()
    positions = torch.arange(0, n - 1, factor, dtype=torch.float64)
    left = positions.floor().long()
    frac = (positions - left).to(audio.dtype)
    return audio[left] * (1 - frac) + audio[left + 1] * frac


def time_stretch(
    audio: torch.Tensor, rate: float, n_fft: int = 512, hop: int = 128
) -> torch.Tensor:
    """Same pitch, ``1 / rate`` times the duration: a phase vocoder on the STFT.

    Frames are read at fractional positions ``0, rate, 2·rate, …``; magnitudes are interpolated
    and each bin's phase advances by its measured instantaneous frequency, so partials stay
    continuous across the new frame boundaries.
    """
    n = audio.shape[-1]
    if n <= n_fft:
        return audio.clone()
    window = torch.hann_window(n_fft)
    spec = torch.stft(audio.float(), n_fft, hop, window=window, return_complex=True)
    steps = torch.arange(0, spec.shape[1], rate, dtype=torch.float64)
    alphas = (steps % 1.0).float()[None, :]
    padded = torch.nn.functional.pad(spec, (0, 2))
    first, second = padded[:, steps.long()], padded[:, steps.long() + 1]
    advance = torch.linspace(0, math.pi * hop, spec.shape[0])[:, None]
    phase = second.angle() - first.angle() - advance
    phase = phase - 2 * math.pi * torch.round(phase / (2 * math.pi)) + advance
    phase = torch.cat([spec[:, :1].angle(), phase[:, :-1]], dim=1)
    magnitude = alphas * second.abs() + (1 - alphas) * first.abs()
    stretched = torch.polar(magnitude, torch.cumsum(phase, dim=1))
    out = torch.istft(stretched, n_fft, hop, window=window, length=round(n / rate))
    return out.to(audio.dtype)


def shift_pitch(audio: torch.Tensor, semitones: float) -> torch.Tensor:
    """Every frequency times ``2 ** (semitones / 12)``, duration unchanged (± a few samples)."""
    factor = 2.0 ** (semitones / 12)
    return change_speed(time_stretch(audio, 1 / factor), factor)


def coloured_noise(n: int, exponent: float, generator: torch.Generator) -> torch.Tensor:
    """``n`` samples of noise with power spectrum ∝ 1 / f**exponent (0 white, 1 pink, 2 brown)."""
    white = torch.randn(n, generator=generator, dtype=torch.float64)
    if exponent == 0:
        return white
    size = fft_size(n)
    spectrum = torch.fft.rfft(white, size)
    freqs = torch.arange(spectrum.shape[0], dtype=torch.float64).clamp_min(1.0)
    return torch.fft.irfft(spectrum * freqs ** (-exponent / 2), size)[:n]


def add_noise(audio: torch.Tensor, noise: torch.Tensor, snr_db: float) -> torch.Tensor:
    """``audio`` plus ``noise`` scaled so that power(audio) / power(added) is ``snr_db`` dB."""
    signal_power = float(audio.double().pow(2).mean()) + 1e-12
    noise_power = float(noise.double().pow(2).mean()) + 1e-20
    scale = math.sqrt(signal_power / noise_power / 10 ** (snr_db / 10))
    return audio + (scale * noise).to(audio.dtype)


def room_impulse(
    rt60_s: float, wet: float, generator: torch.Generator, sample_rate: int = SAMPLE_RATE
) -> torch.Tensor:
    """A synthetic room: 1 (the direct sound) then ``wet`` × noise decaying 60 dB in ``rt60_s``.

    Real rooms' late reverberation is close to exponentially decaying noise; that is all a
    recogniser trained on dry synthetic speech needs to learn to ignore smeared endings.
    """
    n = max(2, round(rt60_s * sample_rate))
    t = torch.arange(n, dtype=torch.float64) / sample_rate
    impulse = torch.randn(n, generator=generator, dtype=torch.float64) * 10 ** (-3 * t / rt60_s)
    impulse = impulse * wet
    impulse[0] = 1.0
    return impulse


def reverberate(audio: torch.Tensor, impulse: torch.Tensor) -> torch.Tensor:
    """``audio`` convolved with ``impulse`` (by FFT), cut to the original length."""
    n = audio.shape[-1]
    size = fft_size(n + impulse.shape[-1] - 1)
    wet = torch.fft.irfft(
        torch.fft.rfft(audio.double(), size) * torch.fft.rfft(impulse, size), size
    )
    return wet[:n].to(audio.dtype)


def apply_gain(audio: torch.Tensor, gain_db: float) -> torch.Tensor:
    """``audio`` times ``10 ** (gain_db / 20)``, clipped to [-1, 1] as a sound card would."""
    return (audio * 10 ** (gain_db / 20)).clamp(-1.0, 1.0)


def pad_silence(audio: torch.Tensor, before: int, after: int) -> torch.Tensor:
    """``before`` zeros, the clip, ``after`` zeros."""
    return torch.cat([audio.new_zeros(before), audio, audio.new_zeros(after)])


def add_hiss(audio: torch.Tensor, noise: torch.Tensor, level_db: float) -> torch.Tensor:
    """``audio`` plus ``noise`` scaled to an RMS ``level_db`` dB below the clip's peak sample.

    Relative to the peak, not to the clip's power as :func:`add_noise` is: a noise floor does
    not depend on how long the speaker paused, and the padded clip's power does. The runtime's
    trim measures frames against the loudest one in the same way.
    """
    peak = float(audio.abs().max())
    noise_rms = math.sqrt(float(noise.double().pow(2).mean())) + 1e-12
    scale = peak * 10 ** (level_db / 20) / noise_rms
    return audio + (scale * noise).to(audio.dtype)


def feature_mask(
    total_frames: int,
    n_mels: int,
    time_spans: Sequence[tuple[int, int]],
    mel_spans: Sequence[tuple[int, int]],
) -> torch.Tensor:
    """(total_frames, n_mels) float mask: 0 on the given (start, width) frame and band spans."""
    mask = torch.ones(total_frames, n_mels)
    for start, width in time_spans:
        mask[start : start + width, :] = 0.0
    for start, width in mel_spans:
        mask[:, start : start + width] = 0.0
    return mask


# --------------------------------------------------------------------------- random draws


@dataclass(frozen=True)
class AugmentConfig:
    """Ranges of the random draws (uniform), and how often each change happens."""

    speed: tuple[float, float] = (0.85, 1.15)
    pitch_probability: float = 0.5  # the phase vocoder is the costliest change: half the clips
    pitch_semitones: tuple[float, float] = (-3.0, 3.0)
    reverb_probability: float = 0.5
    rt60_s: tuple[float, float] = (0.1, 0.6)
    reverb_wet: tuple[float, float] = (0.05, 0.4)
    noise_probability: float = 0.8
    snr_db: tuple[float, float] = (5.0, 35.0)
    noise_exponent: tuple[float, float] = (0.0, 2.0)
    gain_db: tuple[float, float] = (-20.0, 10.0)
    # Half the clips keep their tight trim (0.08 s), half get up to 0.3 s more each side: the
    # features are normalised by the clip's mean, which silence shifts, and a recogniser must
    # hear both a trimmed test clip and a microphone recording with pauses around the word.
    silence_probability: float = 0.5
    silence_s: tuple[float, float] = (0.0, 0.3)
    # A microphone's noise floor, RMS in dB below the clip's peak sample: speech recorded to
    # peak near -6 dBFS over a room-and-preamp floor of about -60 to -36 dBFS. In the loudest
    # part of the range the hiss's frames lie within the runtime trim's ceiling (30 dB under
    # the loudest frame), so even its noise floor keeps the padding and the model hears the
    # hiss whole.
    # Half the clips keep the digital silence of a trimmed test clip.
    hiss_probability: float = 0.5
    hiss_db: tuple[float, float] = (-55.0, -30.0)
    time_masks: int = 2
    time_mask_fraction: float = 0.1  # at most this share of the clip's frames per mask
    mel_masks: int = 2
    mel_mask_bands: int = 6


class Augmenter:
    """The switched-on ``kinds`` with their random draws from one seeded generator.

    Build one per epoch (``seed`` = the epoch's seed): clips are then changed in the same way
    whenever the same command runs.
    """

    def __init__(
        self, kinds: Sequence[str], seed: int, config: AugmentConfig | None = None
    ) -> None:
        unknown = [k for k in kinds if k not in KINDS]
        if unknown:
            raise ValueError(f"unknown augmentation {', '.join(unknown)}; known: {KINDS}")
        self.kinds = frozenset(kinds)
        self.config = config or AugmentConfig()
        self.generator = torch.Generator().manual_seed(seed)

    def uniform(self, bounds: tuple[float, float]) -> float:
        low, high = bounds
        return low + (high - low) * float(
            torch.rand((), generator=self.generator, dtype=torch.float64)
        )

    def chance(self, probability: float) -> bool:
        return float(torch.rand((), generator=self.generator, dtype=torch.float64)) < probability

    @property
    def masks(self) -> bool:
        return "mask" in self.kinds

    def waveform(self, audio: np.ndarray) -> np.ndarray:
        """A changed float32 copy of one clip (16 kHz samples)."""
        c, x = self.config, torch.from_numpy(np.asarray(audio, dtype=np.float32))
        if "speed" in self.kinds:
            x = change_speed(x, self.uniform(c.speed))
        if "pitch" in self.kinds and self.chance(c.pitch_probability):
            x = shift_pitch(x, self.uniform(c.pitch_semitones))
        if "reverb" in self.kinds and self.chance(c.reverb_probability):
            wet = self.uniform(c.reverb_wet)
            x = reverberate(x, room_impulse(self.uniform(c.rt60_s), wet, self.generator))
        if "noise" in self.kinds and self.chance(c.noise_probability):
            snr, exponent = self.uniform(c.snr_db), self.uniform(c.noise_exponent)
            x = add_noise(x, coloured_noise(x.shape[0], exponent, self.generator), snr)
        if "gain" in self.kinds:
            x = apply_gain(x, self.uniform(c.gain_db))
        if "silence" in self.kinds and self.chance(c.silence_probability):
            before = round(self.uniform(c.silence_s) * SAMPLE_RATE)
            x = pad_silence(x, before, round(self.uniform(c.silence_s) * SAMPLE_RATE))
        # Drawn last: with hiss off, every draw is what it was before hiss existed.
        if "hiss" in self.kinds and self.chance(c.hiss_probability):
            level, exponent = self.uniform(c.hiss_db), self.uniform(c.noise_exponent)
            x = add_hiss(x, coloured_noise(x.shape[0], exponent, self.generator), level)
        return x.clamp(-1.0, 1.0).numpy().astype(np.float32)

    def feature_masks(self, frames: torch.Tensor, total_frames: int, n_mels: int) -> torch.Tensor:
        """(batch, total_frames, n_mels) masks: per clip, random time spans within its own
        ``frames`` and random mel bands, each span at most the configured width."""
        c, rows = self.config, []
        for count in frames.tolist():
            longest = max(1, int(c.time_mask_fraction * count))
            spans = []
            for _ in range(c.time_masks):
                width = int(self.uniform((0, longest + 1)))
                spans.append((int(self.uniform((0, max(1, count - width + 1)))), width))
            bands = []
            for _ in range(c.mel_masks):
                width = int(self.uniform((0, c.mel_mask_bands + 1)))
                bands.append((int(self.uniform((0, n_mels - width + 1))), width))
            rows.append(feature_mask(total_frames, n_mels, spans, bands))
        return torch.stack(rows)
