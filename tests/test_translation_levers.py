"""The translator's levers experiment and the page tables drawn from it and from the published
run: collecting finished runs, the change against the run each lever modifies, the curve."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rnn_site.data.ding import phrase_pairs
from rnn_site.experiments import translator_levers
from rnn_site.sitebuild import translation_data
from rnn_site.sitebuild.page_data import PageDataError


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
