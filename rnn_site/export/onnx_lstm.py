"""Export LSTM models from PyTorch to ONNX graphs that onnxruntime and onnxruntime-web can run.

Every model of the project goes through here, so the exporter settings live in one place:

- the TorchScript exporter (``dynamo=False``) at opset 17: the dynamo exporter froze the time axis
  and broke on a second export in one process;
- each LSTM layer becomes one native ONNX ``LSTM`` node in layout 0 (time-major), because
  onnxruntime rejects ``layout=1``; no PackedSequence, float32 throughout;
- weights are stored once, already in ONNX's gate order, so a graph that also needs the gates
  (for the visualisations) reuses the very tensors the ``LSTM`` node reads;
- the cell-state recurrence c_t = f_t * c_{t-1} + i_t * g_t, which the ``LSTM`` node keeps to
  itself, is exported as a placeholder node and lowered to a standard ONNX ``Scan``;
- debug information (stack traces, source paths) is stripped, the declared input/output shapes are
  set from a written contract and checked, provenance goes into ``metadata_props``, and the file
  is written atomically.

Gate orders differ between libraries: PyTorch stacks (i, f, g, o), ONNX stacks (i, o, f, c),
where ONNX's "c" is PyTorch's candidate "g". Names below follow PyTorch (i, f, g, o).
"""

from __future__ import annotations

import io
import math
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import onnx
import torch
from onnx import TensorProto, helper, numpy_helper
from torch import nn

from rnn_site import __version__
from rnn_site.card import GraphContract, TensorContract
from rnn_site.files import atomic_path
from rnn_site.weight_storage import WEIGHT_STORAGES, WeightStorage

OPSET = 17
#: Custom domain of the placeholder nodes; none survives `lower_placeholders`.
PLACEHOLDER_DOMAIN = "rnn_site"
_CELL_STATE_SCAN = "CellStateScan"

_ONNX_DTYPES = {"float32": TensorProto.FLOAT, "int64": TensorProto.INT64}

# For each ONNX gate position (i, o, f, c), the PyTorch block (i, f, g, o) that goes there.
_ONNX_FROM_TORCH = (0, 3, 1, 2)


@dataclass(frozen=True)
class TensorSpec:
    """Declared dtype and shape of one graph input or output.

    dims: ints for fixed sizes, strings for symbolic (dynamic) axes such as "batch" or "time".
    """

    dtype: str
    dims: tuple[int | str, ...]

    def to_json(self) -> TensorContract:
        """Plain data for card.json: {"dtype": "float32", "shape": ["batch", 65]}."""
        return {"dtype": self.dtype, "shape": list(self.dims)}


@dataclass(frozen=True)
class GraphIO:
    """The I/O contract of one graph: inputs and outputs in order, by name."""

    inputs: Mapping[str, TensorSpec]
    outputs: Mapping[str, TensorSpec]

    def to_json(self) -> GraphContract:
        """Plain data for card.json; key order is input/output order."""
        return {
            "inputs": {name: spec.to_json() for name, spec in self.inputs.items()},
            "outputs": {name: spec.to_json() for name, spec in self.outputs.items()},
        }

    def dynamic_axes(self) -> dict[str, dict[int, str]]:
        """The symbolic axes in the form `torch.onnx.export` wants: {name: {axis: "batch"}}."""
        axes: dict[str, dict[int, str]] = {}
        for name, spec in {**self.inputs, **self.outputs}.items():
            symbolic = {i: d for i, d in enumerate(spec.dims) if isinstance(d, str)}
            if symbolic:
                axes[name] = symbolic
        return axes


# --------------------------------------------------------------------------- weights


def torch_gates_to_onnx(stacked: torch.Tensor) -> torch.Tensor:
    """Reorder PyTorch's stacked gate blocks (i, f, g, o) to ONNX's (i, o, f, c) along dim 0.

    stacked: (4*hidden, ...) → (4*hidden, ...).
    """
    blocks = stacked.chunk(4, dim=0)
    return torch.cat([blocks[k] for k in _ONNX_FROM_TORCH], dim=0)


class _NativeLSTM(torch.autograd.Function):
    """One LSTM layer that exports as a single ONNX ``LSTM`` node (layout 0, forward direction).

    The eager forward is a plain loop with ONNX's gate order; it runs only while the exporter
    traces the graph (and in tests), so clarity beats speed here.
    """

    @staticmethod
    def forward(
        ctx: Any,
        x: torch.Tensor,
        w: torch.Tensor,
        r: torch.Tensor,
        b: torch.Tensor,
        h0: torch.Tensor,
        c0: torch.Tensor,
        hidden_size: int,
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        h, c = h0[0], c0[0]
        bias = b[0, : 4 * hidden_size] + b[0, 4 * hidden_size :]
        outputs = []
        for x_t in x:
            i, o, f, g = (x_t @ w[0].T + h @ r[0].T + bias).chunk(4, dim=-1)
            c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
            h = torch.sigmoid(o) * torch.tanh(c)
            outputs.append(h)
        # ONNX's Y is (time, num_directions, batch, hidden); Y_h, Y_c are (num_directions, ...).
        return torch.stack(outputs).unsqueeze(1), h.unsqueeze(0), c.unsqueeze(0)

    @staticmethod
    def symbolic(
        g: Any,
        x: Any,
        w: Any,
        r: Any,
        b: Any,
        h0: Any,
        c0: Any,
        hidden_size: int,
    ) -> Any:
        no_sequence_lens = g.op("prim::Constant")
        no_sequence_lens.setType(torch._C.OptionalType.ofTensor())
        return g.op(
            "LSTM", x, w, r, b, no_sequence_lens, h0, c0, hidden_size_i=hidden_size, outputs=3
        )


class _CellStateScan(torch.autograd.Function):
    """c_t = f_t * c_{t-1} + ig_t over time; exported as a placeholder, lowered to ``Scan``.

    f, ig: (time, ...) and c0: (...) → c: (time, ...). Works on any trailing shape, so all layers
    of a stacked LSTM share one Scan.
    """

    @staticmethod
    def forward(ctx: Any, f: torch.Tensor, ig: torch.Tensor, c0: torch.Tensor) -> torch.Tensor:
        c, cells = c0, []
        for f_t, ig_t in zip(f, ig, strict=True):
            c = f_t * c + ig_t
            cells.append(c)
        return torch.stack(cells)

    @staticmethod
    def symbolic(g: Any, f: Any, ig: Any, c0: Any) -> Any:
        c = g.op(f"{PLACEHOLDER_DOMAIN}::{_CELL_STATE_SCAN}", f, ig, c0)
        c.setType(f.type())  # same shape as f: lets the exporter's shape inference continue
        return c


def cell_state_scan(f: torch.Tensor, ig: torch.Tensor, c0: torch.Tensor) -> torch.Tensor:
    """The cell states c_t = f_t * c_{t-1} + (i_t * g_t)_t; f, ig: (time, ...), c0: (...).

    Exact given the gates: the same multiply-add the LSTM performs, so the cell states shown in
    the browser are those the gates imply, not a numerical inversion of h_t = o_t * tanh(c_t).
    """
    return _CellStateScan.apply(f, ig, c0)


class OnnxLSTMLayer(nn.Module):
    """One LSTM layer holding its weights in ONNX's layout, shared by every node that needs them.

    W: (1, 4H, input), R: (1, 4H, H), B: (1, 8H) — exactly the ``LSTM`` node's inputs, gates
    stacked (i, o, f, c). `gates` computes the activations from the same tensors, so a graph
    with both stores the weights once (the sequence graph must stay under 2 MB).
    """

    def __init__(self, w: torch.Tensor, r: torch.Tensor, b: torch.Tensor) -> None:
        super().__init__()
        self.hidden_size = r.shape[-1]
        self.W = nn.Parameter(w.detach().clone(), requires_grad=False)
        self.R = nn.Parameter(r.detach().clone(), requires_grad=False)
        self.B = nn.Parameter(b.detach().clone(), requires_grad=False)

    @classmethod
    def from_torch(cls, lstm: nn.LSTM, layer: int, *, reverse: bool | None = None) -> OnnxLSTMLayer:
        """Take layer `layer` of an `nn.LSTM` without projections (missing biases count as zeros).

        A bidirectional LSTM needs `reverse`: False takes its forward direction, True its
        backward one, which the caller runs on the time-reversed input (then reverses back).
        """
        if lstm.proj_size:
            raise ValueError("only LSTMs without projections are supported")
        if lstm.bidirectional and reverse is None:
            raise ValueError("a bidirectional LSTM needs reverse=False or reverse=True")
        if reverse and not lstm.bidirectional:
            raise ValueError("reverse=True needs a bidirectional LSTM")
        suffix = "_reverse" if reverse else ""
        w = getattr(lstm, f"weight_ih_l{layer}{suffix}")
        r = getattr(lstm, f"weight_hh_l{layer}{suffix}")
        zeros = torch.zeros(4 * lstm.hidden_size, dtype=w.dtype)
        b_ih = getattr(lstm, f"bias_ih_l{layer}{suffix}") if lstm.bias else zeros
        b_hh = getattr(lstm, f"bias_hh_l{layer}{suffix}") if lstm.bias else zeros
        return cls(
            torch_gates_to_onnx(w).unsqueeze(0),
            torch_gates_to_onnx(r).unsqueeze(0),
            torch.cat([torch_gates_to_onnx(b_ih), torch_gates_to_onnx(b_hh)]).unsqueeze(0),
        )

    def forward(
        self, x: torch.Tensor, h0: torch.Tensor, c0: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """x: (time, batch, input), h0, c0: (1, batch, H) → h_seq (time, batch, H), h_n, c_n."""
        y, h_n, c_n = _NativeLSTM.apply(x, self.W, self.R, self.B, h0, c0, self.hidden_size)
        return y.squeeze(1), h_n, c_n

    def gates(
        self, x: torch.Tensor, h_prev: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        """Gate activations for all steps at once, given the previous hidden states.

        x: (time, batch, input), h_prev: (time, batch, H) with h_prev[t] = h_{t-1}
        → i, f, g, o each (time, batch, H). No recurrence: every step is independent once
        h_{t-1} is known, so this is a pair of matrix products over the whole sequence.
        """
        half = 4 * self.hidden_size
        a = x @ self.W[0].T + h_prev @ self.R[0].T + self.B[0, :half] + self.B[0, half:]
        i, o, f, g = a.chunk(4, dim=-1)
        return torch.sigmoid(i), torch.sigmoid(f), torch.tanh(g), torch.sigmoid(o)


# --------------------------------------------------------------------------- graph surgery


def _cell_state_scan_body(name: str) -> onnx.GraphProto:
    """The Scan body: state c_prev, scan inputs f_t, ig_t → (c_t as state, c_t as scan output)."""
    floats = [helper.make_tensor_value_info(n, TensorProto.FLOAT, None) for n in ("c_prev", "f_t")]
    ig = helper.make_tensor_value_info("ig_t", TensorProto.FLOAT, None)
    return helper.make_graph(
        [
            helper.make_node("Mul", ["f_t", "c_prev"], ["kept"], name=f"{name}/Mul"),
            helper.make_node("Add", ["kept", "ig_t"], ["c_next"], name=f"{name}/Add"),
            helper.make_node("Identity", ["c_next"], ["c_t"], name=f"{name}/Identity"),
        ],
        f"{name}_body",
        [*floats, ig],
        [
            helper.make_tensor_value_info("c_next", TensorProto.FLOAT, None),
            helper.make_tensor_value_info("c_t", TensorProto.FLOAT, None),
        ],
    )


def lower_placeholders(model: onnx.ModelProto) -> onnx.ModelProto:
    """Replace our placeholder nodes with standard ONNX (in place) and drop their domain.

    CellStateScan(f, ig, c0) → Scan(c0, f, ig) with one state and two scan inputs over axis 0.
    """
    for index, node in enumerate(model.graph.node):
        if node.domain != PLACEHOLDER_DOMAIN:
            continue
        if node.op_type != _CELL_STATE_SCAN:
            raise ValueError(f"no lowering for placeholder {node.domain}::{node.op_type}")
        name = node.name or f"/{_CELL_STATE_SCAN}"
        f, ig, c0 = node.input
        scan = helper.make_node(
            "Scan",
            [c0, f, ig],
            [f"{name}/c_last", node.output[0]],
            name=name,
            body=_cell_state_scan_body(name.strip("/").replace("/", "_")),
            num_scan_inputs=2,
        )
        model.graph.node.remove(node)
        model.graph.node.insert(index, scan)
    kept = [o for o in model.opset_import if o.domain != PLACEHOLDER_DOMAIN]
    del model.opset_import[:]
    model.opset_import.extend(kept)
    return model


def _graphs(graph: onnx.GraphProto) -> list[onnx.GraphProto]:
    """`graph` and every subgraph inside it (Scan/Loop bodies), depth first."""
    found = [graph]
    for node in graph.node:
        for attr in node.attribute:
            if attr.type == onnx.AttributeProto.GRAPH:
                found += _graphs(attr.g)
            for sub in attr.graphs:
                found += _graphs(sub)
    return found


def strip_debug_info(model: onnx.ModelProto) -> onnx.ModelProto:
    """Remove doc strings and node metadata (in place): they can carry stack traces and paths.

    A published model should not reveal the machine it was exported on, and the bytes should
    depend only on the weights and the code, not on where the repository was checked out.
    """
    model.doc_string = ""
    for graph in _graphs(model.graph):
        graph.doc_string = ""
        for node in graph.node:
            node.doc_string = ""
            del node.metadata_props[:]
        for value in [*graph.input, *graph.output, *graph.value_info]:
            value.doc_string = ""
    return model


def declare_io(model: onnx.ModelProto, contract: GraphIO) -> onnx.ModelProto:
    """Set the declared dtype and shape of every graph input and output from `contract`.

    The exporter's shape inference invents names like "Squeezelogits_dim_0" for what it cannot
    follow; the browser and the runtime read these declarations, so they come from the contract.
    Raises ValueError if the graph's input/output names differ from the contract's.
    """
    for values, specs, kind in (
        (model.graph.input, contract.inputs, "inputs"),
        (model.graph.output, contract.outputs, "outputs"),
    ):
        names = [v.name for v in values]
        if names != list(specs):
            raise ValueError(f"graph {kind} are {names}, the contract says {list(specs)}")
        for value in values:
            spec = specs[value.name]
            value.CopyFrom(
                helper.make_tensor_value_info(value.name, _ONNX_DTYPES[spec.dtype], spec.dims)
            )
    # Intermediate shapes from the exporter may disagree with the new declarations; let
    # onnxruntime infer them again.
    del model.graph.value_info[:]
    return model


def declared_io(model: onnx.ModelProto) -> dict[str, TensorSpec]:
    """Read back the declared inputs and outputs: {name: TensorSpec}; unknown dims become "?"."""
    names = {v: k for k, v in _ONNX_DTYPES.items()}
    declared = {}
    for value in [*model.graph.input, *model.graph.output]:
        tensor = value.type.tensor_type
        dims = tuple(
            d.dim_value if d.HasField("dim_value") else (d.dim_param or "?")
            for d in tensor.shape.dim
        )
        declared[value.name] = TensorSpec(names.get(tensor.elem_type, "?"), dims)
    return declared


def graph_metadata(
    name: str, version: str, *, licence: str, data: str, commit: str, **extra: str
) -> dict[str, str]:
    """The metadata a published graph carries: which model and version, the package that built
    it, the licence, the training data and the source commit; then ``extra`` (the tokenizer's
    pattern, the alphabet...), so the .onnx file alone says what it is and how to feed it."""
    return {
        "name": name,
        "version": version,
        "package_version": __version__,
        "licence": licence,
        "data": data,
        "source_commit": commit,
        **extra,
    }


def set_metadata(model: onnx.ModelProto, metadata: Mapping[str, str]) -> onnx.ModelProto:
    """Replace `metadata_props` with `metadata` (in place); values must already be strings."""
    del model.metadata_props[:]
    for key, value in metadata.items():
        if not isinstance(value, str):
            raise TypeError(f"metadata {key!r} must be a string, got {type(value).__name__}")
        entry = model.metadata_props.add()
        entry.key, entry.value = key, value
    return model


def export_graph(
    module: nn.Module,
    example_inputs: Sequence[torch.Tensor],
    path: str | Path,
    contract: GraphIO,
    metadata: Mapping[str, str],
    *,
    doc: str = "",
    constant_folding: bool = True,
    placeholders: bool = False,
    weights: WeightStorage = "float32",
) -> onnx.ModelProto:
    """Export `module` to `path` with the project's settings; return the model as written.

    example_inputs: one tensor per contract input, in order; give dynamic axes sizes > 1 so
    the tracer cannot mistake them for constants. `constant_folding=False` keeps weights that
    two nodes share as one initializer (folding would store a transposed copy; onnxruntime
    folds at load time instead, in memory). `placeholders=True` when the module uses
    `cell_state_scan` (declares our custom domain to the exporter until it is lowered).
    `weights` says how the file stores them: ``"float16"`` in half precision
    (:func:`float16_weights`), ``"int8"`` as int8 with per-row scales (:func:`int8_weights`).
    """
    if weights not in WEIGHT_STORAGES:
        raise ValueError(f"weights must be one of {', '.join(WEIGHT_STORAGES)}, got {weights!r}")
    module.eval()
    buffer = io.BytesIO()
    with torch.no_grad(), warnings.catch_warnings():
        # The TorchScript exporter is deprecated in favour of dynamo; we choose it on purpose.
        warnings.simplefilter("ignore", DeprecationWarning)
        # The eager loops of the placeholders are traced only for shapes; symbolic() replaces
        # them, so the tracer's warning about loops over tensors does not apply.
        warnings.simplefilter("ignore", torch.jit.TracerWarning)
        torch.onnx.export(
            module,
            tuple(example_inputs),
            buffer,  # type: ignore[arg-type]  # a file object works; the stub says path
            dynamo=False,
            opset_version=OPSET,
            input_names=list(contract.inputs),
            output_names=list(contract.outputs),
            dynamic_axes=contract.dynamic_axes(),
            do_constant_folding=constant_folding,
            custom_opsets={PLACEHOLDER_DOMAIN: 1} if placeholders else None,
        )
    model = onnx.load_from_string(buffer.getvalue())
    lower_placeholders(model)
    strip_debug_info(model)
    declare_io(model, contract)
    set_metadata(model, metadata)
    model.doc_string = doc
    if weights == "float16":
        float16_weights(model)
    elif weights == "int8":
        int8_weights(model)
    # full_check runs strict shape inference: a declared shape that contradicts the graph fails.
    onnx.checker.check_model(model, full_check=True)
    write_model(model, path)
    return model


def float16_weights(model: onnx.ModelProto, min_size: int = 1024) -> onnx.ModelProto:
    """Store every float32 initializer of at least `min_size` values as float16, read back
    through a ``Cast`` to float32 (in place): the file halves, and onnxruntime folds the casts
    at session creation, so every computation stays float32 (only the weights are rounded;
    training rounds them the same way (`rnn_site.train.artifacts.round_to_float16`) before it
    scores the test set, so nothing changes for a trained model). Small constants (such as the
    -1e9 of masked attention) stay float32."""
    graph = model.graph
    casts = []
    for tensor in graph.initializer:
        if tensor.data_type != onnx.TensorProto.FLOAT or math.prod(tensor.dims) < min_size:
            continue
        values = numpy_helper.to_array(tensor).astype(np.float16)
        name = tensor.name
        tensor.CopyFrom(numpy_helper.from_array(values, f"{name}.float16"))
        casts.append(
            onnx.helper.make_node("Cast", [f"{name}.float16"], [name], to=onnx.TensorProto.FLOAT)
        )
    nodes = [*casts, *graph.node]  # casts before every node that reads them: still sorted
    del graph.node[:]
    graph.node.extend(nodes)
    return model


def int8_weights(model: onnx.ModelProto, min_size: int = 1024) -> onnx.ModelProto:
    """Store every float32 weight matrix of at least `min_size` values that training rounded
    to int8 times a per-row scale (`rnn_site.train.artifacts.round_to_int8`) as those int8
    values and scales, read back as ``Cast`` to float32 times the scale (in place): the file is
    a quarter of float32, and every computation stays float32.

    ``Cast`` and ``Mul`` rather than ``DequantizeLinear``: onnxruntime (and onnxruntime-web)
    fold them into float32 weights when a session is created, like the float16 casts, where a
    ``DequantizeLinear`` is kept for quantized kernels and would run again at every step.

    The exporter may have transposed or reordered a matrix (ONNX's gate order, a MatMul's
    [in, out] layout), so the axis that holds torch's rows is found, not assumed: the one whose
    per-slice scales give back every value (within float32 rounding). A tensor no axis fits
    (a bias, or weights that were never rounded) stays float32, as do small ones.
    """
    graph = model.graph
    dequantize = []
    for tensor in graph.initializer:
        if tensor.data_type != onnx.TensorProto.FLOAT or math.prod(tensor.dims) < min_size:
            continue
        values = numpy_helper.to_array(tensor)
        found = _int8_rows(values)
        if found is None:
            if sum(size > 1 for size in values.shape) > 1:
                # A matrix the recipe did not round would ship at 4x the size, or be rounded
                # here, unscored: neither silently.
                raise ValueError(
                    f"{tensor.name}: a weight matrix not rounded to int8 rows "
                    "(round_to_int8 before exporting with weights='int8')"
                )
            continue
        quantized, scales = found
        name = tensor.name
        tensor.CopyFrom(numpy_helper.from_array(quantized, f"{name}.int8"))
        graph.initializer.append(numpy_helper.from_array(scales, f"{name}.scale"))
        dequantize += [
            onnx.helper.make_node(
                "Cast", [f"{name}.int8"], [f"{name}.cast"], to=onnx.TensorProto.FLOAT
            ),
            onnx.helper.make_node("Mul", [f"{name}.cast", f"{name}.scale"], [name]),
        ]
    nodes = [*dequantize, *graph.node]  # before every node that reads them: still sorted
    del graph.node[:]
    graph.node.extend(nodes)
    return model


def _int8_rows(values: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """(int8 values, float32 scales shaped to broadcast over them) if `values` are int8 times
    one scale per slice along some axis (the slice's largest magnitude over 127), else None."""
    for axis, size in enumerate(values.shape):
        if size < 2 or size == values.size:
            continue  # one slice for everything, or one value per slice: not a row layout
        others = tuple(a for a in range(values.ndim) if a != axis)
        peak = np.abs(values).max(axis=others, keepdims=True)
        scale = np.where(peak > 0, peak / np.float32(127), np.float32(1)).astype(np.float32)
        quantized = np.round(values / scale)
        if np.abs(quantized * scale - values).max() <= 1e-6 * max(float(peak.max()), 1e-30):
            return quantized.astype(np.int8), scale
    return None


def write_model(model: onnx.ModelProto, path: str | Path) -> Path:
    """Serialize `model` to `path` atomically (a reader never sees half a model)."""
    with atomic_path(path) as tmp:
        tmp.write_bytes(model.SerializeToString())
    return Path(path)


def model_text_without_weights(model: onnx.ModelProto) -> bytes:
    """The serialized model with tensor data removed: what to scan for leaked paths.

    Random weight bytes can contain any short string (".py" appears in about one megabyte in
    ten), so checks for leaked paths look only at names, attributes, doc strings and metadata.
    """
    copy = onnx.ModelProto()
    copy.CopyFrom(model)
    for graph in _graphs(copy.graph):
        for tensor in graph.initializer:
            tensor.ClearField("raw_data")
            tensor.ClearField("float_data")
            tensor.ClearField("int64_data")
        for node in graph.node:
            for attr in node.attribute:
                if attr.type == onnx.AttributeProto.TENSOR:
                    attr.t.ClearField("raw_data")
    return copy.SerializeToString()
