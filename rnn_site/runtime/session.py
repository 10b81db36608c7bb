"""Create onnxruntime sessions the same way everywhere: CPU, few threads, errors we can read.

Why one thread by default: the graphs here are small (a 256-unit LSTM step is ~0.3 MFLOP), so
a thread pool costs more in wake-ups than it saves, and sessions that share a machine with
other work (tests, a web server) should not grab every core. Raise `intra_op_threads` for
large batches of the sequence graph.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import onnxruntime as ort

from rnn_site.runtime.errors import ModelIntegrityError, ModelMismatchError


def create_session(path: str | Path, *, intra_op_threads: int = 1) -> ort.InferenceSession:
    """An onnxruntime session on the CPU execution provider with all graph optimisations.

    Raises ModelIntegrityError (naming the file) if onnxruntime cannot load the file.
    """
    options = ort.SessionOptions()
    options.intra_op_num_threads = intra_op_threads
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.log_severity_level = 3  # errors only: warnings about unused initializers are noise
    try:
        return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    except Exception as exc:  # onnxruntime raises several private exception types
        raise ModelIntegrityError(
            f"onnxruntime cannot load {path}: {exc}", file=Path(path).name
        ) from exc


_DTYPES = {"tensor(float)": "float32", "tensor(int64)": "int64"}


def check_io(session: ort.InferenceSession, contract: dict[str, Any], file: str) -> None:
    """Check a session's inputs and outputs against a card's contract for that graph.

    contract: {"inputs": {name: {"dtype", "shape"}}, "outputs": {...}} as in card.json.
    Names, order, dtypes and fixed sizes must agree; symbolic dims must be symbolic.
    Raises ModelMismatchError saying which tensor differs and how.
    """
    for kind, args in (("inputs", session.get_inputs()), ("outputs", session.get_outputs())):
        expected = contract[kind]
        names = [a.name for a in args]
        if names != list(expected):
            raise ModelMismatchError(
                f"{file}: {kind} are {names}, the model card says {list(expected)}", file=file
            )
        for arg in args:
            spec = expected[arg.name]
            dtype = _DTYPES.get(arg.type, arg.type)
            shape = [d if isinstance(d, int) else str(d) for d in arg.shape]
            if dtype != spec["dtype"] or shape != spec["shape"]:
                raise ModelMismatchError(
                    f"{file}: {arg.name} is {dtype} {shape}, the model card says "
                    f"{spec['dtype']} {spec['shape']}",
                    file=file,
                )
