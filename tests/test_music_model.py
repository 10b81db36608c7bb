"""Melody model: training pieces, export, torch ↔ onnxruntime parity, the runtime API and errors.

Most tests use a small random model exported to a temporary folder, so they do not depend on
the committed model; the last ones check the committed model and its card.
"""

from __future__ import annotations

import io
import json
import runpy
from pathlib import Path

import numpy as np
import pytest
import torch
from shipped import MODELS, ROOT, run_without

from rnn_site.data.chorales import Event, MelodyVocab, load_chorales, split_by_tune
from rnn_site.export.manifest import verify
from rnn_site.export.melody import export_melody
from rnn_site.models.melody import MelodyConfig, MelodyLSTM
from rnn_site.runtime import (
    InvalidArgumentError,
    InvalidDurationError,
    InvalidLengthError,
    InvalidNoteError,
    InvalidTemperatureError,
    MelodyModel,
)
from rnn_site.train.melody import EpochBatches, batch_loss, nll_per_event, pad_batch, save_melody

COMMITTED = MODELS / "melody"


@pytest.fixture(scope="module")
def vocab() -> MelodyVocab:
    return MelodyVocab.from_chorales(load_chorales())


@pytest.fixture(scope="module")
def exported(tmp_path_factory, vocab) -> tuple[MelodyLSTM, Path]:
    """A random 1-layer, 48-unit model exported as <tmp>/models/melody."""
    torch.set_num_threads(1)
    torch.manual_seed(0)
    model = MelodyLSTM(MelodyConfig(len(vocab), embed_dim=16, hidden_size=48, dropout=0.2)).eval()
    models = tmp_path_factory.mktemp("models")
    save_melody(models / "melody" / "melody.pt", model, vocab)
    export_melody(models / "melody" / "melody.pt", models / "melody")
    return model, models


@pytest.fixture(scope="module")
def melody(exported) -> MelodyModel:
    return MelodyModel.load(exported[1] / "melody")


# ------------------------------------------------------------------ training pieces


def test_padding_is_ignored_by_the_loss(vocab):
    torch.manual_seed(0)
    model = MelodyLSTM(MelodyConfig(len(vocab), embed_dim=8, hidden_size=16)).eval()
    chorales = load_chorales()[:3]
    seqs = [vocab.encode(c.mode, c.events) for c in chorales]
    x, y = pad_batch(seqs, vocab.ids["<eos>"])
    assert x.shape == y.shape == (3, max(len(s) for s in seqs) - 1)
    assert (y == -100).sum() == sum(x.shape[1] - (len(s) - 1) for s in seqs)
    # Scoring each chorale alone equals scoring them padded together.
    events = sum(len(c.events) for c in chorales)
    together = nll_per_event(model, seqs, events, vocab.ids["<eos>"])
    alone = sum(nll_per_event(model, [s], 1, vocab.ids["<eos>"]) for s in seqs) / events
    assert together == pytest.approx(alone, rel=1e-5)


def test_a_few_steps_of_training_lower_the_loss(vocab):
    torch.manual_seed(0)
    model = MelodyLSTM(MelodyConfig(len(vocab), embed_dim=16, hidden_size=32))
    seqs = [vocab.encode(c.mode, c.events) for c in split_by_tune(load_chorales()).train[:32]]
    batches = list(EpochBatches(seqs, 8, seed=0, pad=vocab.ids["<eos>"]))
    optimiser = torch.optim.Adam(model.parameters(), lr=1e-2)
    first = batch_loss(model, batches[0]).item()
    for _ in range(5):
        for batch in batches:
            optimiser.zero_grad()
            batch_loss(model, batch).backward()
            optimiser.step()
    assert batch_loss(model, batches[0]).item() < first - 0.5


# ------------------------------------------------------------------ export and parity


def test_export_writes_a_small_verified_model_with_seeds(exported):
    _, models = exported
    files = {p.name for p in (models / "melody").iterdir()}
    assert {"step.onnx", "seeds.json", "card.json", "README.md", "melody.pt"} <= files
    assert verify(models) == []
    seeds = json.loads((models / "melody" / "seeds.json").read_text())["seeds"]
    assert len(seeds) >= 20 and all(len(s["events"]) == 8 for s in seeds)
    card = json.loads((models / "melody" / "card.json").read_text())
    assert card["task"] == "music-generation" and card["tokens"][0] == "<bos>"


def test_card_grammar_is_the_vocabulary_grammar(exported, vocab):
    card = json.loads((exported[1] / "melody" / "card.json").read_text())
    for token in range(len(vocab)):
        follows = card["grammar"].get(vocab.kind(token), [])
        expected = [vocab.kind(j) in follows for j in range(len(vocab))]
        assert vocab.allowed_after(token, end=True).tolist() == expected


def test_onnx_step_matches_torch(exported, melody, vocab):
    model, _ = exported
    chorale = load_chorales()[0]
    ids = vocab.encode(chorale.mode, chorale.events[:20])
    with torch.no_grad():
        expected, _ = model(torch.from_numpy(ids)[None])
    h, c = melody.initial_state()
    for t, token in enumerate(ids):
        logits, h, c = melody._step.run(None, {"token": np.array([token]), "h": h, "c": c})
        np.testing.assert_allclose(logits[0], expected[0, t].numpy(), atol=1e-5, rtol=1e-4)


def greedy_example(model: MelodyModel) -> list[list[float]]:
    """The card's greedy example generated again by ``model``, written as the card writes it."""
    example = model.card["example_greedy"]
    events = model.generate(
        example["seed"],
        example["n"],
        temperature=0,
        mode=example["mode"],
        beats_per_bar=example["beats_per_bar"],
        pickup=example["pickup"],
    )
    return [[e.pitch, e.duration, int(e.fermata)] for e in events]


def test_runtime_greedy_reproduces_the_torch_greedy_example(melody):
    assert greedy_example(melody) == melody.card["example_greedy"]["output"]


# ------------------------------------------------------------------ runtime API


def test_generate_gives_n_valid_events_reproducibly(melody):
    seed = [(72, 1.0), (71, 1.0), (69, 2.0)]
    a = melody.generate(seed, 40, temperature=1.2, seed=3)
    b = melody.generate(seed, 40, temperature=1.2, seed=3)
    c = melody.generate(seed, 40, temperature=1.2, seed=4)
    assert a == b and a != c
    assert len(a) == 40
    low, high = melody.pitch_range
    for event in a:
        assert event.pitch is None or low <= event.pitch <= high
        assert event.duration in melody.vocab.durations
    assert len(melody.generate([], 5, temperature=0, mode="minor")) == 5


def test_to_midi_writes_a_file_that_parses_back(melody, tmp_path):
    mido = pytest.importorskip("mido")
    seed = [Event(72, 1.0), Event(None, 1.0), Event(69, 2.0, fermata=True)]
    events = seed + melody.generate(seed, 16, temperature=0.8, seed=0)
    data = melody.to_midi(events, tmp_path / "m.mid")
    assert (tmp_path / "m.mid").read_bytes() == data
    midi = mido.MidiFile(file=io.BytesIO(data))
    notes = [m.note for m in midi.tracks[0] if m.type == "note_on"]
    assert notes == [e.pitch for e in events if e.pitch is not None]
    assert midi.length == pytest.approx(sum(e.duration for e in events) * 60 / 80)


@pytest.mark.parametrize(
    ("seed", "kwargs", "error", "message"),
    [
        ([(30, 1.0)], {}, InvalidNoteError, r"pitch 30 is not one the model knows; it knows MIDI"),
        ([(60.5, 1.0)], {}, InvalidNoteError, "pitch must be an int or None"),
        ([(60, 0.3)], {}, InvalidDurationError, r"duration 0.3 is not one .* knows 0.125"),
        ([(60, "long")], {}, InvalidDurationError, "duration 'long'"),
        ([(60,)], {}, InvalidArgumentError, r"must be \(pitch, duration\)"),
        ([], {"temperature": -1}, InvalidTemperatureError, "temperature"),
        ([], {"n": 0}, InvalidLengthError, "n must be between 1 and 2,000"),
        ([], {"mode": "dorian"}, InvalidArgumentError, "mode must be 'major' or 'minor'"),
        ([], {"pickup": 4}, InvalidArgumentError, "pickup"),
    ],
)
def test_bad_arguments_raise_errors_that_say_what_is_accepted(melody, seed, kwargs, error, message):
    with pytest.raises(error, match=message):
        melody.generate(seed, **{"n": 4, **kwargs})


NO_TORCH = """
from rnn_site.runtime import MelodyModel
model = MelodyModel.load(sys.argv[1])
events = model.generate([(72, 1.0)], 8, temperature=0.8, seed=0)
assert len(events) == 8 and model.to_midi(events)[:4] == b"MThd"
"""


def test_runtime_works_without_torch(exported):
    run_without(("torch", "onnx", "music21"), NO_TORCH, str(exported[1] / "melody"))


# ------------------------------------------------------------------ the committed model

needs_committed = pytest.mark.skipif(
    not (COMMITTED / "step.onnx").exists(), reason="the trained melody model is not exported yet"
)


@needs_committed
def test_committed_model_is_small_and_beats_its_baseline():
    card = json.loads((COMMITTED / "card.json").read_text())
    assert (COMMITTED / "step.onnx").stat().st_size < 2_000_000
    lstm = card["metrics"]["melody"]
    (baseline,) = card["baselines"].values()
    assert lstm["test_nll_per_event"] < baseline["test_nll_per_event"] - 0.3
    generated = card["generated_statistics"]
    assert generated["lstm"]["in_key"] > 0.9
    assert generated["lstm"]["interval_tv_distance"] < 0.25


@needs_committed
def test_committed_model_reproduces_its_example_and_the_usage_file_runs(tmp_path, monkeypatch):
    monkeypatch.delenv("RNN_SITE_MODELS", raising=False)
    model = MelodyModel.load("melody")
    assert greedy_example(model) == model.card["example_greedy"]["output"]
    monkeypatch.chdir(tmp_path)
    runpy.run_path(str(ROOT / "rnn_site" / "examples" / "use_melody.py"), run_name="__main__")
    assert (tmp_path / "melody.mid").read_bytes()[:4] == b"MThd"


def test_cli_trains_and_exports_a_tiny_model(tmp_path):
    """The whole job end to end (n-gram, LSTM, scores, generated statistics, export), tiny."""
    from rnn_site.cli import main

    train = ["--models-dir", str(tmp_path), "train", "melody", "--max-epochs", "1"]
    options = ["--hidden", "16", "--ngram-max-order", "3", "--threads", "1", "--no-progress"]
    assert main([*train, *options]) == 0
    log = json.loads((tmp_path / "melody" / "metrics.json").read_text())
    assert log["baseline"]["order"] in (1, 2, 3)
    assert {"real_test", "lstm", log["baseline"]["name"]} <= set(log["generated"])
    assert main(["--models-dir", str(tmp_path), "export", "melody"]) == 0
    card = json.loads((tmp_path / "melody" / "card.json").read_text())
    assert card["metrics"]["melody"]["test_nll_per_event"] > 0
    assert verify(tmp_path) == []
