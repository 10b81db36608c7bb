"""Transcribe a clip with the exported speech recogniser (numpy + onnxruntime only).

Run it: ``python -m rnn_site.examples.use_speech``. The lines between the markers are the
example shown on the Models page and the speech chapter; the clip is one of the held-out samples
shipped with the model (any mono recording at 4–192 kHz works).
"""

# ruff: noqa: I001
# fmt: off
# --8<-- [start:use]
from rnn_site.data.audio import read_wav
from rnn_site.runtime import SpeechRecognizer
model = SpeechRecognizer.load("speech")
waveform, rate = read_wav(model.location.path("samples/" + model.card["samples"][0]["file"]))
print(model.transcribe(waveform, sample_rate=rate).text)
# --8<-- [end:use]
# fmt: on
