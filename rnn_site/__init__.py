"""Interactive RNN Journey: the code behind the site.

Layers, lowest first (a layer never imports a higher one):

- shared helpers: ``files`` (atomic writes, hashes), ``provenance`` (git commit) and
  ``onnx_session`` (how every onnxruntime session is opened);
- ``scratch`` (NumPy cells) · ``data`` · ``baselines`` (n-gram and classical baselines, NumPy);
- ``models`` (PyTorch) · ``train`` · ``export`` (ONNX);
- ``runtime`` (numpy + onnxruntime only);
- ``experiments`` (the chapters' experiments: NumPy, torch only to train ``long_range``) ·
  ``bench`` (latency benchmarks) · ``examples`` (short scripts that use the runtime);
- ``sitebuild`` (MkDocs hooks, torch-free) · ``cli`` (the ``rnn-site`` command, importing each
  layer only when a subcommand needs it).
"""

__version__ = "0.1.0"
