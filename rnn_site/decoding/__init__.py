"""Search over a model's outputs, NumPy only: beam search for the translator's decoder and CTC
decoding for the speech recogniser.

Training (PyTorch) and the runtime (onnxruntime) import the same code, so a model is evaluated
during training exactly as its users will run it. Nothing here imports torch or onnxruntime.
"""
