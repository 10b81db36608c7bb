"""The length exponent experiment: on a tiny decoder, the replayed ranking against the search
and what alpha does to a short and a long sentence; the decision rule fixed before scoring; the
results file against the card (or, once the recipe is republished, against the log of the
weights it was measured on), and the page text drawn from it."""

from __future__ import annotations

import ast
import hashlib
import inspect
import json
import math
from pathlib import Path

import pytest
from shipped import MODELS
from test_translation_model import table_step

from rnn_site.decoding.beam import beam_candidates, beam_search
from rnn_site.experiments.translator_beam import (
    ALPHAS,
    RESULTS,
    TODAY,
    WIDTHS,
    decide,
    normalised,
    pick,
)
from rnn_site.sitebuild import translation_data
from rnn_site.sitebuild.page_data import PageDataError

# ids: 0 <s>, 1 </s>, 2 "a", 3 "b". "b </s>" has the larger sum of log-probabilities
# (0.5 * 0.6 = 0.3), "a a </s>" the better average (0.5 * 0.7 * 0.7 = 0.245 over 3 words).
TABLE = {
    (): [0.0, 0.0, 0.5, 0.5],
    (2,): [0.0, 0.3, 0.7, 0.0],
    (3,): [0.0, 0.6, 0.2, 0.2],
    (2, 2): [0.0, 0.7, 0.15, 0.15],
}

step, select = table_step(TABLE)
ROOT = Path(__file__).resolve().parents[1]


def test_alpha_one_is_the_published_search_and_alpha_zero_prefers_the_short_sentence():
    found = beam_candidates(step, select, [()], bos=0, eos=1, beam=2, max_len=5)
    assert [h.ids for h in found] == [[3], [2, 2]]
    assert normalised(found[0], 0.0) == pytest.approx(math.log(0.3))
    assert normalised(found[1], 1.0) == pytest.approx(math.log(0.245) / 3)
    assert pick(found, 0.0).ids == [3]
    assert pick(found, 1.0).ids == [2, 2] == pick(found, 1.5).ids
    for width in (1, 2, 3):
        searched = beam_search(step, select, [()], bos=0, eos=1, beam=width, max_len=5)
        again = beam_candidates(step, select, [()], bos=0, eos=1, beam=width, max_len=5)
        picked = pick(again, 1.0)
        assert (picked.ids, picked.score) == (searched.ids, searched.score)


def rows(*found: tuple[float, int, float, float]) -> list[dict[str, float]]:
    return [{"alpha": a, "width": w, "bleu": b, "chrf": c} for a, w, b, c in found]


def test_decision_rule_adopts_only_a_better_bleu_that_keeps_chrf():
    today = (*TODAY, 9.0, 32.0)
    better = decide(rows(today, (0.5, 3, 9.5, 32.0), (1.5, 8, 9.2, 33.0)))
    assert better["adopt"] and better["chosen"] == {"alpha": 0.5, "width": 3}
    worse_chrf = decide(rows(today, (0.5, 3, 9.5, 31.9), (1.5, 8, 9.2, 33.0)))
    assert not worse_chrf["adopt"] and worse_chrf["chosen"] == {"alpha": 1.0, "width": 5}
    assert worse_chrf["best_bleu"] == {"alpha": 0.5, "width": 3}
    tie = decide(rows((0.5, 3, 9.0, 33.0), today))
    assert not tie["adopt"] and tie["chosen"] == {"alpha": 1.0, "width": 5}
    narrower = decide(rows(today, (0.75, 8, 9.5, 32.0), (1.25, 3, 9.5, 32.0)))
    assert narrower["chosen"] == {"alpha": 1.25, "width": 3}


def test_results_follow_the_rule_and_replay_the_measured_weights_test_scores():
    """The experiment was measured on the published weights, or, once the recipe has been
    republished from another machine, on those published then (the kept Intel Xeon log):
    either way the log of those weights holds the experiment's replay of both widths, and the
    card keeps the chosen width (the rule: nothing in the recipe changes when it is retrained).
    Fails when neither holds: rerun the experiment on the published weights."""
    found = json.loads(RESULTS.read_text("utf-8"))
    assert found["decision"] == decide(found["validation"]["rows"])
    assert len(found["validation"]["rows"]) == len(ALPHAS) * len(WIDTHS)
    who, measured = translation_data.beam_weights(MODELS)
    chosen = found["decision"]["chosen"]
    published = json.loads((MODELS / "translator" / "metrics.json").read_text("utf-8"))
    card = json.loads((MODELS / "translator" / "card.json").read_text("utf-8"))
    assert found["decision"]["adopt"] and (chosen["width"], chosen["alpha"]) == (
        published["beam"],
        1.0,
    ) == (card["beam"], 1.0)
    # The rescore decoded the measured weights through the search: its replay of the chosen
    # width is their test score, and its replay of beam 5 the score they had before.
    assert translation_data.replays(found, measured)
    row = next(
        r for r in found["test"]["rows"] if (r["alpha"], r["width"]) == (1.0, measured["beam"])
    )
    assert {"bleu": row["bleu"], "chrf": row["chrf"]} == measured["results"][
        f"beam-{measured['beam']}"
    ]
    checkpoint = (MODELS / "translator" / "translator.pt").read_bytes()
    same = found["checkpoint_sha256"] == hashlib.sha256(checkpoint).hexdigest()
    assert (who == "published") == same
    if who == "then":
        assert measured == json.loads(translation_data.PUBLISHED_THEN.read_text("utf-8"))


def _models(tmp_path: Path, log: dict, weights: bytes) -> Path:
    """A models folder publishing ``log`` (card: its width) with the checkpoint ``weights``."""
    folder = tmp_path / "models" / "translator"
    folder.mkdir(parents=True)
    (folder / "metrics.json").write_text(json.dumps(log), "utf-8")
    (folder / "card.json").write_text(json.dumps({"beam": log["beam"]}), "utf-8")
    (folder / "translator.pt").write_bytes(weights)
    return folder.parent


def test_the_beam_section_names_the_weights_it_was_measured_on(tmp_path, monkeypatch):
    """Before the republication the experiment's checkpoint is the shipped one: "the published
    weights", and the card's test scores are the experiment's. After it (other weights, the
    same recipe trained on another CPU) the page names the weights published then by the CPU
    of the kept log that the experiment replays, and says the width chosen then is kept.
    Weights that neither is are refused. (The results file is the committed one but for the
    checkpoint it names, so both states are tested whichever is published.)"""
    found = json.loads(RESULTS.read_text("utf-8"))
    found["checkpoint_sha256"] = hashlib.sha256(b"measured weights").hexdigest()
    (tmp_path / "beam.json").write_text(json.dumps(found), "utf-8")
    monkeypatch.setattr(translation_data, "BEAM_RANKING", tmp_path / "beam.json")
    then = json.loads(translation_data.PUBLISHED_THEN.read_text("utf-8"))
    kept = tmp_path / "recipes"
    kept.mkdir()
    (kept / translation_data.PUBLISHED_THEN.name).write_text(json.dumps(then), "utf-8")
    same = {k: v for k, v in then.items() if k != "label"}
    before = _models(tmp_path / "before", same, b"measured weights")
    assert translation_data.beam_weights_words(before, kept) == "the published weights"
    said = translation_data.beam_decision(before, kept)
    assert "so the card's test scores went down a little" in said

    rerun = {k: v for k, v in then.items() if k not in ("label", "rescored")}
    rerun["machine"] = {**then["machine"], "cpu": "AMD EPYC"}
    rerun["results"] = {**then["results"], "beam-3": {"bleu": 9.2, "chrf": 32.0}}
    after = _models(tmp_path / "after", rerun, b"other weights")
    assert translation_data.beam_weights_words(after, kept) == (
        "the weights published then (the Intel Xeon run)"
    )
    said = translation_data.beam_decision(after, kept)
    assert "the width chosen then is kept: its card, the results below and the demo use beam 3" in (
        said
    )
    assert "card's test scores" not in said and "the rule, not the test set, decides" in said

    (kept / translation_data.PUBLISHED_THEN.name).unlink()
    with pytest.raises(PageDataError, match="measured on other weights"):
        translation_data.beam_weights(after, kept)
    not_replayed = {**then, "results": {**then["results"], "beam-3": {"bleu": 1.0, "chrf": 2.0}}}
    (kept / translation_data.PUBLISHED_THEN.name).write_text(json.dumps(not_replayed), "utf-8")
    with pytest.raises(PageDataError, match="replays its test scores"):
        translation_data.beam_decision(after, kept)
    other_recipe = {**rerun, "hparams": {**rerun["hparams"], "dropout": 0.2}}
    (kept / translation_data.PUBLISHED_THEN.name).write_text(json.dumps(then), "utf-8")
    elsewhere = _models(tmp_path / "other-recipe", other_recipe, b"other weights")
    with pytest.raises(PageDataError, match="measured on other weights"):
        translation_data.beam_weights(elsewhere, kept)


def test_page_table_and_sentence_show_the_measured_figures():
    found = json.loads(RESULTS.read_text("utf-8"))
    val = next(r for r in found["validation"]["rows"] if (r["alpha"], r["width"]) == TODAY)
    table = translation_data.beam_table(MODELS)
    assert f"**{val['bleu']:.2f} / {val['chrf']:.2f}**" in table
    assert len(table.splitlines()) == 2 + len(ALPHAS)
    sentence = translation_data.beam_decision(MODELS)
    test = next(r for r in found["test"]["rows"] if (r["alpha"], r["width"]) == TODAY)
    assert f"against {test['bleu']:.2f} and {test['chrf']:.2f} for beam 5" in sentence
    assert "the rule, not the test set, decides" in sentence


def test_the_page_marks_the_search_the_experiment_compared_against():
    assert translation_data.SEARCH_THEN == TODAY


def test_the_page_shows_beam_search_with_its_settings_spelt_out():
    """The translation page includes beam.py's search section as teaching code: beam_search
    keeps its explicit keywords (they once became ``**options: Unpack[SearchOptions]``), and
    beam_candidates, which takes the same settings, checks them against that signature."""
    params = inspect.signature(beam_search).parameters
    keywords = {n: p.default for n, p in params.items() if p.kind is p.KEYWORD_ONLY}
    required = inspect.Parameter.empty
    assert keywords == {"bos": required, "eos": required, "beam": 1, "max_len": 50}
    section = (ROOT / "rnn_site/decoding/beam.py").read_text("utf-8")
    section = section.split("# --8<-- [start:search]")[1].split("# --8<-- [end:search]")[0]
    assert "    beam: int = 1,\n    max_len: int = 50,\n) -> Hypothesis:" in section
    assert '--8<-- "rnn_site/decoding/beam.py:search"' in (
        ROOT / "docs/applications/translation.md"
    ).read_text("utf-8")
    with pytest.raises(TypeError, match="maxlen"):
        beam_candidates(step, select, [()], bos=0, eos=1, maxlen=5)
    with pytest.raises(TypeError, match="eos"):
        beam_candidates(step, select, [()], bos=0)
    defaults = beam_candidates(step, select, [()], bos=0, eos=1)
    spelt_out = beam_candidates(step, select, [()], bos=0, eos=1, beam=1, max_len=50)
    assert [(h.ids, h.score) for h in defaults] == [(h.ids, h.score) for h in spelt_out]


def test_the_pages_search_section_calls_no_function_defined_outside_it() -> None:
    """The page shows only the section: a call of one of beam.py's own functions defined
    outside it (``search_settings`` once checked the settings there) met the reader as a
    helper they could not see."""
    source = (ROOT / "rnn_site/decoding/beam.py").read_text("utf-8")
    head, rest = source.split("# --8<-- [start:search]")
    section, tail = rest.split("# --8<-- [end:search]")
    outside = {
        node.name for node in ast.parse(head + tail).body if isinstance(node, ast.FunctionDef)
    }
    called = {
        node.func.id
        for node in ast.walk(ast.parse(section))
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
    }
    assert outside  # default_max_len, replace_unknown: the check sees the module's functions
    assert called & outside == set()
