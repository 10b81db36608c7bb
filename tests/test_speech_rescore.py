"""Test scores measured again with the same weights (rnn_site.train.speech.rescore): the log
records the trim that scored its test sets, the exporter refuses a log scored with another
trim than the runtime's, and the card says what the rescore changed, from the log."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch

from rnn_site.data.speech import SpeechData, Utterance
from rnn_site.data.speech_trim import TRIM, TrimSettings
from rnn_site.export.card_text import card_text
from rnn_site.export.speech import (
    ScoredTrimError,
    check_test_trim,
    refresh_card,
    rescored_sentence,
)
from rnn_site.models.speech import SpeechConfig, SpeechCTC
from rnn_site.train.speech import final_scores, previous_scores, score_changes

ROOT = Path(__file__).resolve().parents[1]
MODEL_DIR = ROOT / "models" / "speech"
NOISE_FLOOR = ROOT / "rnn_site" / "experiments" / "results" / "speech_noise_floor.json"
#: The 40-epoch model's log, published until the 80-epoch run replaced it.
EARLIER = (
    ROOT / "rnn_site" / "experiments" / "results" / "recipes" / "speech-earlier-40-epochs.json"
)
#: The 80-epoch model's log, published until the split fix (issue 18) retrained its recipe.
BEFORE_FIX = (
    ROOT / "rnn_site" / "experiments" / "results" / "recipes" / "speech-earlier-en-gb-split.json"
)
FIXED = TrimSettings(threshold_db=-40.0, margin_s=0.08)


def tone(seconds: float, hz: float) -> np.ndarray:
    t = np.arange(int(seconds * 16_000)) / 16_000
    return (0.5 * np.sin(2 * np.pi * hz * t)).astype(np.float32)


def test_final_scores_records_the_trim_that_cut_the_test_clips(tmp_path):
    """A tiny random model on four clips: whichever trim scores, the log says which."""
    torch.manual_seed(0)
    model = SpeechCTC(SpeechConfig(conv_channels=8, hidden_size=8)).eval()
    clips = [
        Utterance(tone(0.3, 300), "A", "espeak:en-us+m1", "word"),
        Utterance(tone(0.3, 500), "B", "espeak:en-us+f1", "word"),
    ]
    digits = Utterance(tone(0.4, 400), "12", "espeak:en-us+m1", "digits")
    data = SpeechData(train=clips, val=[], test=[*clips, digits], cache_dir=tmp_path)
    for settings in (FIXED, TRIM):
        scores = final_scores(model, data, [], templates_per_symbol=1, seed=0, settings=settings)
        assert scores["test_trim"] == settings.to_dict()
        assert set(scores["results"]["lstm"]) == {"tts_isolated", "tts_connected"}


def log_scored_by(trim: dict | None) -> dict:
    log = {"results": {"lstm": {}}, "test_trim": trim}
    return log if trim is not None else {"results": {"lstm": {}}}


def test_the_exporter_refuses_scores_cut_by_another_trim():
    check_test_trim(log_scored_by(TRIM.to_dict()))
    check_test_trim({})  # no scores (random weights in a test): nothing to check
    with pytest.raises(ScoredTrimError, match=r"test_trim .*'threshold_db': -40\.0.*--rescore"):
        check_test_trim(log_scored_by(FIXED.to_dict()))
    with pytest.raises(ScoredTrimError, match="no trim recorded"):
        check_test_trim(log_scored_by(None))


def test_refresh_card_refuses_a_log_scored_with_the_fixed_trim(tmp_path):
    """The committed model, its log's test_trim set back to the fixed trim: no card is written."""
    folder = tmp_path / "speech"
    folder.mkdir()
    for name in ("card.json", "metrics.json"):
        shutil.copy(MODEL_DIR / name, folder / name)
    log = json.loads((folder / "metrics.json").read_text("utf-8"))
    (folder / "metrics.json").write_text(json.dumps({**log, "test_trim": FIXED.to_dict()}))
    card = (folder / "card.json").read_bytes()
    with pytest.raises(ScoredTrimError):
        refresh_card(folder)
    assert (folder / "card.json").read_bytes() == card
    assert not (folder / "README.md").exists()


def errors(*triples: tuple[str, str, str]) -> list[dict[str, str]]:
    return [{"voice": v, "said": s, "heard": h} for v, s, h in triples]


def lstm(cer: float, errs: list[dict[str, str]]) -> dict:
    return {"greedy": {"cer": cer}, "errors": errs}


def test_a_rescore_from_another_cache_records_it_and_what_it_replaced(tmp_path, monkeypatch):
    """The split fix changed the cache key, so rescoring an old run reads other audio: the log
    names the cache it was scored from now, and ``previous`` is what the log held (from the
    old cache), not what an earlier rescore from the old cache kept. Rescoring again from the
    same cache and trim keeps that ``previous``."""
    from dataclasses import asdict

    import rnn_site.train.speech as trainer
    from rnn_site.data.speech import SynthesisConfig

    torch.manual_seed(0)
    run = tmp_path / "run"
    run.mkdir()
    trainer.save_speech(run / "speech.pt", SpeechCTC(SpeechConfig(conv_channels=8, hidden_size=8)))
    clips = [
        Utterance(tone(0.3, 300), "A", "espeak:en-us+m1", "word"),
        Utterance(tone(0.3, 500), "B", "espeak:en-us+f1", "word"),
    ]
    earlier = {"test_trim": None, "greedy_cer": {"tts_isolated": 0.9}, "changed": {}}
    log = {
        "synthesis": asdict(SynthesisConfig()),
        "synthesis_cache": "0ld0ld0ld0ld0ld0",
        "hparams": {"dtw_templates_per_symbol": 1},
        "seed": 0,
        "test_trim": TRIM.to_dict(),
        "results": {"lstm": {"tts_isolated": lstm(0.25, errors(("espeak:en-us+m1", "A", "B")))}},
        "rescored": {"previous": earlier},
    }
    (run / "metrics.json").write_text(json.dumps(log), "utf-8")
    new_cache = tmp_path / "cache" / "n3wn3wn3wn3wn3wn"
    data = SpeechData(train=clips, val=[], test=clips, cache_dir=new_cache)
    monkeypatch.setattr(trainer, "load_speech", lambda config, progress: data)
    monkeypatch.setattr(trainer, "load_real_letters", lambda: [])

    first = trainer.rescore(run, "rescore it")
    assert first["synthesis_cache"] == "n3wn3wn3wn3wn3wn"
    previous = first["rescored"]["previous"]
    assert previous != earlier
    assert previous["synthesis_cache"] == "0ld0ld0ld0ld0ld0"
    assert previous["greedy_cer"] == {"tts_isolated": 0.25}
    assert json.loads((run / "metrics.json").read_text("utf-8")) == first
    # the same cache and trim again: nothing new was replaced, the first rescore's record stays
    second = trainer.rescore(run, "again")
    assert second["synthesis_cache"] == "n3wn3wn3wn3wn3wn"
    assert second["rescored"]["previous"] == previous
    # previous_scores alone: another cache, or another trim, makes the log's scores previous
    scores = {"results": first["results"], "test_trim": first["test_trim"]}
    assert previous_scores(first, scores) == previous  # no cache given: the log's
    moved = previous_scores(first, {**scores, "synthesis_cache": "an0th3ran0th3r00"})
    assert moved["synthesis_cache"] == "n3wn3wn3wn3wn3wn" and moved != previous


def test_score_changes_names_the_clips_heard_differently():
    old = {
        "real_en": lstm(0.25, errors(("k:en", "A", "N"), ("k:en", "B", "P"))),
        "big": lstm(0.5, errors(*[("v", str(i), "X") for i in range(40)])),
    }
    new = {
        "real_en": lstm(0.5, errors(("k:en", "A", "N"), ("k:en", "B", "D"), ("k:en", "T", "C"))),
        "big": lstm(0.4, errors(("v", "1", "X"))),
    }
    previous = score_changes({"results": {"lstm": old}}, {"results": {"lstm": new}})
    assert previous == {
        "test_trim": None,
        "synthesis_cache": None,
        "greedy_cer": {"real_en": 0.25, "big": 0.5},
        # "big" held 40 errors, the list's cap: the clips it left out are unknown
        "changed": {
            "real_en": [
                {"voice": "k:en", "said": "B", "before": "P", "after": "D"},
                {"voice": "k:en", "said": "T", "before": "T", "after": "C"},
            ]
        },
    }


def test_the_earlier_log_says_what_its_rescore_changed():
    """The 40-epoch model's log (published until the 80-epoch run, kept for the recipes table)
    was scored by the runtime's trim; its previous figures are the fixed trim's of
    speech_noise_floor.json, which measured that model."""
    log = json.loads(EARLIER.read_text("utf-8"))
    floor = json.loads(NOISE_FLOOR.read_text("utf-8"))["test"]
    assert log["hparams"]["max_epochs"] == 40
    assert log["test_trim"] == log["rescored"]["trim"] == TRIM.to_dict()
    previous = log["rescored"]["previous"]
    for name in ("tts_isolated", "tts_connected", "real_en", "real_en_GB"):
        assert round(previous["greedy_cer"][name], 4) == floor[name]["fixed"], name
        assert round(log["results"]["lstm"][name]["greedy"]["cer"], 4) == floor[name]["noise_floor"]
    assert previous["changed"]["real_en"] == [
        {"voice": "klettres:en", "said": "T", "before": "T", "after": "C"}
    ]
    sentence = rescored_sentence(card_text("speech"), log)
    assert "went from 34.6% to 38.5% on KLettres en (one clip: T heard as C)" in sentence


def test_the_committed_log_and_card_say_what_the_rescore_changed():
    """The 80-epoch log published before the split fix (kept, the card it wrote replaced) was
    scored again by the runtime's trim and says so; its previous figures are its training's
    (no test_trim then: the fixed -40 dB trim), and its card's sentence reads them: one
    American clip, S, heard right with the noise floor."""
    from rnn_site.export.speech import speech_prose

    log = json.loads(BEFORE_FIX.read_text("utf-8"))
    assert log["hparams"]["max_epochs"] == 80
    assert log["test_trim"] == log["rescored"]["trim"] == TRIM.to_dict()
    previous = log["rescored"]["previous"]
    assert previous["test_trim"] is None
    assert previous["changed"] == {
        "real_en": [{"voice": "klettres:en", "said": "S", "before": "X", "after": "S"}],
        "real_en_GB": [],
    }
    sentence = rescored_sentence(card_text("speech"), log)
    assert "went from 34.6% to 30.8% on KLettres en (one clip: S now heard right)" in sentence
    assert "stayed at 65.4% on KLettres en_GB" in sentence
    assert f"`{log['rescored']['command']}`, commit {log['rescored']['commit'][:7]}" in sentence
    assert sentence.strip() in speech_prose(log)["metrics_note"]


def test_the_published_log_was_scored_once_by_the_runtimes_trim():
    """The card's run (retrained after the split fix) scored its test sets with the trim the
    runtime uses: nothing was scored again, and the card says nothing about a rescore."""
    log = json.loads((MODEL_DIR / "metrics.json").read_text("utf-8"))
    card = json.loads((MODEL_DIR / "card.json").read_text("utf-8"))
    assert log["test_trim"] == TRIM.to_dict() == card["audio"]["trim"]
    assert "rescored" not in log
    assert rescored_sentence(card_text("speech"), log) == ""
    assert "scored again" not in card["metrics_note"]


def test_scoring_again_with_the_same_trim_keeps_what_the_first_rescore_replaced():
    """The rescored log (the model's published before the split fix), rescored with the trim
    that scored it: its previous figures stay the fixed trim's; with another trim, the log's
    own figures become the previous ones."""
    log = json.loads(BEFORE_FIX.read_text("utf-8"))
    same = {"results": log["results"], "test_trim": log["test_trim"]}
    assert previous_scores(log, same) == log["rescored"]["previous"]
    other = previous_scores(log, {**same, "test_trim": FIXED.to_dict()})
    assert other["test_trim"] == TRIM.to_dict()
    assert other["greedy_cer"]["real_en"] == log["results"]["lstm"]["real_en"]["greedy"]["cer"]
    assert other["changed"] == {"real_en": [], "real_en_GB": []}
