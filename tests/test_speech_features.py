"""Speech slice, no text-to-speech needed: the in-graph log-mel against its NumPy reference,
resampling, CTC decoding on hand-made posteriors, error rates, DTW, and the data plan."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from rnn_site.baselines.dtw import DTWClassifier, dtw_features, pick_templates
from rnn_site.data.audio import (
    HOP,
    N_FFT,
    SAMPLE_RATE,
    log_mel,
    mel_filterbank,
    n_frames,
    read_wav,
    resample,
    write_wav,
)
from rnn_site.data.speech import (
    VOCAB,
    SynthesisConfig,
    Voice,
    all_voices,
    augment,
    labels_to_ids,
    plan,
    spoken_text,
    voice_split,
)
from rnn_site.decoding.ctc import (
    edit_distance,
    error_rates,
    greedy_decode,
    prefix_beam_decode,
)
from rnn_site.models.speech import LogMel, SpeechConfig, SpeechCTC, frame_count, step_count


@pytest.fixture(autouse=True)
def _one_thread():
    torch.set_num_threads(1)


def chirp(seconds: float, seed: int = 0) -> np.ndarray:
    """A rising tone with noise and silence at both ends: a spectrogram with structure."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * SAMPLE_RATE)) / SAMPLE_RATE
    x = 0.4 * np.sin(2 * np.pi * (200 + 1500 * t) * t) + 0.01 * rng.normal(size=len(t))
    x[: SAMPLE_RATE // 10] = 0.0
    return x.astype(np.float32)


@pytest.mark.parametrize("samples", [400, 401, 559, 560, 16_000, 23_457])
def test_log_mel_graph_matches_numpy_reference(samples):
    x = chirp(samples / SAMPLE_RATE + 0.2)[-samples:] * 0.3
    reference = log_mel(x)
    got = LogMel()(torch.from_numpy(x)[None])[0].numpy()
    assert got.shape == reference.shape == (n_frames(samples), 40)
    np.testing.assert_allclose(got, reference, atol=1e-4)


def test_log_mel_is_gain_invariant_and_counts_frames():
    x = chirp(0.5)
    np.testing.assert_allclose(log_mel(x), log_mel(0.01 * x), atol=1e-5)
    assert n_frames(399) == 0 and n_frames(N_FFT) == 1 and n_frames(N_FFT + HOP) == 2
    lengths = torch.tensor([399 + 1, N_FFT + HOP, 16_000])
    assert frame_count(lengths).tolist() == [n_frames(int(n)) for n in lengths]
    assert step_count(torch.tensor([1, 2, 3, 4, 5, 8, 9])).tolist() == [1, 1, 1, 1, 2, 2, 3]


def test_padded_batch_gives_each_clip_its_own_features():
    long, short = chirp(0.8, 1), chirp(0.4, 2)
    batch = torch.zeros(2, len(long))
    batch[0] = torch.from_numpy(long)
    batch[1, : len(short)] = torch.from_numpy(short)
    feats = LogMel()(batch, torch.tensor([len(long), len(short)]))
    k = n_frames(len(short))
    np.testing.assert_allclose(feats[1, :k].numpy(), log_mel(short), atol=1e-4)
    assert torch.all(feats[1, k:] == 0)
    np.testing.assert_allclose(feats[0].numpy(), log_mel(long), atol=1e-4)


def test_mel_filterbank_covers_the_band_once():
    bank = mel_filterbank()
    assert bank.shape == (40, 201) and bank.min() >= 0
    freqs = np.arange(201) * SAMPLE_RATE / N_FFT
    inside = (freqs > 100) & (freqs < 7000)
    # Neighbouring triangles overlap so that every inside frequency is covered about once.
    np.testing.assert_allclose(bank.sum(axis=0)[inside], 1.0, atol=0.02)


def test_resample_keeps_a_tone_and_the_length():
    t = np.arange(44_100) / 44_100
    tone = np.sin(2 * np.pi * 440 * t)
    out = resample(tone, 44_100, SAMPLE_RATE)
    assert len(out) == SAMPLE_RATE and out.dtype == np.float32
    expected = np.sin(2 * np.pi * 440 * np.arange(SAMPLE_RATE) / SAMPLE_RATE)
    np.testing.assert_allclose(out[200:-200], expected[200:-200], atol=2e-3)
    assert np.array_equal(resample(out, SAMPLE_RATE, SAMPLE_RATE), out)


def test_wav_round_trip(tmp_path):
    x = chirp(0.3)
    samples, rate = read_wav(write_wav(tmp_path / "x.wav", x))
    assert rate == SAMPLE_RATE
    np.testing.assert_allclose(samples, x, atol=1 / 32767)


# --------------------------------------------------------------------------- CTC decoding

ALPHABET = "ab"


def posteriors(rows: list[list[float]]) -> np.ndarray:
    """Rows of probabilities (blank, a, b) → log-probabilities."""
    return np.log(np.array(rows, dtype=np.float64))


def test_greedy_merges_repeats_and_drops_blanks():
    lp = posteriors(
        [[0.1, 0.8, 0.1], [0.1, 0.8, 0.1], [0.8, 0.1, 0.1], [0.1, 0.8, 0.1], [0.1, 0.1, 0.8]]
    )
    assert greedy_decode(lp, ALPHABET) == "aab"
    assert greedy_decode(posteriors([[0.9, 0.05, 0.05]] * 4), ALPHABET) == ""
    assert greedy_decode(np.log(np.eye(37)[[6, 6, 0, 6, 12]] + 1e-9), VOCAB) == "55B"


def test_prefix_beam_finds_the_transcript_greedy_misses():
    # Greedy path: blank, blank → "". But "a" has P = 1 - P(blank, blank) = 1 - 0.36 = 0.64:
    # its probability is spread over three paths (a-, -a, aa), none as likely as "--".
    lp = posteriors([[0.6, 0.4, 1e-9], [0.6, 0.4, 1e-9]])
    assert greedy_decode(lp, ALPHABET) == ""
    best = prefix_beam_decode(lp, ALPHABET, beam_width=4)
    assert best[0].text == "a"
    assert np.exp(best[0].log_prob) == pytest.approx(0.64, abs=1e-6)
    assert {h.text: round(float(np.exp(h.log_prob)), 6) for h in best}[""] == 0.36


def test_prefix_beam_probabilities_are_exact_sums_over_paths():
    rng = np.random.default_rng(0)
    p = rng.dirichlet(np.ones(3), size=3)
    lp = np.log(p)
    # Brute force: every path of 3 steps over {blank, a, b}, collapsed.
    totals: dict[str, float] = {}
    for path in np.ndindex(3, 3, 3):
        text, prev = "", 0
        for k in path:
            if k != prev and k != 0:
                text += ALPHABET[k - 1]
            prev = k
        totals[text] = totals.get(text, 0.0) + float(np.prod([p[t, k] for t, k in enumerate(path)]))
    beam = prefix_beam_decode(lp, ALPHABET, beam_width=50, prune=-np.inf)
    assert {h.text: pytest.approx(np.exp(h.log_prob)) for h in beam} == totals
    assert beam[0].text == max(totals, key=totals.get)


def test_repeated_symbol_needs_a_blank_in_between():
    lp = posteriors([[0.01, 0.98, 0.01], [0.01, 0.98, 0.01], [0.01, 0.98, 0.01]])
    assert prefix_beam_decode(lp, ALPHABET)[0].text == "a"
    lp = posteriors([[0.01, 0.98, 0.01], [0.98, 0.01, 0.01], [0.01, 0.98, 0.01]])
    assert prefix_beam_decode(lp, ALPHABET)[0].text == "aa"


def test_error_rates_by_hand():
    assert edit_distance("5512", "512") == 1 and edit_distance("", "abc") == 3
    assert edit_distance("kitten", "sitting") == 3
    scores = error_rates(["5512", "B"], ["512", "B"])
    assert scores == {"cer": pytest.approx(1 / 5), "string_accuracy": 0.5, "n": 2}
    with pytest.raises(ValueError, match="2 references but 1"):
        error_rates(["a", "b"], ["a"])


# --------------------------------------------------------------------------- DTW baseline


def test_dtw_prefers_the_same_shape_at_another_speed():
    rng = np.random.default_rng(0)
    rising = np.linspace(0, 1, 20)[:, None] * np.ones((1, 4))
    falling = rising[::-1]
    dtw = DTWClassifier([(rising, "up"), (falling, "down")])
    slow_rising = np.repeat(rising, 2, axis=0) + 0.05 * rng.normal(size=(40, 4))
    assert dtw.predict(slow_rising) == "up"
    assert dtw.predict(falling[::2]) == "down"
    distances = dtw.distances(rising)
    assert distances[0] == pytest.approx(0.0, abs=1e-5) and distances[1] > 0.1


def test_pick_templates_spreads_over_voices():
    clips = [(chirp(0.3, i), "7", f"v{i % 3}") for i in range(9)]
    templates = pick_templates(clips, per_label=3)
    assert len(templates) == 3 and all(label == "7" for _, label in templates)
    assert templates[0][0].shape[1] == 40
    assert dtw_features(chirp(0.3)).shape == ((n_frames(4800) + 1) // 2, 40)


# --------------------------------------------------------------------------- data plan


def test_whole_voices_are_held_out():
    requests = plan(SynthesisConfig())
    voices = {split: {r.voice.id for r in reqs} for split, reqs in requests.items()}
    assert not voices["train"] & voices["test"] and not voices["train"] & voices["val"]
    assert not voices["val"] & voices["test"]
    assert {"flite:rms", "festival:ked_diphone", "espeak:en-029+m1"} <= voices["test"]
    engines = {split: {r.voice.engine for r in reqs} for split, reqs in requests.items()}
    assert engines["train"] == engines["test"] == {"espeak", "flite", "festival"}
    assert all(voice_split(v) in ("train", "val", "test") for v in all_voices())


def test_plan_is_deterministic_and_covers_every_symbol():
    a, b = plan(SynthesisConfig(seed=3)), plan(SynthesisConfig(seed=3))
    assert a == b and plan(SynthesisConfig(seed=4)) != a
    words = [r for r in a["train"] if r.kind == "word"]
    assert {r.label for r in words} == set(VOCAB)
    strings = [r for r in a["train"] if r.kind == "digits"]
    assert len(strings) == 1500 and all(3 <= len(r.label) <= 7 for r in strings)
    assert SynthesisConfig().key({"espeak-ng": "1"}) != SynthesisConfig().key({"espeak-ng": "2"})


def test_spoken_text_says_digits_as_words_and_letters_by_name():
    espeak, festival = Voice("espeak", "en-us+m1"), Voice("festival", "kal_diphone")
    assert spoken_text("5512", espeak, [False, True, False]) == "five five, one two"
    assert spoken_text("W", espeak) == "W."
    assert spoken_text("W", festival) == "double you"
    assert labels_to_ids("09AZ") == [1, 10, 11, 36]


def test_augment_is_seeded_and_keeps_audio_in_range():
    x = chirp(0.5)
    a = augment(x, np.random.default_rng(1))
    assert np.array_equal(a, augment(x, np.random.default_rng(1)))
    assert a.dtype == np.float32 and np.abs(a).max() <= 1.0 and np.isfinite(a).all()
    assert 0.85 * len(x) < len(a) < 1.15 * len(x) + 0.4 * SAMPLE_RATE


def test_model_shapes_and_ctc_loss_gradient():
    from rnn_site.train.speech import ctc_loss, pad_waveforms

    model = SpeechCTC(SpeechConfig(conv_channels=8, hidden_size=8))
    x, lengths = pad_waveforms([chirp(0.5), chirp(0.3)])
    log_probs, steps = model(x, lengths)
    assert log_probs.shape == (2, int(steps.max()), 37)
    assert steps.tolist() == step_count(frame_count(lengths)).tolist()
    torch.testing.assert_close(log_probs.exp().sum(-1), torch.ones(2, int(steps.max())))
    loss = ctc_loss(model, (x, lengths, torch.tensor([6, 6, 2]), torch.tensor([2, 1])))
    loss.backward()
    assert torch.isfinite(loss) and model.conv1.weight.grad is not None
