"""Create onnxruntime sessions the same way everywhere: CPU, few threads, quiet logs.

Export (to compute a model's reference outputs) and the runtime (to serve it) both open ONNX
files; this module sits below both, so neither has to import the other, and it needs only
onnxruntime (no torch).

Why one thread by default: the graphs here are small (a 256-unit LSTM step is ~0.3 MFLOP), so
a thread pool costs more in wake-ups than it saves, and sessions that share a machine with
other work (tests, a web server) should not grab every core. Raise `intra_op_threads` for
large batches of the sequence graph.
"""

from __future__ import annotations

from pathlib import Path

import onnxruntime as ort


def create_session(path: str | Path | bytes, *, intra_op_threads: int = 1) -> ort.InferenceSession:
    """An onnxruntime session on the CPU execution provider with all graph optimisations.

    `path` may be the file's bytes instead: the runtime opens the very bytes it hash-checked.

    onnxruntime's own exceptions pass through; `rnn_site.runtime.session.create_session` turns
    them into a ModelIntegrityError that names the file.
    """
    options = ort.SessionOptions()
    options.intra_op_num_threads = intra_op_threads
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.log_severity_level = 3  # errors only: warnings about unused initializers are noise
    source = path if isinstance(path, bytes) else str(path)
    return ort.InferenceSession(source, options, providers=["CPUExecutionProvider"])
