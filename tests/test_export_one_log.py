"""One export, one log: `rnn-site export NAME --checkpoint runs/x/NAME.pt` reads the
metrics.json beside that checkpoint for everything (scores, prose, training record, the
incomplete-run refusal). The scores once came from that log while the training record and the
refusal came from models/NAME/metrics.json, so an incomplete run exported from another folder
was not refused, and its card mixed two runs."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from char_lm_helpers import LOG, VOCAB, random_model
from folder_snapshot import snapshot

from rnn_site.cli import main
from rnn_site.train.char_lm import save_char_lm

ROOT = Path(__file__).resolve().parents[1]


def recipe_log(steps: int, test_bpc: float, **extra: object) -> dict:
    """A char-lm training log of a run of ``steps`` steps scoring ``test_bpc`` on test."""
    return {
        **LOG,
        "char_lm": {"val_bpc": test_bpc - 0.1, "test_bpc": test_bpc},
        "recipe": {"command": f"rnn-site train char-lm --max-steps {steps}", "max_steps": steps},
        "steps": steps,
        "stopped": "max_steps",
        "complete": True,
        **extra,
    }


def run_folder(root: Path, log: dict) -> Path:
    """``root``/run/char-lm.pt (random tiny weights) with ``log`` beside it → the checkpoint."""
    checkpoint = root / "run" / "char-lm.pt"
    checkpoint.parent.mkdir(parents=True)
    save_char_lm(checkpoint, random_model(hidden_size=8, embed_dim=4), VOCAB)
    checkpoint.with_name("metrics.json").write_text(json.dumps(log), "utf-8")
    return checkpoint


def models_folder(root: Path, name: str, log: dict, files: list[str]) -> Path:
    """``root``/models/``name`` holding an earlier export (sentinels) and a complete log."""
    folder = root / "models" / name
    folder.mkdir(parents=True)
    for file in [*files, "README.md"]:
        (folder / file).write_bytes(f"earlier {file}\n".encode())
    (folder / "card.json").write_bytes(b'{"earlier": "card"}\n')  # read for its performance
    (folder.parent / "manifest.json").write_bytes(b'{"earlier": "manifest"}\n')
    (folder / "metrics.json").write_text(json.dumps(log), "utf-8")
    return folder


def test_the_card_is_built_from_the_log_beside_the_checkpoint(tmp_path: Path) -> None:
    """Scores and training record both come from the run's log (300 steps, 2.05 bits), none
    from the models folder's (7 steps, 2.9 bits), which the export replaces with the run's
    log byte for byte: the folder's metrics.json is the log its card was built from."""
    checkpoint = run_folder(tmp_path, recipe_log(300, 2.05))
    folder = models_folder(tmp_path, "char-lm", recipe_log(7, 2.9), ["step.onnx", "sequence.onnx"])
    models = str(folder.parent)
    assert main(["--models-dir", models, "export", "char-lm", "--checkpoint", str(checkpoint)]) == 0
    card = json.loads((folder / "card.json").read_text("utf-8"))
    assert card["metrics"]["char-lm"] == {"val_bpc": pytest.approx(1.95), "test_bpc": 2.05}
    assert card["training"]["steps"] == 300
    assert card["training"]["command"] == "rnn-site train char-lm --max-steps 300"
    assert card["training"]["budget"] == {"max_steps": 300}
    assert (folder / "metrics.json").read_bytes() == checkpoint.with_name(
        "metrics.json"
    ).read_bytes()


def test_an_incomplete_run_from_another_folder_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The run's log says the time cap stopped it; the models folder's log is complete: the
    run's log decides, the export is refused and not one byte under models/ changes."""
    incomplete = {**recipe_log(300, 2.05), "complete": False, "stopped": "time_cap", "steps": 12}
    checkpoint = run_folder(tmp_path, incomplete)
    folder = models_folder(tmp_path, "char-lm", recipe_log(7, 2.9), ["step.onnx", "sequence.onnx"])
    before = snapshot(folder.parent)
    models = str(folder.parent)
    assert main(["--models-dir", models, "export", "char-lm", "--checkpoint", str(checkpoint)]) == 2
    assert capsys.readouterr().err == (
        f"error: {checkpoint.with_name('metrics.json')} records an incomplete run (stopped by "
        "'time_cap' at step 12); rerun the recipe without --time-cap to publish it\n"
    )
    assert snapshot(folder.parent) == before


def test_an_incomplete_speech_run_from_another_folder_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The case that was found: `rnn-site export speech --checkpoint runs/x/speech.pt` of a
    capped run, beside the published (complete) log in models/speech."""
    published = json.loads((ROOT / "models" / "speech" / "metrics.json").read_text("utf-8"))
    run = tmp_path / "run"
    run.mkdir()
    shutil.copy(ROOT / "models" / "speech" / "speech.pt", run / "speech.pt")
    capped = {**published, "complete": False, "stopped": "time_cap", "steps": 40}
    (run / "metrics.json").write_text(json.dumps(capped), "utf-8")
    folder = models_folder(tmp_path, "speech", published, ["speech.onnx"])
    before = snapshot(folder.parent)
    argv = ["--models-dir", str(folder.parent), "export", "speech"]
    assert main([*argv, "--checkpoint", str(run / "speech.pt")]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: {run / 'metrics.json'} records an incomplete run")
    assert "(stopped by 'time_cap' at step 40)" in err
    assert snapshot(folder.parent) == before
