"""`rnn_site.weight_storage`: one answer, from a training log, to how a model's files store it."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import onnx
import pytest
from shipped import ROOT

from rnn_site.sitebuild.next_data import STORAGE_WORDS, lstm_storage
from rnn_site.weight_storage import WEIGHT_STORAGES, WeightStorage, weight_storage

MODELS = ROOT / "models"
RECIPES = ROOT / "rnn_site" / "experiments" / "results" / "recipes"
_ONNX_KINDS = {onnx.TensorProto.INT8: "int8", onnx.TensorProto.FLOAT16: "float16"}


def _log(path: Path) -> dict:
    return json.loads(path.read_text("utf-8"))


def _graph_storage(path: Path) -> str:
    """How a committed graph really stores its weights, read from its initializers' types."""
    types = {t.data_type for t in onnx.load(path).graph.initializer}
    found = [name for kind, name in _ONNX_KINDS.items() if kind in types]
    return found[0] if found else "float32"


@pytest.mark.parametrize(
    ("log", "expected"),
    [
        # The earlier published 448-unit recipe rounded to float16 only.
        (RECIPES / "char-lm-earlier-448-units.json", "float16"),
        # The quick recipe does not round at all.
        (RECIPES / "char-lm-quick.json", "float32"),
        (RECIPES / "char-lm-earlier-288-units.json", "float32"),
    ],
    ids=lambda value: value.stem if isinstance(value, Path) else value,
)
def test_archived_recipe_logs_say_how_they_stored_their_weights(log: Path, expected: str) -> None:
    assert weight_storage(_log(log)) == expected


@pytest.mark.parametrize("name", ["char-lm", "char-mingru"])
def test_the_committed_logs_agree_with_their_committed_graphs(name: str) -> None:
    """What the log says is what the exporter wrote (char-lm is int8 today, char-mingru float32)."""
    assert weight_storage(_log(MODELS / name / "metrics.json")) == _graph_storage(
        MODELS / name / "step.onnx"
    )


def test_int8_wins_over_float16_and_a_log_without_hparams_is_float32() -> None:
    # The int8 case from the committed card: its recipe keeps float16 on as well.
    hparams = _log(MODELS / "char-lm" / "metrics.json")["hparams"]
    both = {**hparams, "int8": True, "float16": True}
    assert weight_storage({"hparams": both}) == "int8"
    assert weight_storage({"hparams": {**both, "int8": False}}) == "float16"
    assert weight_storage({"hparams": {**both, "int8": False, "float16": False}}) == "float32"
    assert weight_storage({}) == "float32"  # a test export of random weights has no hparams
    assert weight_storage({"hparams": None}) == "float32"


def test_chapter_5_names_the_storage_the_committed_graph_has() -> None:
    """Chapter 5's words for char-lm's storage name what its step.onnx really holds (the
    initializers' types), in the words a reader sees."""
    assert STORAGE_WORDS == {
        "int8": "int8 (one scale per row)",
        "float16": "float16",
        "float32": "float32",
    }
    assert set(WEIGHT_STORAGES) == {"float32", "float16", "int8"}
    graph = _graph_storage(MODELS / "char-lm" / "step.onnx")
    assert lstm_storage(MODELS) == STORAGE_WORDS[graph]
    assert lstm_storage(MODELS).split(" ")[0] == graph


def test_the_exporter_and_the_card_use_the_same_names() -> None:
    from rnn_site.export import onnx_lstm
    from rnn_site.export.char_lm import STORAGE_PROSE

    assert onnx_lstm.WEIGHT_STORAGES is WEIGHT_STORAGES
    assert set(STORAGE_PROSE) == set(WEIGHT_STORAGES)


def test_reading_the_storage_does_not_import_torch() -> None:
    code = (
        "import sys\n"
        "from rnn_site.weight_storage import weight_storage\n"
        "assert weight_storage({'hparams': {'int8': True}}) == 'int8'\n"
        "assert 'torch' not in sys.modules and 'onnx' not in sys.modules, sorted(sys.modules)\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)


def test_every_importer_takes_the_storage_names_from_their_one_home() -> None:
    """Every ``from … import`` of WeightStorage, WEIGHT_STORAGES or weight_storage in the
    package names rnn_site.weight_storage (translator.py took WeightStorage from onnx_lstm),
    and onnx_lstm's re-export, which the CHANGELOG promises, is still the same object."""
    from rnn_site.export import onnx_lstm

    names = {"WeightStorage", "WEIGHT_STORAGES", "weight_storage"}
    found = set()
    for path in sorted((ROOT / "rnn_site").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if isinstance(node, ast.ImportFrom) and names & {a.name for a in node.names}:
                found.add((path.relative_to(ROOT).as_posix(), node.module))
    importers = ("export/char_lm", "export/onnx_lstm", "export/translator", "sitebuild/next_data")
    assert found == {(f"rnn_site/{name}.py", "rnn_site.weight_storage") for name in importers}
    assert onnx_lstm.WeightStorage is WeightStorage
