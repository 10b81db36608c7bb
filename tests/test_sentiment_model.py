"""Sentiment slice: baselines, export parity (torch ↔ onnxruntime), runtime errors, and the
trained model beating bag-of-words on the movie-review test set."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from shipped import MODELS, ROOT, runtime_fixture

from rnn_site.baselines.bow import BagOfWords, classification_scores
from rnn_site.baselines.vader_rules import vader_predict
from rnn_site.export.manifest import verify
from rnn_site.runtime import (
    EmptyTextError,
    InvalidArgumentError,
    InvalidLengthError,
    InvalidTextError,
    TextTooLongError,
)

MODEL_DIR = MODELS / "sentiment"
model = runtime_fixture("sentiment")


def test_classification_scores_by_hand():
    # class 1: tp=2 fp=1 fn=0 → F1 0.8; class 0: tp=1 fp=0 fn=1 → F1 2/3.
    scores = classification_scores([1, 1, 0, 0], [1, 1, 1, 0])
    assert scores == pytest.approx({"accuracy": 0.75, "macro_f1": (0.8 + 2 / 3) / 2})


def test_vader_predict_thresholds():
    assert vader_predict([0.3, -0.1, 0.0], neutral_label=1).tolist() == [1, 0, 1]
    assert vader_predict([0.0], neutral_label=0).tolist() == [0]


def test_bag_of_words_learns_word_weights():
    # word 2 means positive, word 3 negative, word 4 is noise.
    rng = np.random.default_rng(0)
    ids, labels = [], []
    for _ in range(200):
        y = int(rng.integers(2))
        ids.append(np.array([2 if y else 3, 4], dtype=np.int64))
        labels.append(y)
    bow = BagOfWords.fit(ids, labels, vocab_size=5, l2=1e-3, steps=300)
    assert bow.weights[2] > 1 and bow.weights[3] < -1 and abs(bow.weights[4]) < 0.5
    assert bow.predict(ids).tolist() == labels


def test_export_parity_torch_onnxruntime(tmp_path):
    from rnn_site.export.sentiment import export_sequence
    from rnn_site.models.sentiment import SentimentConfig, SentimentLSTM
    from rnn_site.onnx_session import create_session

    torch.manual_seed(0)
    net = SentimentLSTM(SentimentConfig(vocab_size=30, embed_dim=8, hidden_size=12)).eval()
    export_sequence(net, tmp_path / "s.onnx", {"name": "test"})
    session = create_session(tmp_path / "s.onnx")
    for shape in [(1, 1), (1, 7), (3, 5)]:
        tokens = torch.randint(0, 30, shape)
        logits, rating = net(tokens)
        got_logits, got_rating = session.run(None, {"tokens": tokens.numpy()})
        np.testing.assert_allclose(got_logits, logits.detach().numpy(), atol=1e-5)
        np.testing.assert_allclose(got_rating, rating.detach().numpy(), atol=1e-5)


def test_runtime_matches_torch_checkpoint(model):
    from rnn_site.train.sentiment import load_sentiment

    net, vocab = load_sentiment(MODEL_DIR / "sentiment.pt")
    text = "Not bad at all, but the zzqxv ending drags!"
    result = model.predict(text)
    with torch.no_grad():
        logits, rating = net(torch.from_numpy(vocab.encode(result.tokens))[None])
    np.testing.assert_allclose(result.trajectory, torch.sigmoid(logits[0]).numpy(), atol=1e-5)
    np.testing.assert_allclose(result.ratings, rating[0].numpy(), atol=1e-4)
    assert result.tokens[-2:] == ["drags", "!"]
    assert result.unknown == [t == "zzqxv" for t in result.tokens]
    assert len(result.trajectory) == len(result.tokens)


def test_word_order_matters_to_the_lstm(model):
    assert model.probability("a good film") > 0.5
    assert model.probability("not a good film") < model.probability("a good film")


@pytest.mark.parametrize(
    ("text", "error", "message"),
    [
        ("", EmptyTextError, "no words"),
        ("  ... -- ", EmptyTextError, "no words"),
        ("!!!", EmptyTextError, "no words"),  # tokens, but no word: the browser refuses it too
        (":) !?", EmptyTextError, "no words"),
        ("a " * 1001, TextTooLongError, "1001 words; at most 1000"),
        ("x" * 5001, TextTooLongError, "5,001 characters"),
        (b"good", InvalidTextError, "must be a str, got bytes"),
        (None, InvalidTextError, "got NoneType"),
        (["good"], InvalidTextError, "got list"),
    ],
)
def test_bad_input_raises_typed_errors(model, text, error, message):
    with pytest.raises(error, match=message) as info:
        model.predict(text)
    assert isinstance(info.value, InvalidArgumentError)
    assert isinstance(info.value, ValueError)


def test_too_long_is_a_length_error(model):
    with pytest.raises(InvalidLengthError):
        model.predict("x" * 6000)


def test_trained_lstm_beats_bag_of_words_on_movie_reviews():
    card = json.loads((MODEL_DIR / "card.json").read_text("utf-8"))
    results = card["results"]
    for metric in ("accuracy", "macro_f1"):
        lstm = results["lstm"]["test"]["movie"][metric]
        bow = results["bag-of-words"]["test"]["movie"][metric]
        assert lstm > bow + 0.01, (metric, lstm, bow)
    assert card["examples"]["word_order"] and card["examples"]["lstm_fails"]
    assert len(card["vocab"]) == card["config"]["vocab_size"]


def test_manifest_lists_the_sentiment_files():
    assert verify(ROOT / "models") == []
    manifest = json.loads((ROOT / "models" / "manifest.json").read_text("utf-8"))
    entry = next(m for m in manifest["models"] if m["name"] == "sentiment")
    paths = {f["path"] for f in entry["files"]}
    assert {"sentiment/sequence.onnx", "sentiment/card.json", "sentiment/README.md"} <= paths


def test_example_runs(capsys):
    import runpy

    runpy.run_module("rnn_site.examples.use_sentiment", run_name="__main__")
    assert 0 <= float(capsys.readouterr().out) <= 1
