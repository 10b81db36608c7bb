"""The published-and-quick recipe table is read from the two runs' training logs."""

from __future__ import annotations

import importlib
import json
from pathlib import Path

import pytest

import rnn_site.train.speech as speech_trainer
from rnn_site.applications import APPLICATIONS, Application
from rnn_site.sitebuild.page_data import PageDataError, render_data
from rnn_site.sitebuild.recipes import quick_log_path, quick_preset, recipes_table


def _log(command: str | None, steps: int, bpc: float) -> dict[str, object]:
    return {
        "recipe": {"command": command} if command else {},
        "steps": steps,
        "parameters": 430_000,
        "wall_time_s": 1800.0,
        "machine": {"cpu": "Test CPU"},
        "train_config": {"threads": 1},
        "char_lm": {"test_bpc": bpc},
    }


def test_the_table_shows_the_published_run_then_the_quick_one(tmp_path: Path) -> None:
    (tmp_path / "m").mkdir()
    (tmp_path / "m" / "metrics.json").write_text(json.dumps(_log("rnn-site train m", 40_000, 1.98)))
    score = lambda log: f"{log['char_lm']['test_bpc']:.3f}"  # noqa: E731
    only = recipes_table("m", score, "bpc", tmp_path, tmp_path / "quick")
    assert only.splitlines()[2] == (
        "| published | `rnn-site train m` | 40,000 | 430,000 "
        "| 30 min (Test CPU, 1 thread) | 1.980 |"
    )
    assert len(only.splitlines()) == 3
    quick = quick_log_path("m", tmp_path / "quick")
    quick.parent.mkdir()
    quick.write_text(json.dumps(_log(None, 6000, 2.25)))
    both = recipes_table("m", score, "bpc", tmp_path, tmp_path / "quick").splitlines()
    assert both[3].startswith("| quick | `not recorded (trained before step budgets)` | 6,000 |")
    assert both[3].endswith("| 2.250 |")


def test_a_replaced_recipe_keeps_its_row_after_the_quick_one(tmp_path: Path) -> None:
    (tmp_path / "m").mkdir()
    (tmp_path / "m" / "metrics.json").write_text(json.dumps(_log("rnn-site train m", 20_000, 1.9)))
    kept = tmp_path / "quick"
    kept.mkdir()
    quick_log_path("m", kept).write_text(json.dumps(_log("rnn-site train m --quick", 6000, 2.2)))
    (kept / "m-earlier-288-units.json").write_text(json.dumps(_log("old", 40_000, 2.119)))
    score = lambda log: f"{log['char_lm']['test_bpc']:.3f}"  # noqa: E731
    rows = recipes_table("m", score, "bpc", tmp_path, kept).splitlines()
    assert [row.split(" | ")[0] for row in rows[2:]] == [
        "| published",
        "| quick",
        "| earlier, 288 units",
    ]
    assert rows[4].endswith("| 40,000 | 430,000 | 30 min (Test CPU, 1 thread) | 2.119 |")


def test_a_replaced_recipes_own_label_wins_over_its_file_name(tmp_path: Path) -> None:
    """A file name cannot say "en-gb" ("-" reads as a space): the log's ``label`` says it, and
    a page names the row through the same function."""
    from rnn_site.sitebuild.recipes import earlier_label_value, earlier_logs

    (tmp_path / "m-earlier-en-gb-split.json").write_text(
        json.dumps({**_log("old", 1, 2.0), "label": "en-gb split"})
    )
    (tmp_path / "m-earlier-288-units.json").write_text(json.dumps(_log("old", 1, 2.1)))
    assert [label for label, _ in earlier_logs("m", tmp_path)] == ["288 units", "en-gb split"]
    assert earlier_label_value(tmp_path, "m.en-gb-split", tmp_path) == "en-gb split"
    assert earlier_label_value(tmp_path, "m.288-units", tmp_path) == "288 units"
    with pytest.raises(PageDataError, match=r"no m-earlier-40-epochs\.json; kept: m-earlier-288"):
        earlier_label_value(tmp_path, "m.40-epochs", tmp_path)


def test_the_speech_pages_earlier_row_is_labelled_en_gb_split() -> None:
    table = render_data("<!-- data:speech:table.recipes -->")
    assert "| earlier, en-gb split |" in table and "en gb split" not in table
    label = render_data("<!-- data:recipes:earlier-label:speech.en-gb-split -->")
    assert label == "en-gb split"
    page = (Path(__file__).resolve().parents[1] / "docs/applications/speech.md").read_text()
    assert '("earlier, <!-- data:recipes:earlier-label:speech.en-gb-split -->"' in page


def test_the_translation_pages_earlier_row_is_the_recipe_as_first_published() -> None:
    """The translator's recipe as first trained and published, on an Intel Xeon, keeps a row
    of its own once the recipe is republished from another machine (until then it repeats the
    published row): the published command and budget, labelled by the CPU."""
    table = render_data("<!-- data:translator:table.recipes -->")
    assert "| earlier, Intel Xeon | `rnn-site train translator --no-progress` | 16,000 |" in table
    assert render_data("<!-- data:recipes:earlier-label:translator.xeon -->") == "Intel Xeon"


@pytest.mark.parametrize("app", APPLICATIONS, ids=lambda app: app.name)
def test_pages_read_the_quick_preset_the_trainer_uses(app: Application) -> None:
    """The build reads QUICK from the source (no torch); it must be what `--quick` imports."""
    trainer = importlib.import_module(app.trainer.partition(":")[0])
    assert quick_preset(app.name) == dict(trainer.QUICK)


def test_a_quick_placeholder_names_a_model_and_a_key_of_its_preset() -> None:
    assert render_data("runs <!-- data:recipes:quick:speech.max_epochs --> epochs") == (
        f"runs {speech_trainer.QUICK['max_epochs']} epochs"
    )
    with pytest.raises(PageDataError, match="speech's preset sets max_epochs"):
        render_data("<!-- data:recipes:quick:speech.max_steps -->")
    with pytest.raises(PageDataError, match="unknown model 'spech'"):
        render_data("<!-- data:recipes:quick:spech.max_epochs -->")


def test_the_recipes_table_shows_a_command_without_the_folder_it_wrote_to() -> None:
    from rnn_site.sitebuild.recipes import shown_command

    assert (
        shown_command("rnn-site train speech --out-dir /work/runs/full/x --no-progress --seed 0")
        == "rnn-site train speech --no-progress --seed 0"
    )
    assert shown_command("rnn-site train char-lm --out-dir=/tmp/a") == "rnn-site train char-lm"
    assert shown_command("rnn-site train translator") == "rnn-site train translator"


def test_quick_minutes_reads_the_kept_quick_log(tmp_path: Path) -> None:
    """The pages' "took N minutes on an X" for ``--quick`` is the kept log's, and every kept
    quick run of the three models that promise one of at most 10 minutes kept it."""
    from rnn_site.sitebuild.recipes import QUICK_DIR, quick_minutes

    log = {"wall_time_s": 187.5, "machine": {"cpu": "AMD EPYC"}}
    quick_log_path("tiny", tmp_path).write_text(json.dumps(log), "utf-8")
    assert quick_minutes(tmp_path, "tiny", tmp_path) == "3.1 minutes on an AMD EPYC"
    xeon = {"wall_time_s": 389.9, "machine": {"cpu": "Intel(R) Xeon(R) Processor"}}
    quick_log_path("xeon", tmp_path).write_text(json.dumps(xeon), "utf-8")
    assert quick_minutes(tmp_path, "xeon", tmp_path) == "6.5 minutes on an Intel Xeon"
    with pytest.raises(PageDataError, match="rnn-site train other --quick"):
        quick_minutes(tmp_path, "other", tmp_path)
    for name in ("char-lm", "char-mingru", "translator", "speech", "ts-forecaster"):
        kept = json.loads(quick_log_path(name, QUICK_DIR).read_text("utf-8"))
        assert kept["complete"] and kept["wall_time_s"] < 600, name


def test_a_runs_minutes_are_its_whole_wall_time_as_every_page_prints_them(tmp_path: Path) -> None:
    """One field (``wall_time_s``, the whole command) and one rounding for "took": one decimal
    under ten minutes, whole minutes from ten; the recipe table names the CPU as `cpu_name`
    does. The char-lm ``--quick`` run (187.6 s of which 180.9 s training) reads 3.1 minutes
    in the recipe table, in the text-generation page's sentence and in next.md's table."""
    from rnn_site.sitebuild.recipes import QUICK_DIR, run_minutes

    assert run_minutes({"wall_time_s": 187.563, "train_wall_time_s": 180.9}) == "3.1"
    assert run_minutes({"wall_time_s": 594.0}) == "9.9"
    assert run_minutes({"wall_time_s": 600.0}) == "10"
    assert run_minutes({"wall_time_s": 4287.96}) == "71"
    assert run_minutes({"wall_time_s": 60_000.0}) == "1,000"
    (tmp_path / "m").mkdir()
    xeon = {**_log("rnn-site train m", 100, 2.0), "machine": {"cpu": "Intel(R) Xeon(R) Processor"}}
    (tmp_path / "m" / "metrics.json").write_text(json.dumps({**xeon, "wall_time_s": 187.563}))
    score = lambda log: f"{log['char_lm']['test_bpc']:.3f}"  # noqa: E731
    row = recipes_table("m", score, "bpc", tmp_path, tmp_path / "quick").splitlines()[2]
    assert "| 3.1 min (Intel Xeon, 1 thread) |" in row

    kept = json.loads(quick_log_path("char-lm", QUICK_DIR).read_text("utf-8"))
    assert (kept["wall_time_s"], kept["train_wall_time_s"]) == (187.563, 180.9)
    said = render_data("<!-- data:recipes:quick-minutes:char-lm -->")
    assert said == "3.1 minutes on an AMD EPYC"
    recipes = render_data("<!-- data:char-lm:table.recipes -->")
    assert "| 6,000 | 351,877 | 3.1 min (AMD EPYC, 1 thread) |" in recipes
    full_size = render_data("<!-- data:next:table.full-size -->")
    assert "| 6,000 steps in 3.1 min (1 thread, AMD EPYC) |" in full_size
