"""Speech recogniser: waveform → log-mel features → convolution → BiLSTM → CTC symbol posteriors.

The feature layer is part of the model (and of its ONNX graph), so whoever runs the model feeds
it 16 kHz samples and needs no signal-processing code. It is written with operations that
export to plain ONNX (``Conv``, ``MatMul``, ``Log``, ``ReduceMean``): the short-time Fourier
transform is a 1-D convolution whose 402 filters are a Hann window times the cosines and sines
of the DFT (stride = hop), the filters are *computed* in the graph from an index range (so the
file does not carry 640 kB of cosines), power = re² + im², a matrix product with the mel
filterbank sums the power into 40 bands, then log and mean normalisation. A test holds it to
the NumPy reference `rnn_site.data.audio.log_mel`.

After the features: two convolutions with stride 2 (10 ms frames → 40 ms steps: a spoken
digit or letter lasts 8–15 steps, plenty for CTC, and the LSTM does a quarter of the work),
two bidirectional LSTM layers, and a linear layer to 37 classes: the CTC blank and the 36
symbols of `rnn_site.data.speech.VOCAB`. Bidirectional because a symbol is often recognised
only once its end is heard; the price is that nothing is emitted before the clip is complete.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from rnn_site.data.audio import HOP, LOG_FLOOR, N_FFT, PEAK_FLOOR, mel_filterbank
from rnn_site.data.speech import VOCAB
from rnn_site.models.config import ModelConfig


# --8<-- [start:logmel]
class LogMel(nn.Module):
    """waveform (batch, samples) → log-mel features (batch, frames, 40), frames = 1 + (n-400)//160.

    ``lengths`` (batch,) marks how many samples of each row are real (the rest is padding);
    padded frames come out as 0 and do not count in the mean.
    """

    def __init__(self) -> None:
        super().__init__()
        self.mel: torch.Tensor
        self.register_buffer("mel", torch.from_numpy(mel_filterbank()))  # (40, 201)

    @staticmethod
    def dft_filters(waveform: torch.Tensor) -> torch.Tensor:
        """(2 × 201, 1, 400): Hann-windowed cos and sin of every DFT bin, as conv1d weights.

        The sizes are derived from the input's shape (times 0, plus the constant): the exporter
        folds anything computed from constants alone into a stored tensor, and these filters
        stored would be 640 kB; computed, they are a handful of nodes.
        """
        size = waveform.shape[-1] * 0 + N_FFT
        n = torch.arange(size)
        k = torch.arange(size // 2 + 1)
        # k·n mod N in integers first: cos of a small angle is exact in float32, of k·n is not.
        angle = ((k[:, None] * n[None, :]) % N_FFT).to(torch.float32) * (2 * math.pi / N_FFT)
        window = 0.5 - 0.5 * torch.cos(n.to(torch.float32) * (2 * math.pi / N_FFT))
        filters = torch.cat([torch.cos(angle) * window, torch.sin(angle) * window])
        return filters.reshape(2 * (N_FFT // 2 + 1), 1, N_FFT)  # a fixed shape, for Conv

    def forward(self, waveform: torch.Tensor, lengths: torch.Tensor | None = None) -> torch.Tensor:
        peak = waveform.abs().amax(dim=1, keepdim=True).clamp_min(PEAK_FLOOR)
        spectrum = F.conv1d((waveform / peak).unsqueeze(1), self.dft_filters(waveform), stride=HOP)
        real, imag = spectrum.chunk(2, dim=1)  # (batch, 201, frames) each
        logmel = torch.log(torch.matmul(self.mel, real * real + imag * imag) + LOG_FLOOR)
        if lengths is None:
            return (logmel - logmel.mean(dim=2, keepdim=True)).transpose(1, 2)
        mask = frame_mask(frame_count(lengths), logmel.shape[2]).unsqueeze(1)  # (batch, 1, T)
        mean = (logmel * mask).sum(dim=2, keepdim=True) / mask.sum(dim=2, keepdim=True)
        return ((logmel - mean) * mask).transpose(1, 2)


# --8<-- [end:logmel]


def frame_count(samples: torch.Tensor) -> torch.Tensor:
    """Feature frames of clips of `samples` samples (at least one window long)."""
    return torch.div(samples - N_FFT, HOP, rounding_mode="floor") + 1


def step_count(frames: torch.Tensor) -> torch.Tensor:
    """Output steps after the two stride-2 convolutions (kernel 5, padding 2): ceil(ceil(f/2)/2)."""
    half = torch.div(frames - 1, 2, rounding_mode="floor") + 1
    return torch.div(half - 1, 2, rounding_mode="floor") + 1


def frame_mask(lengths: torch.Tensor, total: int) -> torch.Tensor:
    """(batch, total) float mask: 1 for the first lengths[b] positions of row b."""
    return (torch.arange(total, device=lengths.device)[None, :] < lengths[:, None]).float()


@dataclass(frozen=True)
class SpeechConfig(ModelConfig):
    vocab_size: int = len(VOCAB) + 1  # + the CTC blank, class 0
    n_mels: int = 40
    conv_channels: int = 96
    hidden_size: int = 96
    num_layers: int = 2
    dropout: float = 0.15


class SpeechCTC(nn.Module):
    """waveform (batch, samples), lengths (batch,) → log-probabilities (batch, steps, 37), steps.

    One step is 40 ms. Class 0 is the CTC blank; class k is VOCAB[k - 1].
    """

    def __init__(self, config: SpeechConfig) -> None:
        super().__init__()
        self.config = config
        self.features = LogMel()
        self.conv1 = nn.Conv1d(config.n_mels, config.conv_channels, 5, stride=2, padding=2)
        self.conv2 = nn.Conv1d(config.conv_channels, config.conv_channels, 5, stride=2, padding=2)
        self.lstm = nn.LSTM(
            config.conv_channels,
            config.hidden_size,
            num_layers=config.num_layers,
            bidirectional=True,
            batch_first=True,
            dropout=config.dropout if config.num_layers > 1 else 0.0,
        )
        self.drop = nn.Dropout(config.dropout)
        self.head = nn.Linear(2 * config.hidden_size, config.vocab_size)

    def frontend(self, feats: torch.Tensor) -> torch.Tensor:
        """(batch, frames, 40) → (batch, steps, C): two stride-2 convolutions, 10 ms → 40 ms."""
        x = F.relu(self.conv1(feats.transpose(1, 2)))
        return F.relu(self.conv2(x)).transpose(1, 2)

    def forward(
        self,
        waveform: torch.Tensor,
        lengths: torch.Tensor,
        feature_mask: torch.Tensor | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """``feature_mask`` (batch, frames, 40), in training only: SpecAugment's zeroed spans
        (`rnn_site.train.speech_augment`); zero is the features' mean after normalisation."""
        with torch.no_grad():  # fixed features: no gradient needed through the DFT
            feats = self.features(waveform, lengths)  # (batch, frames, 40), padding = 0
            if feature_mask is not None:
                feats = feats * feature_mask
        x = self.frontend(feats)  # (batch, steps, C)
        steps = step_count(frame_count(lengths))
        packed = nn.utils.rnn.pack_padded_sequence(
            self.drop(x), steps.cpu(), batch_first=True, enforce_sorted=False
        )
        out, _ = self.lstm(packed)
        out, _ = nn.utils.rnn.pad_packed_sequence(out, batch_first=True, total_length=x.shape[1])
        return F.log_softmax(self.head(self.drop(out)), dim=-1), steps
