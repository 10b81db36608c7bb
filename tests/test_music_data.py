"""The cached chorales, their tokens, the grammar, the token n-gram and the MIDI writer."""

from __future__ import annotations

import io
import itertools

import numpy as np
import pytest

from rnn_site.baselines import ngram
from rnn_site.baselines.token_ngram import choose_token_order, fit_tokens, spell
from rnn_site.data.chorales import (
    CACHE_PATH,
    Event,
    MelodyVocab,
    histogram_distance,
    load_chorales,
    mark_bars,
    melody_statistics,
    split_by_tune,
)
from rnn_site.runtime.midi import melody_to_midi, variable_length


@pytest.fixture(scope="module")
def chorales():
    return load_chorales()


def test_cache_is_small_and_holds_every_distinct_chorale(chorales):
    assert CACHE_PATH.stat().st_size < 100_000
    assert len(chorales) == 350  # 371 Riemenschneider numbers, 21 of them repeat a file
    assert 17_000 < sum(len(c.events) for c in chorales) < 19_000
    assert {c.mode for c in chorales} == {"major", "minor"}


def test_normalised_to_c_major_and_a_minor(chorales):
    # Real melodies end on the tonic most of the time: C in major, A in minor.
    last = [[e.pitch for e in c.events if e.pitch is not None][-1] for c in chorales]
    ends = [p % 12 == {"major": 0, "minor": 9}[c.mode] for p, c in zip(last, chorales, strict=True)]
    assert np.mean(ends) > 0.7
    stats = melody_statistics([(c.mode, c.events) for c in chorales])
    assert stats["in_key"] > 0.93
    assert 8 < stats["pitch_range"] < 14


def test_split_by_tune_is_disjoint_and_deterministic(chorales):
    a, b = split_by_tune(chorales), split_by_tune(chorales)
    assert [c.file for c in a.test] == [c.file for c in b.test]
    files = [{c.file for c in getattr(a, s)} for s in ("train", "val", "test")]
    assert sum(len(f) for f in files) == len(chorales)
    assert not (files[0] & files[1] or files[0] & files[2] or files[1] & files[2])
    tunes = {
        s: {tuple(e.pitch for e in c.events[:8]) for c in getattr(a, s)} for s in ("train", "test")
    }
    assert not tunes["train"] & tunes["test"]
    assert 25 <= len(a.test) <= 50 and 20 <= len(a.val) <= 50


def test_tokens_round_trip_and_follow_the_grammar(chorales):
    vocab = MelodyVocab.from_chorales(chorales)
    for chorale in chorales[:50]:
        ids = vocab.encode(chorale.mode, chorale.events)
        assert vocab.decode(ids) == list(chorale.events)
        for previous, token in itertools.pairwise(ids):
            assert vocab.allowed_after(previous, end=True)[token], (
                vocab.names[previous],
                vocab.names[token],
            )


def test_grammar_never_allows_eos_unless_asked():
    vocab = MelodyVocab([*MelodyVocab.SPECIAL, "p60", "d1"])
    duration = vocab.ids["d1"]
    assert not vocab.allowed_after(duration)[vocab.ids["<eos>"]]
    assert vocab.allowed_after(duration, end=True)[vocab.ids["<eos>"]]
    assert vocab.allowed_after(vocab.ids["p60"]).tolist() == [name == "d1" for name in vocab.names]


def test_encode_rejects_unknown_pitch_and_duration_with_the_accepted_values():
    vocab = MelodyVocab([*MelodyVocab.SPECIAL, "p60", "p62", "d1", "d0.5"])
    with pytest.raises(ValueError, match=r"pitch 99 is outside the model's range 60\.\.62"):
        vocab.encode("major", [Event(99, 1.0)])
    with pytest.raises(ValueError, match=r"duration 0.3 .* knows 0.5, 1"):
        vocab.encode("major", [Event(60, 0.3)])


def test_mark_bars_places_bar_lines_after_a_pickup():
    events = [Event(60, 1.0), Event(62, 2.0), Event(64, 2.0), Event(65, 3.0), Event(67, 1.0)]
    assert [e.bar for e in mark_bars(events, 4, 1)] == [False, True, False, True, False]
    assert [e.bar for e in mark_bars(events, 3, 0)] == [True, False, True, False, False]


def test_statistics_of_a_known_melody():
    up = [Event(p, 1.0) for p in (60, 62, 64, 65, 67, 67, 79)]
    stats = melody_statistics([("major", up)])
    assert stats["pitch_range"] == 19
    assert stats["in_key"] == 1.0
    assert stats["steps"] == pytest.approx(5 / 6)  # 2, 2, 1, 2, 0 steps; one leap of 12
    assert stats["leaps_over_fifth"] == pytest.approx(1 / 6)
    assert stats["interval_histogram"]["12"] == pytest.approx(1 / 6)
    assert histogram_distance(stats["interval_histogram"], stats["interval_histogram"]) == 0
    assert histogram_distance({"1": 1.0}, {"2": 1.0}) == 1.0


# ------------------------------------------------------------------ token n-gram


def test_token_ngram_is_the_character_ngram_on_spelled_ids():
    rng = np.random.default_rng(0)
    seqs = [rng.integers(0, 7, size=40) for _ in range(5)]
    model = fit_tokens(seqs, 3, 7)
    direct = ngram.fit("".join(spell(s) for s in seqs), 3, vocab=model.model.vocab)
    probe = seqs[0]
    expected = -np.log(direct.position_probs(np.asarray(probe), 3)[1:]).sum()
    assert model.nll(probe, 3) == pytest.approx(expected)
    for context in ([1], [1, 2, 3], list(probe[:10])):
        p = model.next_probs(context, 3)
        assert p.sum() == pytest.approx(1.0)
        np.testing.assert_allclose(p, direct.next_char_probs(spell(context), 3))


def test_token_order_choice_prefers_the_true_order():
    # A deterministic cycle of period 5 needs a context of one token: order 2 wins over 1.
    seqs = [np.tile(np.arange(5), 20) for _ in range(3)]
    choice = choose_token_order(seqs, seqs[:1], 5, 100, orders=range(1, 4))
    assert choice.val_nll[2] < choice.val_nll[1]
    assert choice.order >= 2


# ------------------------------------------------------------------ MIDI


def test_variable_length_quantities_match_the_standard_examples():
    # From the Standard MIDI File 1.0 specification's table.
    assert variable_length(0) == b"\x00"
    assert variable_length(0x40) == b"\x40"
    assert variable_length(0x80) == b"\x81\x00"
    assert variable_length(0x2000) == b"\xc0\x00"
    assert variable_length(0x0FFFFFFF) == b"\xff\xff\xff\x7f"


def test_midi_file_parses_back_with_mido():
    mido = pytest.importorskip("mido")
    events = [Event(72, 1.0), Event(None, 0.5), Event(71, 0.5), Event(69, 2.0, fermata=True)]
    data = melody_to_midi(events, tempo_bpm=90, time_signature=(3, 4))
    midi = mido.MidiFile(file=io.BytesIO(data))
    assert midi.type == 0 and midi.ticks_per_beat == 480 and len(midi.tracks) == 1
    notes, t = [], 0
    for message in midi.tracks[0]:
        t += message.time
        if message.type == "note_on":
            notes.append((message.note, t))
        if message.type == "set_tempo":
            assert round(mido.tempo2bpm(message.tempo)) == 90
        if message.type == "time_signature":
            assert (message.numerator, message.denominator) == (3, 4)
    # The rest delays the second note by 240 ticks: onsets at 0, 480 + 240, 720 + 240.
    assert notes == [(72, 0), (71, 720), (69, 960)]
    assert midi.length == pytest.approx((1 + 0.5 + 0.5 + 2) * 60 / 90)


def test_midi_rejects_bad_notes():
    with pytest.raises(ValueError, match=r"pitch must be a MIDI number 0\.\.127, got 128"):
        melody_to_midi([Event(128, 1.0)])
    with pytest.raises(ValueError, match="duration must be > 0"):
        melody_to_midi([Event(60, 0.0)])
