"""A multi-step LSTM forecaster with an 80% prediction interval: one *global* model for many series.

Reads the last values of a series (any length from ``min_history`` up) and predicts the next
``horizon`` values at three quantiles (10%, 50%, 90%) in one shot ("direct multi-step": no
feeding its own guesses back, so errors do not compound step by step).

Every window is normalised by itself, which is what lets one network learn from a hundred
series measured in different units and then forecast a series it never saw:

- **unit**: the window's own mean absolute seasonal difference, mean |y_t − y_{t−m}| (MASE's
  denominator, computed on the window; lag 1 when the window is shorter than a season, the
  ``scale`` input only when the window is constant);
- **deseasonalising**: the network predicts a *correction* to the seasonal-naive forecast (the
  value one period m earlier), added back inside the model, a skip connection as in a residual
  network: an untrained model *is* the seasonal naive forecast;
- **input** (``normalisation``, measured both ways): ``"seasonal-diff"`` feeds the seasonally
  differenced window (y_t − y_{t−m}) / unit, ``"level"`` the window relative to its last value,
  (y_t − y_T) / unit.

A learned embedding of a small *family* id (0 monthly, 1 the sunspot cycle, 2 hourly) tells the
LSTM which period it reads; every monthly series, seen or not, shares id 0. The head predicts
the median and two positive widths (softplus), scaled by ``interval_scale`` and widened or
narrowed by ``interval_adjust``, per-(family, step) constants fitted on validation (conformal
calibration), so the 10% quantile never lies above the median nor the 90% one below it.

A *seed ensemble* (``members`` > 1, as the M4 winners and N-BEATS average many networks):
``members`` networks of the same shape, trained apart from different seeds, read the same
normalised window; their median and widths are averaged (quantile averaging) before the
calibration. One module, so the ONNX graph keeps the same inputs and output.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any, cast

import torch
import torch.nn.functional as F
from torch import nn

from rnn_site.models.config import ModelConfig

QUANTILES = (0.1, 0.5, 0.9)
NORMALISATIONS = ("seasonal-diff", "level")


@dataclass(frozen=True)
class ForecasterConfig(ModelConfig):
    """Shape of the model; plain data, logged to JSON and stored in the card."""

    n_series: int = 3
    series_dim: int = 4
    hidden_size: int = 64
    num_layers: int = 1
    horizon: int = 24
    periods: tuple[int, ...] = (12, 11, 24)
    normalisation: str = "seasonal-diff"
    members: int = 1

    def __post_init__(self) -> None:
        if self.members < 1:
            raise ValueError(f"members must be at least 1, got {self.members}")
        if len(self.periods) != self.n_series:
            raise ValueError(f"need one period per series: {self.n_series}, got {self.periods}")
        if self.normalisation not in NORMALISATIONS:
            raise ValueError(
                f"unknown normalisation {self.normalisation!r}; known: {', '.join(NORMALISATIONS)}"
            )
        # JSON round trips turn the tuple into a list; keep it hashable.
        object.__setattr__(self, "periods", tuple(int(p) for p in self.periods))

    def to_dict(self) -> dict[str, Any]:
        """The fields, with ``periods`` as a list (as JSON gives it back)."""
        data = super().to_dict()
        data["periods"] = list(self.periods)
        return data


class ForecasterMember(nn.Module):
    """One network of the ensemble: family embedding → LSTM → head of raw quantile outputs."""

    def __init__(self, config: ForecasterConfig) -> None:
        super().__init__()
        self.series_embed = nn.Embedding(config.n_series, config.series_dim)
        self.lstm = nn.LSTM(
            1 + config.series_dim, config.hidden_size, config.num_layers, batch_first=True
        )
        self.head = nn.Linear(config.hidden_size, config.horizon * len(QUANTILES))
        # Start from "no correction": the untrained model forecasts exactly the seasonal naive
        # (with a constant interval), so training can only move away from it if that helps.
        nn.init.zeros_(self.head.weight)
        nn.init.zeros_(self.head.bias)

    def features(self, x: torch.Tensor, series: torch.Tensor) -> torch.Tensor:
        """The LSTM's input (batch, time, 1 + series_dim): the normalised window x (batch,
        time) beside the family embedding."""
        embedding = self.series_embed(series)[:, None, :].expand(-1, x.shape[1], -1)
        return torch.cat([x[..., None], embedding], dim=-1)

    def encode(self, features: torch.Tensor) -> torch.Tensor:
        out, _ = self.lstm(features)
        return out[:, -1]


class LSTMForecaster(nn.Module):
    """values (batch, time), scale (batch,), series (batch,) int64 → quantiles (batch, horizon, 3).

    ``forward`` works in the series' own units; ``forward_scaled`` returns the quantiles of
    (y − seasonal naive) / unit with the base and unit, which is what the loss compares.
    """

    def __init__(self, config: ForecasterConfig) -> None:
        super().__init__()
        self.config = config
        self.members = nn.ModuleList(ForecasterMember(config) for _ in range(config.members))
        # Derived from the config, so not saved in the state_dict.
        self.register_buffer("periods", torch.tensor(config.periods), persistent=False)
        # Conformal calibration of each interval side, fitted after training: its width is
        # multiplied by interval_scale, then moved out by interval_adjust (in window units).
        self.register_buffer("interval_adjust", torch.zeros(config.n_series, config.horizon))
        self.register_buffer("interval_scale", torch.ones(config.n_series, config.horizon))

    @classmethod
    def of_members(
        cls, config: ForecasterConfig, members: Sequence[ForecasterMember]
    ) -> LSTMForecaster:
        """A model (in eval mode) of copies of ``members``, shaped as ``config`` says; its
        interval calibration starts neutral, to be fitted on this ensemble."""
        combined = cls(replace(config, members=len(members)))
        for target, source in zip(combined.networks, members, strict=True):
            target.load_state_dict(source.state_dict())
        return combined.eval()

    @classmethod
    def ensemble(cls, models: Sequence[LSTMForecaster]) -> LSTMForecaster:
        """One model whose members are those of ``models`` (same shape, trained apart)."""
        return cls.of_members(models[0].config, [m for model in models for m in model.networks])

    def _lagged(self, values: torch.Tensor, series: torch.Tensor) -> tuple[torch.Tensor, ...]:
        """(y_{t−lag}, mask of t ≥ lag) for each position, lag = the period when the window
        holds more than one, else 1; positions before the lag are masked out."""
        periods: torch.Tensor = self.periods  # type: ignore[assignment]  # a buffer
        length = values.shape[1]
        m = periods[series][:, None]  # (batch, 1)
        lag = torch.where(m < length, m, torch.ones_like(m))
        steps = torch.arange(length)[None, :]
        index = (steps - lag).clamp(min=0).expand(values.shape[0], -1)
        return torch.gather(values, 1, index), (steps >= lag).to(values.dtype)

    # --8<-- [start:features]
    def window_unit(
        self, values: torch.Tensor, scale: torch.Tensor, series: torch.Tensor
    ) -> torch.Tensor:
        """The window's own unit (batch,): mean |y_t − y_{t−m}| inside the window; ``scale``
        when the window is constant (a unit of 0 would divide by zero)."""
        lagged, valid = self._lagged(values, series)
        mad = ((values - lagged).abs() * valid).sum(1) / valid.sum(1).clamp(min=1.0)
        return torch.where(mad > 0, mad, scale)

    def normalised(
        self, values: torch.Tensor, unit: torch.Tensor, series: torch.Tensor
    ) -> torch.Tensor:
        """The window in its own unit (batch, time), as every member reads it."""
        if self.config.normalisation == "seasonal-diff":
            lagged, valid = self._lagged(values, series)
            return (values - lagged) * valid / unit[:, None]
        return (values - values[:, -1:]) / unit[:, None]

    # --8<-- [end:features]

    def seasonal_naive(self, values: torch.Tensor, series: torch.Tensor) -> torch.Tensor:
        """The seasonal-naive forecast (batch, horizon) in the series' units: step h repeats
        the value one period before it, y[T − m + (h mod m)]. A history shorter than the
        period m repeats from its first value (index clamped at 0)."""
        periods: torch.Tensor = self.periods  # type: ignore[assignment]  # a buffer
        m = periods[series][:, None]  # (batch, 1)
        steps = torch.arange(self.config.horizon)[None, :]
        index = (values.shape[1] - m + torch.remainder(steps, m)).clamp(min=0)
        return torch.gather(values, 1, index)

    def head_quantiles(self, raws: Sequence[torch.Tensor], series: torch.Tensor) -> torch.Tensor:
        """Each member's head output (batch, horizon·3) → the correction's quantiles (batch,
        horizon, 3) in window units: the members' medians and widths averaged, each side
        then scaled by ``interval_scale`` and moved by ``interval_adjust`` (calibration)."""
        shaped = [raw.view(-1, self.config.horizon, len(QUANTILES)) for raw in raws]
        median = torch.stack([r[..., 1] for r in shaped]).mean(0)
        low = torch.stack([F.softplus(r[..., 0]) for r in shaped]).mean(0)
        high = torch.stack([F.softplus(r[..., 2]) for r in shaped]).mean(0)
        adjust = self.interval_adjust[series]  # type: ignore[index]
        factor = self.interval_scale[series]  # type: ignore[index]
        lower = median - (low * factor + adjust).clamp(min=0)
        upper = median + (high * factor + adjust).clamp(min=0)
        return torch.stack([lower, median, upper], dim=-1)

    def forward_with(
        self,
        values: torch.Tensor,
        scale: torch.Tensor,
        series: torch.Tensor,
        encode: Callable[[int, torch.Tensor], torch.Tensor],
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """(scaled quantiles, base, unit) with ``encode(k, features)`` mapping member k's
        features → its last hidden state: the torch LSTMs here, native ONNX LSTM nodes in the
        export (one code path for both)."""
        unit = self.window_unit(values, scale, series)
        x = self.normalised(values, unit, series)
        raws = [
            member.head(encode(k, member.features(x, series)))
            for k, member in enumerate(self.networks)
        ]
        return self.head_quantiles(raws, series), self.seasonal_naive(values, series), unit

    @property
    def networks(self) -> list[ForecasterMember]:
        """The members, typed."""
        return [cast(ForecasterMember, member) for member in self.members]

    def _encode(self, k: int, features: torch.Tensor) -> torch.Tensor:
        return self.networks[k].encode(features)

    def forward_scaled(
        self, values: torch.Tensor, scale: torch.Tensor, series: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        return self.forward_with(values, scale, series, self._encode)

    def forward(
        self, values: torch.Tensor, scale: torch.Tensor, series: torch.Tensor
    ) -> torch.Tensor:
        scaled, base, unit = self.forward_scaled(values, scale, series)
        return base[..., None] + unit[:, None, None] * scaled


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
