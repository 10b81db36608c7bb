"""Generate Shakespeare-like text with the exported character minGRU (numpy + onnxruntime only).

Run it: ``python -m rnn_site.examples.use_char_mingru``. The lines between the markers are the
example shown on the model card and the Models page: the same three lines as char-lm's, since
one runtime class runs both models.
"""

# ruff: noqa: I001
# fmt: off
# --8<-- [start:use]
from rnn_site.runtime import CharLanguageModel
model = CharLanguageModel.load("char-mingru")
print(model.generate("ROMEO:", n=200, temperature=0.8, seed=0))
# --8<-- [end:use]
# fmt: on
