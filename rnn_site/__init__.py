"""Interactive RNN Journey: the code behind the site.

Layers, lowest first (a layer never imports a higher one):
``scratch`` (NumPy cells) · ``data`` · ``models`` (PyTorch) · ``train`` · ``export`` (ONNX) ·
``runtime`` (numpy + onnxruntime only) · ``sitebuild`` (MkDocs hooks).
"""

__version__ = "0.1.0"
