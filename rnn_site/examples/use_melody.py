"""Write a chorale-like melody to a MIDI file with the exported melody LSTM (numpy + onnxruntime).

Run it: ``python -m rnn_site.examples.use_melody``. The lines between the markers are the
example shown on the Models page: kept to three lines on purpose, hence the formatter and
import-sorting exemptions. The seed is C5 B4 A4 (a quarter, a quarter, a half) in C major.
"""

# ruff: noqa: I001
# fmt: off
# --8<-- [start:use]
from rnn_site.runtime import MelodyModel
model = MelodyModel.load("melody")
model.to_midi(model.generate([(72, 1.0), (71, 1.0), (69, 2.0)], n=32, seed=0), "melody.mid")
# --8<-- [end:use]
# fmt: on
