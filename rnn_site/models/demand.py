"""An encoder-decoder LSTM for next-day electricity demand, steered by temperature and the calendar.

The encoder reads the last ``history`` half-hours (demand, temperature, working day, time of
day); its final state starts a decoder that walks through the 48 half-hours to forecast, each
step reading what is known about that half-hour in advance: the temperature (a weather
forecast in real use; the recorded temperature here), whether it is a working day, the time of
day, and the demand at the same time one day and one week earlier. That last input is why the
model can be asked "what if tomorrow is 5 °C hotter?": change the temperature it reads and the
forecast answers.

Inputs are standardised with the training part's mean and standard deviation (one series, so
one unit suffices); outputs are three quantiles (10%, 50%, 90%) per step, widened by a
per-step conformal constant fitted on validation, as in `rnn_site.models.ts_forecaster`.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from rnn_site.models.config import ModelConfig
from rnn_site.models.ts_forecaster import QUANTILES

#: Past features per half-hour: demand, temperature, working day, sin and cos of time of day.
PAST_FEATURES = 5
#: Future features per half-hour: temperature, working day, sin, cos, demand one day and one
#: week earlier (both already observed for every step of the next day).
FUTURE_FEATURES = 6


@dataclass(frozen=True)
class DemandConfig(ModelConfig):
    """Shape of the model; plain data, logged to JSON and stored in the card."""

    hidden_size: int = 64
    horizon: int = 48
    history: int = 96


class DemandForecaster(nn.Module):
    """past (batch, history, 5), future (batch, 48, 6) → quantiles (batch, 48, 3), standardised.

    Demand in and out is (GW − mean) / std of the training part; see `features` in
    `rnn_site.train.demand` for how the inputs are built.
    """

    def __init__(self, config: DemandConfig) -> None:
        super().__init__()
        self.config = config
        self.encoder = nn.LSTM(PAST_FEATURES, config.hidden_size, batch_first=True)
        self.decoder = nn.LSTM(FUTURE_FEATURES, config.hidden_size, batch_first=True)
        self.head = nn.Linear(config.hidden_size, len(QUANTILES))
        self.register_buffer("interval_adjust", torch.zeros(config.horizon))

    def forward(self, past: torch.Tensor, future: torch.Tensor) -> torch.Tensor:
        _, state = self.encoder(past)
        out, _ = self.decoder(future, state)
        return self.quantiles(self.head(out))

    def quantiles(self, raw: torch.Tensor) -> torch.Tensor:
        """The head's raw output (batch, horizon, 3) → (lower, median, upper), each side
        ``softplus`` wide plus the calibrated ``interval_adjust`` (shared with the ONNX graph)."""
        adjust = self.interval_adjust[: raw.shape[1]]  # type: ignore[index]
        median = raw[..., 1]
        lower = median - (F.softplus(raw[..., 0]) + adjust).clamp(min=0)
        upper = median + (F.softplus(raw[..., 2]) + adjust).clamp(min=0)
        return torch.stack([lower, median, upper], dim=-1)
