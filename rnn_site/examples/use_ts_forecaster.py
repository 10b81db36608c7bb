"""Forecast a year of Mauna Loa CO₂ with the exported LSTM (numpy + onnxruntime only).

Run it: ``python -m rnn_site.examples.use_ts_forecaster``. The lines between the markers are the
example shown on the model card and the Models page: kept to three lines on purpose, hence
the formatter and import-sorting exemptions. The history is the 12 months of 1959.
"""

# ruff: noqa: I001, E501
# fmt: off
# --8<-- [start:use]
from rnn_site.runtime import Forecaster
model = Forecaster.load("ts-forecaster")
print(model.forecast([315.7, 316.5, 316.7, 317.7, 318.3, 318.0, 316.5, 314.8, 313.8, 313.3, 314.8, 315.6], horizon=12, series="co2").median)
# --8<-- [end:use]
# fmt: on
