"""The translator's levers experiment and the page tables drawn from it and from the published
run: collecting finished runs, the change against the run each lever modifies, the curve."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rnn_site.data.ding import phrase_pairs
from rnn_site.experiments import translator_levers
from rnn_site.sitebuild import translation_data
from rnn_site.sitebuild.page_data import PageDataError, render_data

ROOT = Path(__file__).resolve().parents[1]


def write_run(folder: Path, bleu: float, chrf: float, stopped: str = "finished") -> None:
    folder.mkdir(parents=True)
    log = {
        "hparams": {"batch": 128},
        "steps": 400,
        "parameters": 1_000,
        "data": {"phrase_pairs": 7},
        "history": [{"step": 400, "val_bleu": bleu, "val_chrf": chrf, "val_loss": 4.0}],
        "train_wall_time_s": 60.4,
        "stopped": stopped,
    }
    (folder / "metrics.json").write_text(json.dumps(log), "utf-8")


def test_levers_are_collected_and_compared_with_the_run_they_change(tmp_path, monkeypatch):
    write_run(tmp_path / "L0-sentences", 1.0, 10.0)
    write_run(tmp_path / "L1-phrases", 1.5, 12.5)
    write_run(tmp_path / "L2-larger", 9.9, 99.0, stopped="time_cap")  # not finished: left out
    results = translator_levers.collect([tmp_path], "test machine")
    assert [r["name"] for r in results["runs"]] == ["L0-sentences", "L1-phrases"]
    assert results["runs"][1]["compared_to"] == "L0-sentences"
    path = tmp_path / "levers.json"
    path.write_text(json.dumps(results), "utf-8")
    monkeypatch.setattr(translation_data, "LEVERS", path)
    table = translation_data.levers_table(tmp_path).splitlines()
    assert table[2].startswith("| sentences only") and "| – |" in table[2]
    assert "| 400 | 1.5 | +0.5 | 12.5 | +2.5 | 1,000 |" in table[3]


def test_the_curve_needs_validation_bleu_in_the_log(tmp_path):
    (tmp_path / "translator").mkdir()
    history = [
        {"step": 400, "train_loss": 4.75, "val_loss": 4.5, "val_bleu": 2.25, "val_chrf": 20.0}
    ]
    (tmp_path / "translator" / "metrics.json").write_text(json.dumps({"history": history}))
    row = translation_data.curve_table(tmp_path).splitlines()[2]
    assert row == "| 400 | 4.750 | 4.500 | 2.25 | 20.00 |"
    history.append({"step": 800, "val_loss": 4.0})
    (tmp_path / "translator" / "metrics.json").write_text(json.dumps({"history": history}))
    with pytest.raises(PageDataError, match="no validation BLEU"):
        translation_data.curve_table(tmp_path)


def test_phrase_pairs_keep_case_and_never_a_held_out_sentence():
    lines = [
        "Erkältung {f} | Erkältungen {pl} | eine schlimme Erkältung haben :: common cold | "
        "common colds | to have a bad cold",
        "Haus {n} | Das ist mein Haus. :: house | That is my house.",
        "Hausboot {n} | mein Haus ist groß :: houseboat | my house is big",
    ]
    pairs = phrase_pairs(lines, exclude=["My house is big."])
    assert ("common cold", "Erkältung") in pairs
    assert ("have a bad cold", "eine schlimme Erkältung haben") in pairs  # "to " dropped
    assert ("house", "Haus") in pairs
    assert all("That is my house." not in en for en, _ in pairs)  # a sentence pair: not here
    assert ("my house is big", "mein Haus ist groß") not in pairs  # a held-out sentence


def _size_log(units: int, bleu: list[float], test_bleu: float, **extra: object) -> dict:
    """A training log of the published recipe with ``units`` decoder units: one evaluation
    per 1,000 steps with validation BLEU ``bleu``."""
    history = [
        {"step": 1000 * (i + 1), "val_bleu": b, "val_chrf": 30.0 + b} for i, b in enumerate(bleu)
    ]
    best = max(history, key=lambda e: e["val_bleu"])
    return {
        "hparams": {"decoder_hidden": units, "dropout": 0.3, "max_steps": 1000 * len(bleu)},
        "model_config": {"encoder_hidden": 128, "decoder_hidden": units},
        "parameters": 1000 * units,
        "seed": 0,
        "steps": 1000 * len(bleu),
        "complete": True,
        "history": history,
        "best": best,
        "beam": 3,
        "results": {
            "beam-3": {"bleu": test_bleu, "chrf": 31.0},
            "greedy": {"bleu": test_bleu - 1, "chrf": 30.0},
        },
        **extra,
    }


def _size_files(tmp_path: Path, published: dict, *kept: tuple[str, dict]) -> Path:
    (tmp_path / "translator").mkdir()
    (tmp_path / "translator" / "metrics.json").write_text(json.dumps(published), "utf-8")
    (tmp_path / "recipes").mkdir()
    for name, log in kept:
        (tmp_path / "recipes" / f"translator-candidate-{name}.json").write_text(json.dumps(log))
    return tmp_path / "recipes"


def test_the_size_table_and_sentences_read_the_kept_logs():
    """From the committed files: the published column is models/translator/metrics.json, every
    kept decoder-size run has a column, and the sentences name the smallest one's figures."""
    published = json.loads((ROOT / "models" / "translator" / "metrics.json").read_text())
    kept = sorted(translation_data.QUICK_DIR.glob(translation_data.SIZE_RUNS))
    assert kept, "a decoder-size run is kept beside the recipes"
    small = min(
        (json.loads(p.read_text()) for p in kept), key=lambda g: g["model_config"]["decoder_hidden"]
    )
    table = render_data("<!-- data:translator:table.size -->").splitlines()
    assert len(table[0].split(" | ")) == 2 + len(kept)
    assert table[3] == (
        f"| parameters | {published['parameters']:,} | "
        + " | ".join(f"{json.loads(p.read_text())['parameters']:,}" for p in kept)
        + " |"
    )
    step = published["history"][1]
    assert step["step"] == translation_data.SIZE_EVERY  # evaluations every 1,000 steps
    assert table[4].startswith(
        f"| validation BLEU / chrF, step {step['step']:,} | "
        f"{step['val_bleu']:.2f} / {step['val_chrf']:.2f} |"
    )
    best = published["best"]
    assert f"| {best['val_bleu']:.2f} ({best['step']:,}) |" in table[-3]
    beam = published["results"][f"beam-{published['beam']}"]
    assert table[-2].startswith(
        f"| test BLEU / chrF, beam {published['beam']} | {beam['bleu']:.2f} / {beam['chrf']:.2f} |"
    )
    gaps = [
        s["val_bleu"] - p["val_bleu"]
        for s, p in zip(small["history"], published["history"], strict=True)
    ]
    said = render_data("<!-- data:translator:size:gap -->")
    assert f"{abs(min(gaps)):.2f} {'below' if min(gaps) < 0 else 'above'}" in said
    assert render_data("<!-- data:translator:size:evaluations -->") == str(len(gaps))
    low, high, start = translation_data.wobble(published)
    said = render_data("<!-- data:translator:size:claim -->")
    assert (
        f"from step {start:,} on, its validation BLEU moved between {low:.2f} and {high:.2f}"
        in said
    )
    assert abs(small["best"]["val_bleu"] - best["val_bleu"]) < high - low  # what the page says


def test_the_size_sentences_refuse_a_gap_beyond_the_published_runs_wobble(tmp_path):
    """The page reads the size table as "no effect"; a smaller decoder whose best validation
    BLEU (or test BLEU) falls further behind than the published run's own second-half range
    makes the build refuse that reading, and a run that is not the recipe but for its size is
    refused outright."""
    curve = [4.0, 6.0, 7.0, 8.0, 7.6, 8.2, 7.9, 8.0]  # second half: 7.6 to 8.2, range 0.6
    close = _size_log(96, [b - 0.3 for b in curve], 8.7)
    kept = _size_files(tmp_path, _size_log(192, curve, 8.9), ("decoder-96", close))
    said = translation_data.size_value(tmp_path, "claim", kept)
    assert said.startswith("The smaller decoder came out behind on both, but")
    assert "from step 4,000 on, its validation BLEU moved between 7.60 and 8.20 " in said
    assert translation_data.size_value(tmp_path, "best", kept).startswith("7.90 at step 6,000")
    assert translation_data.size_value(tmp_path, "gap", kept) == (
        "from 0.30 below the published model's to 0.30 below"
    )
    far = _size_log(96, [b - 0.7 for b in curve], 8.7)  # best 0.7 behind: beyond 0.6
    (kept / "translator-candidate-decoder-96.json").write_text(json.dumps(far))
    with pytest.raises(PageDataError, match=r"best validation BLEU .* differ by 0\.70"):
        translation_data.size_value(tmp_path, "claim", kept)
    test_behind = _size_log(96, [b - 0.3 for b in curve], 8.2)  # test 0.7 behind
    (kept / "translator-candidate-decoder-96.json").write_text(json.dumps(test_behind))
    with pytest.raises(PageDataError, match="the test BLEU"):
        translation_data.size_value(tmp_path, "claim", kept)
    other_beam = _size_log(96, curve, 8.9, beam=5)
    other_beam["results"]["beam-5"] = other_beam["results"]["beam-3"]
    (kept / "translator-candidate-decoder-96.json").write_text(json.dumps(other_beam))
    with pytest.raises(PageDataError, match="beam 5, the published run with beam 3"):
        translation_data.size_value(tmp_path, "claim", kept)
    other = _size_log(96, curve, 8.9)
    other["hparams"]["dropout"] = 0.4
    (kept / "translator-candidate-decoder-96.json").write_text(json.dumps(other))
    with pytest.raises(PageDataError, match="differs in dropout"):
        translation_data.size_table(tmp_path, kept)
    short = _size_log(96, curve[:4], 8.9)
    short["hparams"]["max_steps"] = 8000
    (kept / "translator-candidate-decoder-96.json").write_text(json.dumps(short))
    with pytest.raises(PageDataError, match="4,000 steps"):
        translation_data.size_table(tmp_path, kept)
