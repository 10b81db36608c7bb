"""models/manifest.json: every file listed with its real size and sha256, and problems found."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from char_lm_helpers import export_random

from rnn_site.export.manifest import build_manifest, verify, write_manifest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def models(tmp_path) -> Path:
    export_random(tmp_path / "models", seed=3, hidden_size=32)
    return tmp_path / "models"


def test_manifest_lists_every_file_with_size_and_hash(models):
    manifest = json.loads((models / "manifest.json").read_text())
    assert manifest["schema"] == 1
    (entry,) = manifest["models"]
    assert entry["name"] == "char-lm" and entry["task"] == "text-generation"
    assert entry["card"] == "char-lm/card.json"
    paths = [f["path"] for f in entry["files"]]
    assert paths == sorted(
        f"char-lm/{n}"
        for n in (
            "README.md",
            "card.json",
            "char-lm.pt",
            "metrics.json",
            "sequence.onnx",
            "step.onnx",
        )
    )
    for f in entry["files"]:
        data = (models / f["path"]).read_bytes()
        assert f["bytes"] == len(data) and f["sha256"] == hashlib.sha256(data).hexdigest()
    assert verify(models) == []


def test_verify_reports_changed_missing_and_unlisted_files(models):
    (models / "char-lm" / "README.md").write_text("edited by hand\n")
    (models / "char-lm" / "metrics.json").unlink()
    (models / "char-lm" / "notes.txt").write_text("stray")
    (models / "char-lm" / ".hidden").write_text("ignored")
    problems = verify(models)
    assert any(p.startswith("char-lm/README.md: sha256") for p in problems)
    assert any(p.startswith("char-lm/README.md:") and "bytes" in p for p in problems)
    assert "char-lm/metrics.json: listed but missing" in problems
    assert "char-lm/notes.txt: on disk but not in the manifest" in problems
    assert not any(".hidden" in p for p in problems)
    write_manifest(models)
    assert verify(models) == []


def test_verify_without_manifest_or_with_another_schema(models):
    manifest = json.loads((models / "manifest.json").read_text())
    manifest["schema"] = 2
    (models / "manifest.json").write_text(json.dumps(manifest))
    assert verify(models) == ["schema is 2, expected 1"]
    (models / "manifest.json").unlink()
    assert verify(models) == [f"{models / 'manifest.json'} is missing"]


def test_manifest_is_written_atomically_and_is_stable(models):
    before = (models / "manifest.json").read_text()
    write_manifest(models)
    assert (models / "manifest.json").read_text() == before
    assert build_manifest(models) == json.loads(before)
    assert not list(models.glob(".*.tmp"))


@pytest.mark.skipif(
    not (ROOT / "models" / "manifest.json").exists(), reason="no models exported yet"
)
def test_committed_manifest_matches_the_committed_files():
    assert verify(ROOT / "models") == []
