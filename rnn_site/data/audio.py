"""Audio basics for the speech slice, NumPy only: WAV files, resampling, the log-mel reference.

The speech model computes its log-mel features *inside* its ONNX graph (waveform in), so Python
and the browser run one implementation (`rnn_site.models.speech.LogMel`). :func:`log_mel` here is
the plain NumPy reference that a test holds the graph to, and the features the DTW baseline
matches. Everything is standard library + NumPy, so the runtime may import it.

Features, fixed for the whole slice (16 kHz audio):

- **Peak normalisation**: the waveform is divided by its largest absolute sample, so a quiet
  microphone and a loud synthesiser give the same numbers and the log floor below is relative.
- **Frames**: 25 ms Hann windows (400 samples) every 10 ms (160 samples), no padding, so
  ``frames = 1 + (samples - 400) // 160``.
- **Power spectrum** of each frame (201 bins), summed into 40 mel bands (20 Hz – 7.6 kHz,
  triangular filters on the HTK mel scale), then ``log(power + 1e-3)``: the floor keeps digital
  silence from dominating the picture (about 70 dB under a full-scale tone).
- **Mean normalisation**: each band's mean over the utterance is subtracted (cepstral mean
  normalisation), which removes a fixed microphone or room colouring.
"""

from __future__ import annotations

import io
import shutil
import subprocess
import wave
from pathlib import Path

import numpy as np

SAMPLE_RATE = 16_000
N_FFT = 400
HOP = 160
N_MELS = 40
F_MIN = 20.0
F_MAX = 7_600.0
LOG_FLOOR = 1e-3
PEAK_FLOOR = 1e-5  # below this peak the clip counts as silent and is not amplified


# --------------------------------------------------------------------------- files


def read_wav(source: str | Path | bytes) -> tuple[np.ndarray, int]:
    """A 16-bit PCM WAV file (path or bytes) → (float32 samples in [-1, 1], sample rate).

    Stereo is mixed down to mono. Only 16-bit PCM: what every synthesiser here writes.
    """
    handle = io.BytesIO(source) if isinstance(source, bytes) else Path(source).open("rb")  # noqa: SIM115
    with handle, wave.open(handle) as w:
        if w.getsampwidth() != 2:
            raise ValueError(f"{source!r}: {8 * w.getsampwidth()}-bit WAV; only 16-bit PCM is read")
        rate, channels = w.getframerate(), w.getnchannels()
        data = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2")
    samples = data.reshape(-1, channels).astype(np.float32).mean(axis=1) / 32768.0
    return samples.astype(np.float32), rate


def write_wav(path: str | Path, samples: np.ndarray, rate: int = SAMPLE_RATE) -> Path:
    """Write mono float samples in [-1, 1] as 16-bit PCM (clipped)."""
    pcm = np.clip(np.round(np.asarray(samples) * 32767.0), -32768, 32767).astype("<i2")
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(pcm.tobytes())
    return Path(path)


def decode_ogg(path: str | Path) -> tuple[np.ndarray, int]:
    """Decode an Ogg Vorbis file with ``oggdec`` (Debian package vorbis-tools) → samples, rate."""
    if shutil.which("oggdec") is None:
        raise FileNotFoundError("oggdec not found: apt-get install vorbis-tools")
    wav = subprocess.run(
        ["oggdec", "--quiet", "--output", "-", str(path)], check=True, capture_output=True
    ).stdout
    return read_wav(wav)


# --------------------------------------------------------------------------- resampling


def resample(samples: np.ndarray, rate: int, target: int = SAMPLE_RATE) -> np.ndarray:
    """Band-limited resampling of a mono signal by zero-padding or truncating its spectrum.

    Exact for periodic signals; for a clip it treats the ends as joined, which matters only in
    the first and last few milliseconds (speech clips start and end near silence). The output
    has ``round(len * target / rate)`` samples, float32.
    """
    x = np.asarray(samples, dtype=np.float64)
    if rate == target or len(x) == 0:
        return x.astype(np.float32)
    n_out = max(1, round(len(x) * target / rate))
    spectrum = np.fft.rfft(x)
    bins = n_out // 2 + 1
    out = np.zeros(bins, dtype=np.complex128)
    keep = min(bins, len(spectrum))
    out[:keep] = spectrum[:keep]
    if n_out < len(x) and n_out % 2 == 0:
        out[-1] = out[-1].real  # the new Nyquist bin of a real signal is real
    return (np.fft.irfft(out, n_out) * (n_out / len(x))).astype(np.float32)


# --------------------------------------------------------------------------- log-mel


def hz_to_mel(hz: np.ndarray | float) -> np.ndarray:
    """HTK mel scale: 2595 log10(1 + f / 700)."""
    return 2595.0 * np.log10(1.0 + np.asarray(hz, dtype=np.float64) / 700.0)


def mel_to_hz(mel: np.ndarray | float) -> np.ndarray:
    return 700.0 * (10.0 ** (np.asarray(mel, dtype=np.float64) / 2595.0) - 1.0)


def mel_filterbank(
    n_mels: int = N_MELS, n_fft: int = N_FFT, rate: int = SAMPLE_RATE,
    f_min: float = F_MIN, f_max: float = F_MAX,
) -> np.ndarray:  # fmt: skip
    """Triangular filters, (n_mels, n_fft // 2 + 1): row m sums the power bins of band m."""
    freqs = np.arange(n_fft // 2 + 1) * rate / n_fft
    edges = mel_to_hz(np.linspace(hz_to_mel(f_min), hz_to_mel(f_max), n_mels + 2))
    lower, centre, upper = edges[:-2, None], edges[1:-1, None], edges[2:, None]
    rising = (freqs[None, :] - lower) / (centre - lower)
    falling = (upper - freqs[None, :]) / (upper - centre)
    return np.maximum(0.0, np.minimum(rising, falling)).astype(np.float32)


def hann_window(n: int = N_FFT) -> np.ndarray:
    """Periodic Hann window (the usual choice for spectrograms)."""
    return (0.5 - 0.5 * np.cos(2 * np.pi * np.arange(n) / n)).astype(np.float32)


def n_frames(samples: int) -> int:
    """How many feature frames a clip of `samples` samples gives (0 if shorter than a window)."""
    return 0 if samples < N_FFT else 1 + (samples - N_FFT) // HOP


# --8<-- [start:log_mel]
def log_mel(samples: np.ndarray) -> np.ndarray:
    """16 kHz mono samples (n,) → mean-normalised log-mel features (frames, 40), float32.

    The reference for the ONNX graph's own feature layer; float64 inside for accuracy.
    """
    x = np.asarray(samples, dtype=np.float64)
    x = x / max(float(np.abs(x).max(initial=0.0)), PEAK_FLOOR)
    count = n_frames(len(x))
    index = np.arange(N_FFT)[None, :] + HOP * np.arange(count)[:, None]
    frames = x[index] * hann_window()  # (frames, 400)
    power = np.abs(np.fft.rfft(frames, axis=1)) ** 2  # (frames, 201)
    logmel = np.log(power @ mel_filterbank().T.astype(np.float64) + LOG_FLOOR)
    return (logmel - logmel.mean(axis=0, keepdims=True)).astype(np.float32)


# --8<-- [end:log_mel]
