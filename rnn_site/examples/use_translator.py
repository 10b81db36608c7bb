"""Translate a sentence with the exported attention translator (numpy + onnxruntime only).

Run it: ``python -m rnn_site.examples.use_translator``. The lines between the markers are the
example shown on the Models page: kept to three lines on purpose, hence the formatter and
import-sorting exemptions. The beam width is the one the card publishes (``beam``): the width
the scores on the card and the page were measured with, and the demo's start.
"""

# ruff: noqa: I001
# fmt: off
# --8<-- [start:use]
from rnn_site.runtime import Translator
model = Translator.load("translator")
print(model.translate("The weather is nice today.", beam_width=model.card["beam"]).text)
# --8<-- [end:use]
# fmt: on
