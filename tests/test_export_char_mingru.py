"""The exported char-mingru step graph: no recurrent node, parity with PyTorch, runtime runs it."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import onnx
import pytest
import torch

from rnn_site.export.char_mingru import export_char_mingru_model, refresh_card
from rnn_site.models.min_rnn import CharMinRNN, CharMinRNNConfig
from rnn_site.runtime import CharLanguageModel, InvalidArgumentError

ROOT = Path(__file__).resolve().parents[1]
VOCAB = "".join(chr(c) for c in range(32, 32 + 40)) + "\n"
TOL = 1e-4

torch.set_num_threads(1)


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    """A random 2-layer char-mingru exported into a fresh models folder → (model, model_dir)."""
    torch.manual_seed(0)
    model = CharMinRNN(CharMinRNNConfig(len(VOCAB), 24, 2, "mingru", "doubling")).eval()
    model_dir = tmp_path_factory.mktemp("models") / "char-mingru"
    export_char_mingru_model(model, VOCAB, model_dir, commit="test")
    return model, model_dir


def test_step_graph_has_only_matmuls_and_elementwise_nodes(exported) -> None:
    _, model_dir = exported
    graph = onnx.load(model_dir / "step.onnx").graph
    ops = {node.op_type for node in graph.node}
    assert not ops & {"LSTM", "GRU", "RNN", "Scan", "Loop"}, ops
    assert {"Gemm", "Sigmoid", "Mul"} <= ops or {"MatMul", "Sigmoid", "Mul"} <= ops
    assert [i.name for i in graph.input] == ["token", "h"]
    assert (model_dir / "step.onnx").stat().st_size < 2_000_000


def test_onnxruntime_matches_torch_step_by_step(exported) -> None:
    model, model_dir = exported
    runtime = CharLanguageModel.load(model_dir)
    assert runtime.state_names == ["h"]
    gen = torch.Generator().manual_seed(1)
    tokens = torch.randint(0, len(VOCAB), (3, 40), generator=gen)
    state = torch.rand(2, 3, 24, generator=gen)  # a non-zero start exercises the state input
    h = state.numpy()
    with torch.no_grad():
        parallel, parallel_state = model(tokens, state)  # training's parallel scan
        for t in range(tokens.shape[1]):
            logits, state = model.step(tokens[:, t], state)
            ort_logits, h = runtime.step(tokens[:, t].numpy(), h)
            np.testing.assert_allclose(ort_logits, logits.numpy(), atol=TOL, rtol=TOL)
            np.testing.assert_allclose(ort_logits, parallel[:, t].numpy(), atol=TOL, rtol=TOL)
    np.testing.assert_allclose(h, parallel_state.numpy(), atol=TOL, rtol=TOL)


def test_card_greedy_example_is_what_the_runtime_generates(exported) -> None:
    _, model_dir = exported
    card = json.loads((model_dir / "card.json").read_text("utf-8"))
    example = card["example_greedy"]
    runtime = CharLanguageModel.load(model_dir)
    assert runtime.generate(example["prompt"], example["n"], temperature=0) == example["output"]
    assert card["io"]["step"]["inputs"]["h"]["shape"] == [2, "batch", 24]
    with pytest.raises(InvalidArgumentError, match="no sequence graph"):
        runtime.score("ABBA, DEAF CAB")


def test_published_model_matches_its_checkpoint() -> None:
    """The committed models/char-mingru: step.onnx agrees with char-mingru.pt."""
    model_dir = ROOT / "models" / "char-mingru"
    if not (model_dir / "char-mingru.pt").is_file():
        pytest.skip("models/char-mingru is not trained yet (rnn-site train char-mingru)")
    from rnn_site.train.char_mingru import load_char_mingru

    model, vocab = load_char_mingru(model_dir / "char-mingru.pt")
    runtime = CharLanguageModel.load("char-mingru")
    assert runtime.vocab == vocab
    ids = torch.tensor([[vocab.index(ch) for ch in "ROMEO:\nWhat light"]])
    (h,) = runtime.initial_state()
    with torch.no_grad():
        logits, _ = model(ids)
    for t in range(ids.shape[1]):
        ort_logits, h = runtime.step(ids[:, t].numpy(), h)
    np.testing.assert_allclose(ort_logits[0], logits[0, -1].numpy(), atol=TOL, rtol=TOL)


def test_usage_example_file_runs_the_published_model(monkeypatch, capsys) -> None:
    """The card's usage example is rnn_site/examples/use_char_mingru.py, and it runs."""
    import runpy

    monkeypatch.delenv("RNN_SITE_MODELS", raising=False)
    path = ROOT / "rnn_site" / "examples" / "use_char_mingru.py"
    runpy.run_path(str(path), run_name="__main__")
    printed = capsys.readouterr().out.rstrip("\n")
    model = CharLanguageModel.load("char-mingru")
    assert printed == model.generate("ROMEO:", n=200, temperature=0.8, seed=0)
    card = json.loads((ROOT / "models" / "char-mingru" / "card.json").read_text("utf-8"))
    assert card["usage"]["python"] in path.read_text("utf-8")


def _char_lm_card(models_dir: Path, val_bpc: float, test_bpc: float) -> None:
    """A char-lm card beside char-mingru holding only what the minGRU's card reads from it."""
    folder = models_dir / "char-lm"
    folder.mkdir(exist_ok=True)
    scores = {"char-lm": {"val_bpc": val_bpc, "test_bpc": test_bpc}}
    card = {"name": "char-lm", "task": "text-generation", "metrics": scores}
    (folder / "card.json").write_text(json.dumps(card), encoding="utf-8")


def test_refresh_card_takes_the_lstm_baseline_from_char_lm_as_it_is_now(tmp_path) -> None:
    """char-lm published again after char-mingru: `refresh_card` puts char-lm's new scores in
    the minGRU's card and README, and leaves step.onnx, the checkpoint and the log as they were."""
    torch.manual_seed(0)
    model = CharMinRNN(CharMinRNNConfig(len(VOCAB), 24, 2, "mingru", "doubling")).eval()
    log = json.loads((ROOT / "models" / "char-mingru" / "metrics.json").read_text("utf-8"))
    model_dir = tmp_path / "char-mingru"
    _char_lm_card(tmp_path, 1.99, 2.12)
    export_char_mingru_model(model, VOCAB, model_dir, log=log, commit="exported-at")
    old_card = json.loads((model_dir / "card.json").read_text("utf-8"))
    assert old_card["baselines"]["char-lm (LSTM)"] == {"val_bpc": 1.99, "test_bpc": 2.12}
    graph = (model_dir / "step.onnx").read_bytes()
    metrics = (model_dir / "metrics.json").read_bytes()

    _char_lm_card(tmp_path, 1.87, 2.01)
    refresh_card(model_dir)

    card = json.loads((model_dir / "card.json").read_text("utf-8"))
    assert card["baselines"]["char-lm (LSTM)"] == {"val_bpc": 1.87, "test_bpc": 2.01}
    assert card["baselines"]["char-7gram"] == old_card["baselines"]["char-7gram"]
    assert card["metrics"] == old_card["metrics"]
    assert card["source_commit"] == "exported-at"  # the commit its graph was exported at
    assert card["example_greedy"] == old_card["example_greedy"]
    assert card["parameters"] == old_card["parameters"]
    readme = (model_dir / "README.md").read_text("utf-8")
    assert "| char-lm (LSTM) (baseline) | 2.010 | 1.870 |" in readme
    assert (model_dir / "step.onnx").read_bytes() == graph
    assert (model_dir / "metrics.json").read_bytes() == metrics
    manifest = json.loads((tmp_path / "manifest.json").read_text("utf-8"))
    (entry,) = [m for m in manifest["models"] if m["name"] == "char-mingru"]
    listed = {f["path"]: f["bytes"] for f in entry["files"]}
    assert listed["char-mingru/card.json"] == (model_dir / "card.json").stat().st_size


def test_published_card_shows_char_lm_as_published() -> None:
    """The LSTM row of the published minGRU card is char-lm's card as published now (a stale
    row once showed an earlier char-lm: run `refresh_card` after publishing char-lm)."""
    models = ROOT / "models"
    mingru = json.loads((models / "char-mingru" / "card.json").read_text("utf-8"))
    char_lm = json.loads((models / "char-lm" / "card.json").read_text("utf-8"))
    assert mingru["baselines"]["char-lm (LSTM)"] == char_lm["metrics"]["char-lm"]
