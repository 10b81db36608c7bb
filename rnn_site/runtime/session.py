"""Open model files for the runtime: the shared session setup, with errors we can read.

The session options live in `rnn_site.onnx_session` (export uses them too); this module adds
what a model user needs: a ModelIntegrityError naming the file, and a check of the graph's
inputs and outputs against its model card.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import onnxruntime as ort

from rnn_site import onnx_session
from rnn_site.runtime.errors import ModelIntegrityError, ModelMismatchError
from rnn_site.runtime.registry import ModelLocation


def create_session(path: str | Path, *, intra_op_threads: int = 1) -> ort.InferenceSession:
    """`rnn_site.onnx_session.create_session`, raising ModelIntegrityError (naming the file)
    if onnxruntime cannot load the file.
    """
    try:
        return onnx_session.create_session(path, intra_op_threads=intra_op_threads)
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


def open_graph(
    location: ModelLocation, role: str, *, intra_op_threads: int = 1
) -> ort.InferenceSession:
    """The session of one of a model's graphs, named by its role in the card ("step",
    "encoder"...), with its inputs and outputs checked against the card's contract."""
    file = location.card["files"][role]
    session = create_session(location.path(file), intra_op_threads=intra_op_threads)
    check_io(session, location.card["io"][role], file)
    return session
