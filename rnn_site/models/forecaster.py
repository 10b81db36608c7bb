"""A multi-step LSTM forecaster with an 80% prediction interval, one model for several series.

Reads the last ``time`` values of a series and predicts the next ``horizon`` values at three
quantiles (10%, 50%, 90%) in one shot ("direct multi-step": no feeding its own guesses back,
so errors do not compound step by step, and the interval widens as the data says it should).

Inside, values are read relative to the last one and in the series' unit (``scale``):
x_t = (y_t − y_T) / scale, so a rising CO₂ level that leaves the training range still looks
like the windows the model saw. A learned embedding of the series id tells the one LSTM which
series it is reading. The head predicts the median and two positive widths (softplus), so the
10% quantile can never lie above the median nor the 90% one below it.

The LSTM predicts a *correction* to the seasonal-naive forecast (the value one period earlier),
which is added back inside the model: a skip connection, as in a residual network. Without it
the network must learn to copy the last 24 hours exactly before it can improve on them; with
it, doing nothing already equals the strongest simple baseline, and training spends its few
minutes on what the baseline misses (trend, changing amplitude).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
import torch.nn.functional as F
from torch import nn

QUANTILES = (0.1, 0.5, 0.9)


@dataclass(frozen=True)
class ForecasterConfig:
    """Shape of the model; plain data, logged to JSON and stored in the card."""

    n_series: int = 3
    series_dim: int = 4
    hidden_size: int = 64
    num_layers: int = 1
    horizon: int = 24
    periods: tuple[int, ...] = (12, 11, 24)

    def __post_init__(self) -> None:
        if len(self.periods) != self.n_series:
            raise ValueError(f"need one period per series: {self.n_series}, got {self.periods}")
        # JSON round trips turn the tuple into a list; keep it hashable.
        object.__setattr__(self, "periods", tuple(int(p) for p in self.periods))

    def to_dict(self) -> dict[str, int | list[int]]:
        data = asdict(self)
        data["periods"] = list(self.periods)
        return data


def quantiles_from_head(raw: torch.Tensor) -> torch.Tensor:
    """(…, 3) head output → (…, 3) ordered quantiles: median ∓ softplus widths."""
    median = raw[..., 1]
    lower = median - F.softplus(raw[..., 0])
    upper = median + F.softplus(raw[..., 2])
    return torch.stack([lower, median, upper], dim=-1)


class LSTMForecaster(nn.Module):
    """values (batch, time), scale (batch,), series (batch,) int64 → quantiles (batch, horizon, 3).

    ``forward`` works in the series' own units; ``forward_scaled`` returns the quantiles of
    (y − y_T) / scale, which is what the loss compares.
    """

    def __init__(self, config: ForecasterConfig) -> None:
        super().__init__()
        self.config = config
        self.series_embed = nn.Embedding(config.n_series, config.series_dim)
        self.lstm = nn.LSTM(
            1 + config.series_dim, config.hidden_size, config.num_layers, batch_first=True
        )
        self.head = nn.Linear(config.hidden_size, config.horizon * len(QUANTILES))
        # Start from "no correction": the untrained model forecasts exactly the seasonal naive
        # (with a constant interval), so training can only move away from it if that helps.
        nn.init.zeros_(self.head.weight)
        nn.init.zeros_(self.head.bias)
        # Derived from the config, so not saved in the state_dict.
        self.register_buffer("periods", torch.tensor(config.periods), persistent=False)

    # --8<-- [start:features]
    def features(
        self, values: torch.Tensor, scale: torch.Tensor, series: torch.Tensor
    ) -> torch.Tensor:
        """The LSTM's input (batch, time, 1 + series_dim): scaled values beside the series id."""
        x = (values - values[:, -1:]) / scale[:, None]
        embedding = self.series_embed(series)[:, None, :].expand(-1, values.shape[1], -1)
        return torch.cat([x[..., None], embedding], dim=-1)

    # --8<-- [end:features]

    def seasonal_naive(
        self, values: torch.Tensor, scale: torch.Tensor, series: torch.Tensor
    ) -> torch.Tensor:
        """The scaled seasonal-naive forecast (batch, horizon): step h repeats the value one
        period before it, y[T − m + (h mod m)]. A history shorter than the period m repeats
        from its first value (index clamped at 0)."""
        periods: torch.Tensor = self.periods  # type: ignore[assignment]  # a buffer
        m = periods[series][:, None]  # (batch, 1)
        steps = torch.arange(self.config.horizon)[None, :]
        index = (values.shape[1] - m + torch.remainder(steps, m)).clamp(min=0)
        return (torch.gather(values, 1, index) - values[:, -1:]) / scale[:, None]

    def head_quantiles(
        self,
        last_hidden: torch.Tensor,
        values: torch.Tensor,
        scale: torch.Tensor,
        series: torch.Tensor,
    ) -> torch.Tensor:
        """Last hidden state (batch, hidden) → scaled quantiles (batch, horizon, 3): the
        head's correction plus the seasonal-naive forecast."""
        raw = self.head(last_hidden).view(-1, self.config.horizon, len(QUANTILES))
        skip = self.seasonal_naive(values, scale, series)
        return quantiles_from_head(raw) + skip[..., None]

    def forward_scaled(
        self, values: torch.Tensor, scale: torch.Tensor, series: torch.Tensor
    ) -> torch.Tensor:
        out, _ = self.lstm(self.features(values, scale, series))
        return self.head_quantiles(out[:, -1], values, scale, series)

    def forward(
        self, values: torch.Tensor, scale: torch.Tensor, series: torch.Tensor
    ) -> torch.Tensor:
        scaled = self.forward_scaled(values, scale, series)
        return values[:, -1, None, None] + scale[:, None, None] * scaled


# --8<-- [start:pinball]
def pinball_loss(predicted: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Mean quantile (pinball) loss. predicted (batch, horizon, 3), target (batch, horizon).

    For quantile q the loss is q·(y − ŷ) when under-predicting and (1 − q)·(ŷ − y) when
    over-predicting; its minimiser is the q-quantile, so the 10% and 90% outputs become an
    80% interval without assuming any distribution.
    """
    q = torch.tensor(QUANTILES, dtype=predicted.dtype)
    error = target[..., None] - predicted
    return torch.maximum(q * error, (q - 1) * error).mean()


# --8<-- [end:pinball]
