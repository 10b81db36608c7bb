"""Export trained PyTorch models to ONNX, with model cards and a hashed manifest.

Modules: `onnx_lstm` (the shared exporter machinery for LSTM graphs), `char_lm` (the character
language model's graphs), `cards` (card.json and the generated README.md), `manifest`
(models/manifest.json and its verification). Nothing is imported here, so reading a manifest
does not pay for importing torch.
"""
