"""The speech recogniser's "more voices" option (issue 18): extra espeak variants join the
training split only; "base" plans, splits and caches exactly as before the option existed."""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from dataclasses import asdict
from pathlib import Path

import numpy as np
import pytest

from rnn_site.data.speech import (
    ESPEAK_ACCENTS,
    EXTRA_VARIANTS,
    TEST_ACCENTS,
    TEST_VARIANTS,
    VAL_VARIANTS,
    Request,
    SpeechData,
    SynthesisConfig,
    Utterance,
    all_voices,
    extra_voices,
    plan,
    voice_split,
)
from rnn_site.train.speech import TRAINER, SpeechTrainConfig, train_speech

ROOT = Path(__file__).resolve().parents[1]

#: sha256 of every request of ``plan(SynthesisConfig())`` and the cache key of
#: ``SynthesisConfig()`` for fixed engine versions, since the British accent is spelled "en".
BASE_PLAN_SHA256 = "4b2dd0d03113bb70300dc7492ee5435bdf38855ae01cae7644cbc95581dfe204"
BASE_KEY = "254c8d21959b514e"
VERSIONS = {"espeak-ng": "1", "flite": "2", "festival": "present"}
#: `engine_versions()` on the machine that made the published model's data, and that data's
#: cache folder (``synthesis_cache`` in models/speech/metrics.json).
INSTALLED_VERSIONS = {
    "espeak-ng": "eSpeak NG text-to-speech: 1.51  Data at: "
    "/usr/lib/x86_64-linux-gnu/espeak-ng-data",
    "flite": "Carnegie Mellon University, Copyright (c) 1999-2016, all rights reserved",
    "festival": "present",
}
PUBLISHED_KEY = "06919b1953d6676e"
#: The "more" key for `VERSIONS` with today's `EXTRA_VARIANTS` and `MORE_PLAN_VERSION` (1).
MORE_KEY = "2dfe747a16905c00"


def fingerprint(requests: dict[str, list[Request]]) -> str:
    rows = [
        [split, r.voice.id, r.label, r.kind, r.text, r.rate, r.pitch]
        for split, reqs in requests.items()
        for r in reqs
    ]
    return hashlib.sha256(json.dumps(rows).encode()).hexdigest()


def test_the_base_plan_and_key_are_pinned_and_name_the_published_models_cache():
    """The default plan and "base" are one plan, pinned since the British accent is spelled
    "en"; its cache key (no "voices" in it, as before the option) is pinned for fixed engine
    versions, and for the installed ones it is the published model's cache."""
    assert fingerprint(plan(SynthesisConfig())) == BASE_PLAN_SHA256
    assert fingerprint(plan(SynthesisConfig(voices="base"))) == BASE_PLAN_SHA256
    assert SynthesisConfig().key(VERSIONS) == BASE_KEY
    assert SynthesisConfig().key(INSTALLED_VERSIONS) == PUBLISHED_KEY
    published = json.loads((ROOT / "models" / "speech" / "metrics.json").read_text("utf-8"))
    assert published["synthesis_cache"] == PUBLISHED_KEY
    assert all_voices("base") == all_voices() and len(all_voices()) == 8 * 12 + 5 + 3


def test_more_changes_the_cache_key():
    assert SynthesisConfig(voices="more").key(VERSIONS) == MORE_KEY != BASE_KEY
    assert SynthesisConfig(seed=3, voices="more").key(VERSIONS) != SynthesisConfig(seed=3).key(
        VERSIONS
    )


@pytest.mark.parametrize(
    "name, value",
    [
        ("EXTRA_VARIANTS", EXTRA_VARIANTS[:-1]),  # one fewer
        ("EXTRA_VARIANTS", ("klatt6", *EXTRA_VARIANTS[1:])),  # one replaced
        ("MORE_PLAN_VERSION", 2),
    ],
)
def test_the_more_key_covers_the_extra_voices_and_the_more_drawing(monkeypatch, name, value):
    """Another extra list, or another "more" drawing, is another cache: never the old audio.
    The "base" key does not see them."""
    import rnn_site.data.speech as speech

    monkeypatch.setattr(speech, name, value)
    assert SynthesisConfig(voices="more").key(VERSIONS) != MORE_KEY
    assert SynthesisConfig().key(VERSIONS) == BASE_KEY
    assert SynthesisConfig().key(INSTALLED_VERSIONS) == PUBLISHED_KEY


def test_a_respelled_accent_is_another_cache(monkeypatch):
    """The key holds every voice's id: the old "en-gb" spelling (one voice for 12 variants)
    never reads the audio of today's "en" voices, nor they the old one's."""
    import rnn_site.data.speech as speech

    monkeypatch.setattr(speech, "ESPEAK_ACCENTS", ("en-us", "en-gb", *ESPEAK_ACCENTS[2:]))
    assert SynthesisConfig().key(VERSIONS) != BASE_KEY
    assert SynthesisConfig(voices="more").key(VERSIONS) != MORE_KEY


def test_extra_voices_are_training_voices_on_training_accents():
    extra = extra_voices()
    assert all_voices("more") == all_voices() + extra
    assert len(extra) == len(set(extra)) == 7 * len(EXTRA_VARIANTS)
    assert not set(extra) & set(all_voices())
    for voice in extra:
        accent, variant = voice.name.split("+")
        assert voice.engine == "espeak" and voice_split(voice) == "train"
        assert accent not in TEST_ACCENTS and variant not in TEST_VARIANTS + VAL_VARIANTS
    accents = {v.name.split("+")[0] for v in extra}
    assert accents == set(ESPEAK_ACCENTS) - set(TEST_ACCENTS) and "en-gb" not in accents


@pytest.mark.parametrize("seed", [0, 3])
def test_more_adds_to_training_only(seed):
    base, more = plan(SynthesisConfig(seed=seed)), plan(SynthesisConfig(seed=seed, voices="more"))
    assert more["val"] == base["val"] and more["test"] == base["test"]
    extra = {v.id for v in extra_voices()}
    added = [r for r in more["train"] if r.voice.id in extra]
    # the base voices' words are drawn exactly as for "base"; each extra voice says every symbol
    assert [r for r in more["train"] if r.kind == "word" and r.voice.id not in extra] == [
        r for r in base["train"] if r.kind == "word"
    ]
    words = [r for r in added if r.kind == "word"]
    assert Counter(r.voice.id for r in words) == {v: 36 for v in extra}
    said = {r.text for r in base["train"] if r.voice.id == "espeak:en-us+m1" and r.kind == "word"}
    assert {r.text for r in words} == said and len(said) == 36
    # digit strings: as many, the same digits, pauses and prosody, the same engines; every
    # espeak one has its voice drawn again from base + extra (77 of the 140 espeak training
    # voices are extra), so some move to an extra voice and most others to another base one
    strings = [r for r in more["train"] if r.kind == "digits"]
    before = [r for r in base["train"] if r.kind == "digits"]
    assert len(strings) == len(before) == 1500
    assert [(r.label, r.text, r.rate, r.pitch, r.voice.engine) for r in strings] == [
        (r.label, r.text, r.rate, r.pitch, r.voice.engine) for r in before
    ]
    moved = sum(r.voice.id in extra for r in strings)
    espeak = sum(r.voice.engine == "espeak" for r in strings)
    assert 0.4 * espeak < moved < 0.7 * espeak
    pairs = [(b.voice, m.voice) for b, m in zip(before, strings, strict=True)]
    reshuffled = sum(m.id not in extra and m != b for b, m in pairs if b.engine == "espeak")
    assert reshuffled > 0.3 * espeak  # what plan's docstring says; a run's data is this drawing
    if seed == 0:
        assert (espeak, moved, reshuffled) == (726, 394, 328)


def test_unknown_voices_are_refused():
    with pytest.raises(ValueError, match="unknown voices 'many'; expected one of base, more"):
        SynthesisConfig(voices="many")
    with pytest.raises(ValueError, match="unknown voices"):
        all_voices("many")


def test_cli_voices_flag_reaches_the_logged_hparams():
    from rnn_site.models.speech import SpeechConfig, SpeechCTC
    from rnn_site.train.loop import run_info

    parser = TRAINER.parser()
    assert TRAINER.hparams_of(parser.parse_args([])).voices == "base"
    hp = TRAINER.hparams_of(parser.parse_args(["--voices", "more"]))
    assert hp == SpeechTrainConfig(voices="more")
    model = SpeechCTC(SpeechConfig(conv_channels=4, hidden_size=4, num_layers=1, dropout=0.0))
    assert run_info("speech", 0, model, hp)["hparams"]["voices"] == "more"
    assert asdict(SpeechTrainConfig())["voices"] == "base"


def test_cli_refuses_unknown_voices(capsys):
    from rnn_site.train.speech import main

    with pytest.raises(SystemExit) as stop:
        main(["--voices", "many", "--out-dir", "/nonexistent"])
    assert stop.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("error: argument --voices: invalid choice: 'many'") and "more" in err


def test_training_refuses_synthesis_with_other_voices(tmp_path, monkeypatch):
    import rnn_site.train.speech as speech

    def no_synthesis(*args, **kwargs):
        raise AssertionError("the data was asked for before the voices were checked")

    monkeypatch.setattr(speech, "load_speech", no_synthesis)
    with pytest.raises(ValueError, match="synthesis has voices 'base' but the hyperparameters"):
        train_speech(
            tmp_path, hparams=SpeechTrainConfig(voices="more"), synthesis=SynthesisConfig()
        )
    assert not any(tmp_path.iterdir())


@pytest.mark.parametrize("extra_now", ["as trained", "since emptied"])
def test_dtw_templates_come_from_the_base_voices(monkeypatch, extra_now):
    """A "more" run's DTW baseline is the one every other run has, also when the run is
    rescored after the extra list changed (here: emptied, so klatt is no extra voice today)."""
    import rnn_site.data.speech as data_speech
    import rnn_site.train.speech as speech
    from rnn_site.models.speech import SpeechConfig, SpeechCTC
    from rnn_site.train.speech import final_scores

    def clip(k: int) -> np.ndarray:
        t = np.arange(3200) / 16_000
        return (0.3 * np.sin(2 * np.pi * (200 + 40 * k) * t)).astype(np.float32)

    train = [Utterance(clip(k), s, "espeak:en-us+m1", "word") for k, s in enumerate("78")]
    train += [Utterance(clip(k + 5), s, "espeak:en-us+klatt", "word") for k, s in enumerate("78")]
    test = [Utterance(clip(1), "8", "espeak:en-029+m1", "word")]
    data = SpeechData(train, [], test, cache_dir=None)  # type: ignore[arg-type]
    seen: list[str] = []
    real_pick = speech.pick_templates

    def pick(clips, per_label, seed=0):
        seen.extend(voice for _, _, voice in clips)
        return real_pick(clips, per_label, seed)

    monkeypatch.setattr(speech, "pick_templates", pick)
    if extra_now == "since emptied":
        monkeypatch.setattr(data_speech, "EXTRA_VARIANTS", ())
        assert extra_voices() == []
    model = SpeechCTC(SpeechConfig(conv_channels=4, hidden_size=4, num_layers=1, dropout=0.0))
    scores = final_scores(model, data, [], 2, 0)
    assert seen == ["espeak:en-us+m1", "espeak:en-us+m1"]
    assert scores["dtw_templates"] == 2


def test_ablation_records_voices(tmp_path):
    from rnn_site.experiments.speech_ablation import run_record

    sets = ("tts_isolated", "tts_connected", "real_en", "real_en_GB")
    for name, hparams in (("old", {}), ("more", {"voices": "more"})):
        folder = tmp_path / name
        folder.mkdir()
        metrics = {
            "hparams": {"augment": "noise", "max_epochs": 8, **hparams},
            "recipe": {"command": "rnn-site train speech --augment noise"},
            "steps": 10, "best_epoch": 7, "stopped": "finished", "best": {"val_cer": 0.1},
            "train_wall_time_s": 12.3,
            "results": {"lstm": {k: {"greedy": {"cer": 0.2}, "beam": {"cer": 0.1}} for k in sets}},
        }  # fmt: skip
        (folder / "metrics.json").write_text(json.dumps(metrics))
    assert run_record(tmp_path / "old")["voices"] == "base"  # logs from before the flag
    assert run_record(tmp_path / "more")["voices"] == "more"


def test_the_card_says_a_more_runs_dtw_templates_are_base_voices_only():
    """The published log (``voices`` "base") gives its card's words; a log from before
    ``voices`` (the model's published before the split fix) reads as "base"; a "more" log's
    card says the DTW templates are the base voices', and differs in nothing else."""
    from rnn_site.export.card_text import card_text
    from rnn_site.export.speech import speech_prose

    published = json.loads((ROOT / "models" / "speech" / "metrics.json").read_text("utf-8"))
    card = json.loads((ROOT / "models" / "speech" / "card.json").read_text("utf-8"))
    note = speech_prose(published)["metrics_note"]
    assert published["hparams"]["voices"] == "base"
    assert note == card["metrics_note"] and "templates (training voices) under" in note
    log = ROOT / "rnn_site/experiments/results/recipes/speech-earlier-en-gb-split.json"
    before = json.loads(log.read_text("utf-8"))
    assert "voices" not in before["hparams"]
    base = {**before, "hparams": {**before["hparams"], "voices": "base"}}
    assert speech_prose(base)["metrics_note"] == speech_prose(before)["metrics_note"]
    assert "templates (training voices) under" in speech_prose(before)["metrics_note"]
    more = {**published, "hparams": {**published["hparams"], "voices": "more"}}
    said = card_text("speech").text("_dtw_voices.more")
    assert said.startswith("base training voices only, not the extra ones")
    more_note = speech_prose(more)["metrics_note"]
    assert f"templates ({said}) under" in more_note
    assert more_note.replace(said, "training voices") == note
