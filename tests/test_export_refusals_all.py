"""Every exporter refuses before its first write: the refusals live once, in
`rnn_site.export.steps.start_export`. The exporters once wrote their graphs first and let
`publish_card` refuse an incomplete run afterwards, so a refused `rnn-site export` left new
graphs beside the old card and manifest."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from export_cases import CHECKPOINTS, GRAPHS
from folder_snapshot import snapshot

from rnn_site.cli import main

#: The log of a run the safety cap stopped: every export of it is refused.
INCOMPLETE = {"complete": False, "stopped": "time_cap", "steps": 12}


def filled_folder(models: Path, name: str, files: list[str], log: dict) -> Path:
    """``models``/``name`` holding an earlier export (a sentinel for each of ``files``, card,
    README) and the training log ``log``; ``models``/manifest.json a sentinel too."""
    folder = models / name
    folder.mkdir(parents=True)
    for file in [*files, "card.json", "README.md"]:
        (folder / file).write_bytes(f"earlier {file}\n".encode())
    (models / "manifest.json").write_bytes(b'{"earlier": "manifest"}\n')
    (folder / "metrics.json").write_text(json.dumps(log), "utf-8")
    return folder


@pytest.mark.parametrize("name", CHECKPOINTS)
def test_cli_export_of_an_incomplete_run_leaves_the_models_folder_byte_identical(
    name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`rnn-site export NAME` of a run the time cap stopped: exit 2 with the reason, and not
    one byte of the models folder changed (graphs, card, README, manifest)."""
    models = tmp_path / "models"
    folder = filled_folder(models, name, GRAPHS[name], INCOMPLETE)
    CHECKPOINTS[name](folder / f"{name}.pt")
    before = snapshot(models)
    assert main(["--models-dir", str(models), "export", name]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ")
    assert "incomplete run (stopped by 'time_cap' at step 12)" in err
    assert snapshot(models) == before
