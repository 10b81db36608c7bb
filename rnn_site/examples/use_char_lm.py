"""Generate Shakespeare-like text with the exported character LSTM (numpy + onnxruntime only).

Run it: ``python -m rnn_site.examples.use_char_lm``. The lines between the markers are the
example shown on the model card and the Models page: kept to three lines on purpose, hence
the formatter and import-sorting exemptions.
"""

# ruff: noqa: I001
# fmt: off
# --8<-- [start:use]
from rnn_site.runtime import CharLanguageModel
model = CharLanguageModel.load("char-lm")
print(model.generate("ROMEO:", n=200, temperature=0.8, seed=0))
# --8<-- [end:use]
# fmt: on
