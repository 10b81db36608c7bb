"""Classify a sentence with the exported sentiment LSTM (numpy + onnxruntime only).

Run it: ``python -m rnn_site.examples.use_sentiment``. The lines between the markers are the
example shown on the Models page: kept to three lines on purpose, hence the formatter and
import-sorting exemptions.
"""

# ruff: noqa: I001
# fmt: off
# --8<-- [start:use]
from rnn_site.runtime import SentimentModel
model = SentimentModel.load("sentiment")
print(model.predict("not bad at all, but too long").probability)
# --8<-- [end:use]
# fmt: on
