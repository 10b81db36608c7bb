"""The cached VADER ratings, their split and the tokenizer (no network: the file is in git)."""

from __future__ import annotations

import hashlib
from collections import Counter

import pytest

from rnn_site.data.vader import (
    CACHE_PATH,
    CACHE_SHA256,
    Vocab,
    binary_splits,
    load_sentences,
    parse_ground_truth,
    tokenize,
)


def test_cached_file_is_the_committed_one_and_complete():
    assert hashlib.sha256(CACHE_PATH.read_bytes()).hexdigest() == CACHE_SHA256
    sentences = load_sentences()
    counts = Counter(s.domain for s in sentences)
    # The numbers: the four ground-truth files of hutto_ICWSM_2014.
    assert counts == {"movie": 10605, "amazon": 3708, "nyt": 5190, "tweets": 4200}
    assert all(-4 <= s.rating <= 4 and -1 <= s.vader <= 1 for s in sentences)
    assert len({(s.domain, s.id) for s in sentences}) == len(sentences)


def test_split_is_stratified_by_domain_and_label():
    splits = binary_splits()
    for name, part in (("val", splits.val), ("test", splits.test)):
        for domain in ("movie", "amazon", "nyt", "tweets"):
            train = [s.label for s in splits.train if s.domain == domain]
            held = [s.label for s in part if s.domain == domain]
            assert len(held) == pytest.approx(len(train) / 8, rel=0.02), (name, domain)
            assert sum(held) / len(held) == pytest.approx(sum(train) / len(train), abs=0.01)
    assert all(s.rating != 0 for s in splits.train + splits.val + splits.test)
    texts = {(s.domain, s.id) for s in splits.test}
    assert not texts & {(s.domain, s.id) for s in splits.train}


def test_tokenize():
    assert tokenize("I don't like it.") == ["i", "don't", "like", "it"]
    assert tokenize("It wasn’t BAD!!!") == ["it", "wasn't", "bad", "!", "!", "!"]
    assert tokenize("naïve café") == ["na", "ve", "caf"]  # ASCII only, on purpose (JS parity)
    assert tokenize("\u212a ſ ...") == []  # no Unicode case folding onto ASCII letters
    assert tokenize("") == []


def test_vocab_and_parse():
    vocab = Vocab.build(["good good bad", "good"], min_count=2)
    assert vocab.words == ["<pad>", "<unk>", "good"]
    assert vocab.encode(["good", "bad"]).tolist() == [2, 1]
    with pytest.raises(ValueError, match="starts with"):
        Vocab(["good"])
    rows = parse_ground_truth("1_2\t-0.15\trepost, with a\ttab\r\n\r\n", "amazon")
    assert rows == [
        {"domain": "amazon", "id": "1_2", "text": "repost, with a\ttab", "rating": -0.15}
    ]


def test_missing_cache_says_how_to_rebuild(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"python -m rnn_site.data.vader"):
        load_sentences(tmp_path / "nope.json.gz")


def test_page_table_matches_the_model_card():
    import json
    from pathlib import Path

    from rnn_site.export.sentiment import _domain_table
    from rnn_site.sitebuild.page_data import render_data

    root = Path(__file__).resolve().parents[1]
    card = json.loads((root / "models/sentiment/card.json").read_text("utf-8"))
    page = (root / "docs/applications/sentiment.md").read_text("utf-8")
    assert _domain_table(card["results"]) in render_data(page)


def test_page_examples_and_sizes_match_the_model_card():
    """The example rows, the vocabulary size and the download size the page shows are the card's."""
    import json
    import re
    from pathlib import Path

    from rnn_site.sitebuild.page_data import render_data

    root = Path(__file__).resolve().parents[1]
    card = json.loads((root / "models/sentiment/card.json").read_text("utf-8"))
    page = render_data((root / "docs/applications/sentiment.md").read_text("utf-8"))
    examples = {r["text"]: r for rows in card["examples"].values() for r in rows}
    rows = re.findall(r"^\| (.+?) \| [+−][\d.]+ \| ([\d.]+) \| ([\d.]+) \|$", page, re.M)
    assert len(rows) >= 6
    for text, lstm, bow in rows:
        assert text in examples, f"not among the card's examples: {text}"
        assert (lstm, bow) == (f"{examples[text]['lstm']:.2f}", f"{examples[text]['bow']:.2f}")
    vocab = card["config"]["vocab_size"]
    assert f"{vocab:,} known words" in page and f"{vocab:,} most frequent" in page
    size = (root / "models/sentiment/sequence.onnx").stat().st_size
    assert size < 2_000_000, f"sequence.onnx is {size:,} bytes; keep it under 2 MB"
    assert f"about {size / 1e6:.1f} MB" in page
