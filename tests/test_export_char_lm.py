"""The exported char-LM graphs: contract shapes, parity with PyTorch, NumPy and onnxruntime-web."""

from __future__ import annotations

import copy
import json
import shutil
import subprocess
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import pytest
import torch
from char_lm_helpers import VOCAB, export_random, random_model
from onnx import numpy_helper
from skips import skip_locally_fail_in_ci

from rnn_site.export.char_lm import sequence_io, step_io
from rnn_site.export.onnx_lstm import declared_io, model_text_without_weights
from rnn_site.models.char_lm import CharLMConfig, CharLSTM
from rnn_site.scratch.lstm import LSTMParams, lstm_forward
from rnn_site.sitebuild.vendor import VendorAssetsMissing, copy_vendor
from rnn_site.train.char_lm import load_char_lm

ROOT = Path(__file__).resolve().parents[1]
TOL = 1e-4
GATES = ("i_gate", "f_gate", "g_gate", "o_gate")

torch.set_num_threads(1)


@pytest.fixture(
    scope="module",
    params=[1, 2, "float16", "int8"],
    ids=["1-layer", "2-layer", "1-layer-float16", "1-layer-int8"],
)
def exported(request, tmp_path_factory):
    """(model, model_dir): one layer, two layers (hidden 64) for the stacking, and one layer
    with float16 weights and one with int8 weights (as the published recipe ships them)."""
    layers = 2 if request.param == 2 else 1
    config = {"num_layers": layers} if layers == 1 else {"num_layers": 2, "hidden_size": 64}
    folder = tmp_path_factory.mktemp(f"models{request.param}")
    weights = request.param if isinstance(request.param, str) else "float32"
    return export_random(folder, seed=layers, weights=weights, **config)


def session(path: Path) -> ort.InferenceSession:
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def run_sequence(model_dir: Path, tokens, h0, c0) -> dict[str, np.ndarray]:
    """The sequence graph's outputs by name, as onnxruntime computes them."""
    seq = session(model_dir / "sequence.onnx")
    feed = {"tokens": tokens.numpy(), "h0": h0.numpy(), "c0": c0.numpy()}
    return dict(zip([o.name for o in seq.get_outputs()], seq.run(None, feed), strict=True))


def random_inputs(model: CharLSTM, batch: int, time: int, seed: int = 0):
    """Tokens (batch, time) and non-zero initial states, so the state inputs are exercised."""
    gen = torch.Generator().manual_seed(seed)
    shape = (model.config.num_layers, batch, model.config.hidden_size)
    tokens = torch.randint(0, len(VOCAB), (batch, time), generator=gen)
    return tokens, 0.5 * torch.randn(shape, generator=gen), 0.5 * torch.randn(shape, generator=gen)


def torch_reference(model: CharLSTM, tokens, h0, c0) -> dict[str, np.ndarray]:
    """Per-step states and gates by hand from nn.LSTM's weights (gate order i, f, g, o)."""
    x = model.embed(tokens)
    per_layer: dict[str, list] = {k: [] for k in ("h_seq", "c_seq", *GATES)}
    for k in range(model.config.num_layers):
        w_ih, w_hh = getattr(model.lstm, f"weight_ih_l{k}"), getattr(model.lstm, f"weight_hh_l{k}")
        b = getattr(model.lstm, f"bias_ih_l{k}") + getattr(model.lstm, f"bias_hh_l{k}")
        h, c = h0[k], c0[k]
        steps: dict[str, list] = {key: [] for key in per_layer}
        for t in range(tokens.shape[1]):
            a_i, a_f, a_g, a_o = (x[:, t] @ w_ih.T + h @ w_hh.T + b).chunk(4, dim=-1)
            i, f, g, o = a_i.sigmoid(), a_f.sigmoid(), a_g.tanh(), a_o.sigmoid()
            c = f * c + i * g
            h = o * c.tanh()
            for key, value in zip(steps, (h, c, i, f, g, o), strict=True):
                steps[key].append(value)
        for key in per_layer:
            per_layer[key].append(torch.stack(steps[key], dim=1))  # (batch, time, H)
        x = per_layer["h_seq"][-1]
    return {k: torch.stack(v, dim=2).numpy() for k, v in per_layer.items()}


def max_diff(a, b) -> float:
    return float(np.abs(np.asarray(a) - np.asarray(b)).max())


# ------------------------------------------------------------------ contract


def test_declared_shapes_follow_the_contract(exported):
    model, model_dir = exported
    layers, hidden = model.config.num_layers, model.config.hidden_size
    for file, io in (
        ("step.onnx", step_io(model.config)),
        ("sequence.onnx", sequence_io(model.config)),
    ):
        declared = declared_io(onnx.load(model_dir / file))
        assert declared == {**io.inputs, **io.outputs}
    step = declared_io(onnx.load(model_dir / "step.onnx"))
    assert step["token"].dims == ("batch",) and step["token"].dtype == "int64"
    assert step["logits"].dims == ("batch", len(VOCAB))
    assert step["h_out"].dims == (layers, "batch", hidden)
    seq = declared_io(onnx.load(model_dir / "sequence.onnx"))
    assert seq["tokens"].dims == ("batch", "time")
    assert seq["logits"].dims == ("batch", "time", len(VOCAB))
    for name in ("h_seq", "c_seq", *GATES):
        assert seq[name].dims == ("batch", "time", layers, hidden)
    # onnxruntime reads the same declarations.
    ort_inputs = {i.name: i.shape for i in session(model_dir / "sequence.onnx").get_inputs()}
    assert ort_inputs == {
        "tokens": ["batch", "time"],
        "h0": [layers, "batch", hidden],
        "c0": [layers, "batch", hidden],
    }


def test_graphs_use_native_lstm_layout_0_and_standard_ops_only(exported):
    model, model_dir = exported
    for file in ("step.onnx", "sequence.onnx"):
        proto = onnx.load(model_dir / file)
        assert [(o.domain, o.version) for o in proto.opset_import] == [("", 17)]
        lstms = [n for n in proto.graph.node if n.op_type == "LSTM"]
        assert len(lstms) == model.config.num_layers
        for node in lstms:
            layout = {a.name: a.i for a in node.attribute}.get("layout", 0)
            assert layout == 0
        assert all(n.domain == "" for n in proto.graph.node)
    scans = [n for n in onnx.load(model_dir / "sequence.onnx").graph.node if n.op_type == "Scan"]
    assert len(scans) == 1  # one cell-state Scan shared by all layers


def test_files_are_small_stripped_and_carry_metadata(exported):
    _, model_dir = exported
    for file in ("step.onnx", "sequence.onnx"):
        path = model_dir / file
        assert path.stat().st_size < 2_000_000
        proto = onnx.load(path)
        text = model_text_without_weights(proto)
        assert b"/work/" not in text and b".py" not in text and b"site-packages" not in text
        assert all(not n.doc_string and not n.metadata_props for n in proto.graph.node)
        meta = {p.key: p.value for p in proto.metadata_props}
        assert meta["vocab"] == VOCAB and json.loads(meta["vocab_json"]) == VOCAB
        assert meta["version"] == "1.0.0" and meta["licence"] == "MIT"
        assert meta["source_commit"]
        assert json.loads(meta["metrics"])["baselines"]["char-7gram"]["val_bpc"] == 2.4
        assert json.loads(meta["data"])["name"] == "shakespeare-plays"


def test_a_rounded_recipe_ships_its_weights_so(exported):
    """Large weights are stored at half size, or as int8, when (and only when) the run rounded
    them so; every weight matrix of an int8 run is int8 (only vectors stay float32)."""
    _, model_dir = exported
    rounded = json.loads((model_dir / "metrics.json").read_text()).get("hparams", {})
    kinds = {"float16": onnx.TensorProto.FLOAT16, "int8": onnx.TensorProto.INT8}
    for file in ("step.onnx", "sequence.onnx"):
        proto = onnx.load(model_dir / file)
        stored = {t.data_type for t in proto.graph.initializer if t.dims}
        for name, kind in kinds.items():
            assert (kind in stored) == (name in rounded)
        if "int8" in rounded:
            large = [t for t in proto.graph.initializer if np.prod(t.dims) >= 1024]
            floats = [t.name for t in large if t.data_type == onnx.TensorProto.FLOAT]
            assert all(len([d for d in t.dims if d > 1]) == 1 for t in large if t.name in floats)


def test_sequence_graph_stores_each_weight_once(exported):
    model, model_dir = exported
    proto = onnx.load(model_dir / "sequence.onnx")
    stored = sum(numpy_helper.to_array(t).size for t in proto.graph.initializer)
    parameters = sum(p.numel() for p in model.parameters())
    assert stored < parameters * 1.01  # a second copy of the LSTM weights would double it


# ------------------------------------------------------------------ parity with PyTorch


@pytest.mark.parametrize(("batch", "time"), [(1, 1), (1, 200), (8, 1), (8, 200)])
def test_step_graph_matches_torch(exported, batch, time):
    model, model_dir = exported
    tokens, h0, c0 = random_inputs(model, batch, time)
    with torch.no_grad():
        logits, (h_ref, c_ref) = model(tokens, (h0, c0))
    step = session(model_dir / "step.onnx")
    h, c = h0.numpy(), c0.numpy()
    worst = 0.0
    for t in range(time):
        out, h, c = step.run(None, {"token": tokens[:, t].numpy(), "h": h, "c": c})
        worst = max(worst, max_diff(out, logits[:, t]))
    assert worst <= TOL
    assert max_diff(h, h_ref) <= TOL and max_diff(c, c_ref) <= TOL


@pytest.mark.parametrize(("batch", "time"), [(1, 1), (1, 200), (8, 1), (8, 200)])
def test_sequence_graph_matches_torch(exported, batch, time):
    model, model_dir = exported
    tokens, h0, c0 = random_inputs(model, batch, time, seed=1)
    with torch.no_grad():
        logits, (h_ref, c_ref) = model(tokens, (h0, c0))
        reference = torch_reference(model, tokens, h0, c0)
    out = run_sequence(model_dir, tokens, h0, c0)
    assert max_diff(out["logits"], logits) <= TOL
    assert max_diff(out["h_out"], h_ref) <= TOL and max_diff(out["c_out"], c_ref) <= TOL
    for name, expected in reference.items():
        assert out[name].shape == expected.shape
        assert max_diff(out[name], expected) <= TOL, name
    # The hand reference agrees with nn.LSTM too (so it is a fair judge).
    assert (
        max_diff(
            reference["h_seq"][:, :, -1], model.lstm(model.embed(tokens), (h0, c0))[0].detach()
        )
        <= 1e-5
    )
    # Internal consistency: h_t = o_t * tanh(c_t) with the reported gates and cells.
    assert max_diff(out["o_gate"] * np.tanh(out["c_seq"]), out["h_seq"]) <= TOL
    # Gates are in range (sigmoid gates in (0, 1), candidate in (-1, 1)).
    assert (
        out["f_gate"].min() >= 0 and out["f_gate"].max() <= 1 and np.abs(out["g_gate"]).max() <= 1
    )


def test_step_and_sequence_graphs_agree(exported):
    model, model_dir = exported
    tokens, h0, c0 = random_inputs(model, 2, 30, seed=2)
    seq = session(model_dir / "sequence.onnx").run(
        ["logits"], {"tokens": tokens.numpy(), "h0": h0.numpy(), "c0": c0.numpy()}
    )[0]
    step = session(model_dir / "step.onnx")
    h, c = h0.numpy(), c0.numpy()
    for t in range(30):
        out, h, c = step.run(None, {"token": tokens[:, t].numpy(), "h": h, "c": c})
        assert max_diff(out, seq[:, t]) <= TOL


# ------------------------------------------------------------------ parity with NumPy scratch


def stored_weights(proto: onnx.ModelProto) -> dict[str, np.ndarray]:
    """Initializers by the name the graph reads them under, as float32 (a float16 weight is
    stored as ``<name>.float16`` and cast back; an int8 one as ``<name>.int8`` times
    ``<name>.scale``, shaped to broadcast over its rows)."""
    arrays = {t.name: numpy_helper.to_array(t) for t in proto.graph.initializer}
    weights = {n.removesuffix(".float16"): a.astype(np.float32) for n, a in arrays.items()}
    for name, values in arrays.items():
        if name.endswith(".int8"):
            base = name.removesuffix(".int8")
            weights[base] = values.astype(np.float32) * arrays[f"{base}.scale"]
    return weights


def onnx_layer_to_scratch(proto: onnx.ModelProto, layer: int) -> LSTMParams:
    """Read the LSTM node's W, R, B initializers (ONNX order i, o, f, c) into scratch params."""
    init = stored_weights(proto)
    node = [n for n in proto.graph.node if n.op_type == "LSTM"][layer]
    w, r, b = (init[name][0] for name in node.input[1:4])
    hidden = r.shape[-1]

    def to_torch_order(stacked: np.ndarray) -> np.ndarray:
        i, o, f, c = np.split(stacked, 4, axis=0)
        return np.concatenate([i, f, c, o], axis=0)

    return LSTMParams.from_torch(
        to_torch_order(w),
        to_torch_order(r),
        to_torch_order(b[: 4 * hidden]),
        to_torch_order(b[4 * hidden :]),
    )


def test_onnx_weights_in_numpy_scratch_lstm_give_the_same_states(exported):
    model, model_dir = exported
    proto = onnx.load(model_dir / "sequence.onnx")
    tokens, h0, c0 = random_inputs(model, 3, 50, seed=3)
    out = session(model_dir / "sequence.onnx").run(
        ["h_seq", "c_seq"], {"tokens": tokens.numpy(), "h0": h0.numpy(), "c0": c0.numpy()}
    )
    embed = stored_weights(proto)["embed.weight"]
    x = embed[tokens.numpy()]
    for k in range(model.config.num_layers):
        scratch = lstm_forward(onnx_layer_to_scratch(proto, k), x, h0[k].numpy(), c0[k].numpy())
        assert max_diff(scratch.h, out[0][:, :, k]) <= TOL
        assert max_diff(scratch.c, out[1][:, :, k]) <= TOL
        x = scratch.h


# ------------------------------------------------------------------ onnxruntime-web


WEB_SCRIPT = """
import * as ort from '{ort}';
import fs from 'fs';
ort.env.wasm.numThreads = 1;
const input = JSON.parse(fs.readFileSync('{input}', 'utf8'));
const session = await ort.InferenceSession.create(fs.readFileSync('{model}'));
const [layers, batch, hidden] = input.shape;
const state = new ort.Tensor('float32', Float32Array.from(input.h0), input.shape);
const cell = new ort.Tensor('float32', Float32Array.from(input.c0), input.shape);
const ids = BigInt64Array.from(input.tokens.map(BigInt));
const tokens = new ort.Tensor('int64', ids, [batch, input.time]);
const out = await session.run({{tokens, h0: state, c0: cell}});
const result = {{}};
for (const [name, t] of Object.entries(out)) {{
  result[name] = {{dims: t.dims, data: Array.from(t.data)}};
}}
console.log(JSON.stringify(result));
"""


def test_sequence_graph_runs_in_onnxruntime_web(exported, tmp_path):
    """The browser's runtime (onnxruntime-web's WASM backend, in Node) gives the same outputs.

    It runs the files the site ships, copied the way the build copies them.
    """
    if shutil.which("node") is None:
        skip_locally_fail_in_ci("needs Node.js 18+ to run onnxruntime-web")
    try:
        shipped = copy_vendor(tmp_path / "site")
    except VendorAssetsMissing as exc:
        skip_locally_fail_in_ci(str(exc))
    ort_web = next(p for p in shipped if p.name == "ort.wasm.min.mjs")
    model, model_dir = exported
    tokens, h0, c0 = random_inputs(model, 2, 7, seed=4)
    (tmp_path / "input.json").write_text(
        json.dumps(
            {
                "shape": list(h0.shape),
                "time": 7,
                "tokens": tokens.flatten().tolist(),
                "h0": h0.flatten().tolist(),
                "c0": c0.flatten().tolist(),
            }
        )
    )
    script = tmp_path / "run.mjs"
    script.write_text(
        WEB_SCRIPT.format(
            ort=ort_web.as_posix(),
            input=(tmp_path / "input.json").as_posix(),
            model=(model_dir / "sequence.onnx").as_posix(),
        )
    )
    # --liftoff-only: V8's optimising tier spends ~90 s compiling the 14 MB WASM; the
    # baseline compiler takes about a second and runs this small graph just as well.
    result = subprocess.run(
        ["node", "--liftoff-only", str(script)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    web = json.loads(result.stdout)
    python = run_sequence(model_dir, tokens, h0, c0)
    assert list(web) == list(python)
    for name, expected in python.items():
        assert web[name]["dims"] == list(expected.shape)
        assert max_diff(np.array(web[name]["data"]).reshape(expected.shape), expected) <= TOL


# ------------------------------------------------------------------ card and the committed model


def test_card_and_readme_describe_the_export(exported):
    model, model_dir = exported
    card = json.loads((model_dir / "card.json").read_text())
    assert card["name"] == "char-lm" and card["task"] == "text-generation"
    assert card["vocab"] == VOCAB and card["config"] == model.config.to_dict()
    assert card["files"] == {
        "step": "step.onnx",
        "sequence": "sequence.onnx",
        "torch": "char-lm.pt",
    }
    assert card["io"]["step"] == step_io(model.config).to_json()
    assert card["metrics"] == {"char-lm": {"val_bpc": 2.0, "test_bpc": 2.1}}
    assert card["baselines"] == {"char-7gram": {"val_bpc": 2.4, "test_bpc": 2.5}}
    assert (
        card["example_greedy"]["prompt"] == "ROMEO:"
        and len(card["example_greedy"]["output"]) == 200
    )
    readme = (model_dir / "README.md").read_text()
    for heading in (
        "## Intended use",
        "## Preprocessing",
        "## Input / output contract",
        "## Training data",
        "## Metrics",
        "## Performance",
        "## Limits",
        "## Licence",
        "## Use it",
    ):
        assert heading in readme
    assert "| **char-lm** | 2.100 | 2.000 |" in readme
    assert 'CharLanguageModel.load("char-lm")' in readme


def test_checkpoint_loader_rejects_a_vocab_that_does_not_fit(tmp_path):
    model = CharLSTM(CharLMConfig(vocab_size=5))
    torch.save(
        {"config": model.config.to_dict(), "state_dict": model.state_dict(), "vocab": "abcdd"},
        tmp_path / "m.pt",
    )
    with pytest.raises(ValueError, match="distinct"):
        load_char_lm(tmp_path / "m.pt")


COMMITTED = ROOT / "models" / "char-lm"


@pytest.mark.skipif(
    not (COMMITTED / "step.onnx").exists(), reason="the trained model is not exported yet"
)
def test_committed_model_matches_its_checkpoint():
    """The shipped graphs compute the checkpoint's function.

    A trained LSTM amplifies float32 rounding at a few positions (the published model's cell
    states reach tens): after a hundred steps from arbitrary states, two correct float32
    implementations (torch's oneDNN kernel and onnxruntime) both drift from a float64
    reference by more than TOL. So the check is exact (TOL) over the first 20 steps from random
    states, where nothing has been amplified yet, and step-by-step over 200 steps of real text
    from the zero state, where onnxruntime must stay as close to float64 as torch's own float32
    does (within a few times its error; the random-weight tests above pin the export itself).
    """
    model, vocab = load_char_lm(COMMITTED / "char-lm.pt")
    card = json.loads((COMMITTED / "card.json").read_text())
    assert card["vocab"] == vocab
    tokens, h0, c0 = random_inputs(model, 1, 20, seed=5)
    tokens = tokens % len(vocab)
    with torch.no_grad():
        logits, (h_ref, c_ref) = model(tokens, (h0, c0))
    out = session(COMMITTED / "sequence.onnx").run(
        None, {"tokens": tokens.numpy(), "h0": h0.numpy(), "c0": c0.numpy()}
    )
    assert (
        max_diff(out[0], logits) <= TOL
        and max_diff(out[1], h_ref) <= TOL
        and max_diff(out[2], c_ref) <= TOL
    )
    text = "ROMEO:\nBut soft, what light through yonder window breaks? It is the east, and "
    text = (text * 4)[:200]
    tokens = torch.tensor([[vocab.index(ch) for ch in text]])
    zero = torch.zeros(1, 1, model.config.hidden_size)
    with torch.no_grad():
        logits, _ = model(tokens, (zero, zero))
        exact, _ = copy.deepcopy(model).double()(tokens, (zero.double(), zero.double()))
    torch_error = max_diff(logits.double(), exact)
    step = session(COMMITTED / "step.onnx")
    h, c = zero.numpy(), zero.numpy()
    ort_error = 0.0
    for t in range(tokens.shape[1]):
        step_logits, h, c = step.run(None, {"token": tokens[:, t].numpy(), "h": h, "c": c})
        ort_error = max(ort_error, max_diff(step_logits, exact[:, t]))
    assert ort_error <= max(4 * torch_error, TOL), (ort_error, torch_error)
    for file in ("step.onnx", "sequence.onnx"):
        assert (COMMITTED / file).stat().st_size < 2_000_000


# ------------------------------------------------------------------ int8 rounding, unit level


def test_round_to_int8_maps_each_rows_peak_to_127_and_keeps_zero_rows():
    from rnn_site.train.artifacts import int8_scales, round_to_int8

    layer = torch.nn.Linear(5, 3)
    with torch.no_grad():
        layer.weight.copy_(torch.tensor([[0.5, -1.0, 0.25, 0.1, 0.0], [0.0] * 5, [3, 2, 1, 0, -3]]))
        bias = layer.bias.clone()
    round_to_int8(layer)
    scales = int8_scales(layer.weight)
    q = layer.weight / scales[:, None]
    assert torch.equal(q, torch.round(q)) and q.abs().max() == 127 and q.min() >= -127
    assert scales[1] == 1 and torch.equal(layer.weight[1], torch.zeros(5))
    assert torch.equal(layer.bias, bias)  # vectors stay as they were


def test_int8_rows_finds_the_row_axis_of_a_transposed_matrix_and_refuses_unrounded_ones():
    from rnn_site.export.onnx_lstm import _int8_rows

    rng = np.random.default_rng(0)
    q = rng.integers(-127, 128, size=(6, 40)).astype(np.float32)
    q[:, 0] = 127  # each row reaches the peak
    q[2] = 0  # an all-zero row
    scale = np.float32(0.01) * np.arange(1, 7, dtype=np.float32)[:, None]
    rows = (q * scale).astype(np.float32)
    for values, shape in ((rows, (6, 1)), (rows.T.copy(), (1, 6))):
        found = _int8_rows(values)
        assert found is not None
        quantized, scales = found
        assert quantized.dtype == np.int8 and scales.shape == shape
        assert np.array_equal(quantized.astype(np.float32) * scales, values)
    assert _int8_rows(rng.standard_normal((6, 40)).astype(np.float32)) is None


def test_an_int8_export_refuses_weights_that_were_not_rounded(tmp_path):
    from rnn_site.export.char_lm import export_step

    model = random_model(0, hidden_size=64)  # never rounded: it would ship at 4x the size
    with pytest.raises(ValueError, match="not rounded to int8 rows"):
        export_step(model, tmp_path / "step.onnx", {}, weights="int8")
    with pytest.raises(ValueError, match="weights must be one of"):
        export_step(model, tmp_path / "step.onnx", {}, weights="int4")  # type: ignore[arg-type]
    assert not (tmp_path / "step.onnx").exists()


def test_an_int8_checkpoint_loads_back_exactly_at_a_quarter_of_the_size(tmp_path):
    from rnn_site.train.artifacts import round_to_int8
    from rnn_site.train.char_lm import save_char_lm

    model = random_model(3, hidden_size=64)
    with pytest.raises(ValueError, match="not rounded to int8 rows"):
        save_char_lm(tmp_path / "raw.pt", model, VOCAB, int8=True)
    round_to_int8(model)
    save_char_lm(tmp_path / "f32.pt", model, VOCAB)
    save_char_lm(tmp_path / "int8.pt", model, VOCAB, int8=True)
    loaded, vocab = load_char_lm(tmp_path / "int8.pt")
    assert vocab == VOCAB
    for key, value in model.state_dict().items():
        assert torch.equal(loaded.state_dict()[key], value), key
    assert (tmp_path / "int8.pt").stat().st_size < 0.4 * (tmp_path / "f32.pt").stat().st_size
