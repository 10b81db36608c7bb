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


def create_session(
    path: str | Path, *, intra_op_threads: int = 1, data: bytes | None = None
) -> ort.InferenceSession:
    """`rnn_site.onnx_session.create_session`, raising ModelIntegrityError (naming the file)
    if onnxruntime cannot load the file. With `data`, the session is built from those bytes
    (already read and checked) and `path` only names the file in errors.
    """
    try:
        source = path if data is None else data
        return onnx_session.create_session(source, intra_op_threads=intra_op_threads)
    except Exception as exc:  # onnxruntime raises several private exception types
        raise ModelIntegrityError(
            f"onnxruntime cannot load {path}: {exc}", file=Path(path).name
        ) from exc


_DTYPES = {"tensor(float)": "float32", "tensor(int64)": "int64"}


def check_io(session: ort.InferenceSession, contract: Any, file: str) -> None:
    """Check a session's inputs and outputs against a card's contract for that graph.

    contract: {"inputs": {name: {"dtype", "shape"}}, "outputs": {...}} as in card.json.
    Names, order, dtypes and fixed sizes must agree; symbolic dims must be symbolic.
    Raises ModelMismatchError saying which tensor differs and how (or that the card's contract
    is not of that shape).
    """
    if not isinstance(contract, dict) or not all(
        isinstance(contract.get(kind), dict)
        and all(isinstance(spec, dict) for spec in contract[kind].values())
        for kind in ("inputs", "outputs")
    ):
        raise ModelMismatchError(
            f'card.json: the contract of {file} needs "inputs" and "outputs" objects',
            file="card.json",
        )
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
            if dtype != spec.get("dtype") or shape != spec.get("shape"):
                raise ModelMismatchError(
                    f"{file}: {arg.name} is {dtype} {shape}, the model card says "
                    f"{spec.get('dtype')} {spec.get('shape')}",
                    file=file,
                )


def open_graph(
    location: ModelLocation, role: str, *, intra_op_threads: int = 1, data: bytes | None = None
) -> ort.InferenceSession:
    """The session of one of a model's graphs, named by its role in the card ("step",
    "encoder"...), with its inputs and outputs checked against the card's contract.

    `data`: the file's bytes, already read (and hash-checked) by the caller; without it the
    file is read here, unchecked.
    """
    file = location.card["files"].get(role)
    io = location.card.get("io")
    if file is None or not isinstance(io, dict) or role not in io:
        raise ModelMismatchError(
            f'{location.path("card.json")}: no {role!r} graph in "files" and "io"',
            file="card.json",
        )
    session = create_session(location.path(file), intra_op_threads=intra_op_threads, data=data)
    check_io(session, io[role], file)
    return session
