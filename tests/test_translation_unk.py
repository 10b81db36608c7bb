"""What an output <unk> becomes: the packed dictionary file, the rules the experiment compares,
and `rescore` + export on a tiny trained run (the weights untouched, the dictionary shipped
beside the card and read back by the runtime); the published model's dictionary file."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from shipped import MODELS

from rnn_site.data.ding import Pair, pack_words, read_words, unpack_words
from rnn_site.experiments.translator_unk import Decoded, looked_up, rescore, rules

MODEL_DIR = MODELS / "translator"
#: Made-up lines in the Ding format: "dog" and "cat" have entries, "zork" has none.
LINES = [
    "Hund {m} | Hunde {pl} :: dog | dogs",
    "Katze {f} :: cat",
    "rot {adj} :: red",
]


def test_packed_words_round_trip_and_refuse_what_they_cannot_hold():
    table = {"dog": "Hund", "isn't": "ist", "groß": "big"}
    packed = pack_words(table)
    assert packed == {"english": "dog isn't groß", "german": "Hund ist big"}
    assert unpack_words(packed) == table and unpack_words(pack_words({})) == {}
    with pytest.raises(ValueError, match="one word"):
        pack_words({"ice cream": "Eis"})
    with pytest.raises(ValueError):
        unpack_words({"english": "dog cat", "german": "Hund"})


def test_rules_rewrite_only_the_unk_slots():
    found = Decoded(["Der", "<unk>", "sah", "<unk>", "."], [None, 3, None, 2, None],
                    ["the", "old", "bill", "zork"], ["The", "old", "Bill", "Zork"])  # fmt: skip
    table = {"bill": "Rechnung", "old": "alt"}
    texts = {name: found.text(rule) for name, rule in rules({"old": "alt"}, table).items()}
    assert texts == {
        "copy": "Der zork sah bill.",
        "vocabulary": "Der zork sah bill.",
        "vocabulary, as written": "Der Zork sah Bill.",
        "table": "Der zork sah Rechnung.",
        "table, as written": "Der Zork sah Rechnung.",
        "table, names kept": "Der Zork sah Bill.",  # capitalised after the first word
    }
    # The first word is capitalised anyway: "names kept" looks it up like any other.
    assert looked_up(table, as_written=True, names=True)(["bill"], ["Bill"], 0) == "Rechnung"


def test_rescore_keeps_the_weights_and_ships_the_whole_table(tmp_path, monkeypatch):
    """A tiny run: rescore gives its checkpoint every word of the lookup table (most outside
    the model's vocabulary) and metrics.json the test scores of the trainer's own scoring;
    the export writes dictionary.json, which the runtime reads back and translates with."""
    from rnn_site.baselines.word_lookup import translation_scores
    from rnn_site.export.translator import export_translator
    from rnn_site.runtime import ModelIntegrityError
    from rnn_site.runtime import Translator as RuntimeTranslator
    from rnn_site.train import translator as trainer

    monkeypatch.setattr(trainer, "read_lines", lambda: LINES)
    # English of 3 words out of 9 (the model reads 6 of them), German the same words titled.
    rng = np.random.default_rng(0)
    words = rng.choice(["red", "dog", "cat", "sun", "moon", "star", "tree", "sky", "sea"], (120, 3))
    splits = ["test", "val", *["train"] * 8]
    pairs = [Pair(" ".join(w) + ".", " ".join(w).title() + ".", splits[i % 10], i)
             for i, w in enumerate(words)]  # fmt: skip
    sizes = {"embed_dim": 8, "encoder_hidden": 8, "decoder_hidden": 16, "src_vocab": 10,
             "tgt_vocab": 10, "min_count": 1, "dropout": 0.0, "phrases": 0.0}  # fmt: skip
    budget = {"max_steps": 60, "eval_every": 60, "lr": 1e-2, "batch": 32}
    out = tmp_path / "translator"
    trainer.train_translator(out, hparams=trainer.TranslatorTrainConfig(**sizes, **budget),
                             pairs=pairs, threads=1, progress=False)  # fmt: skip
    before = torch.load(out / "translator.pt", weights_only=True)["state_dict"]
    log = rescore(out, pairs=pairs, progress=False)

    model, vocabs = trainer.load_translator(out / "translator.pt")
    after = torch.load(out / "translator.pt", weights_only=True)
    assert all(torch.equal(before[k], after["state_dict"][k]) for k in before)
    # The dictionary is kept once, beside the checkpoint, in the file the export ships.
    assert after["vocab"]["dictionary"] == "dictionary.json"
    assert read_words(out / "dictionary.json") == vocabs.dictionary
    assert vocabs.dictionary == {"dog": "Hund", "dogs": "Hunde", "cat": "Katze", "red": "rot"}
    assert len(vocabs.src) == 10 and "dogs" not in vocabs.src.index  # unreadable, yet in it
    test = [p for p in pairs if p.split == "test"]
    greedy = [trainer.translate(model, vocabs, p.en).text for p in test]
    assert log["results"]["greedy"] == translation_scores(greedy, [p.de for p in test], True)
    assert log["data"]["unk_dictionary"] == 4 and log["rescored"]["unk_rule"]
    assert json.loads((out / "metrics.json").read_text("utf-8")) == log

    export_translator(out / "translator.pt", out)
    card = json.loads((out / "card.json").read_text("utf-8"))
    assert card["files"]["dictionary"] == "dictionary.json" and "unk_dictionary" not in card
    assert card["results"] == log["results"]
    assert f"(`{log['rescored']['command']}`)" in card["metrics_note"]  # the curve predates it
    runtime = RuntimeTranslator.load(out)
    assert runtime.dictionary == vocabs.dictionary
    replaced = set()
    for text in ("Red Zork dog.", "cat sun moon dogs"):
        got, want = runtime.translate(text, beam_width=2), trainer.translate(model, vocabs, text, 2)
        assert got.pieces == want.pieces and got.replaced == want.replaced
        replaced |= {p for p, r in zip(got.pieces, got.replaced, strict=True) if r}
    assert "Hunde" in replaced  # "dogs", a word outside the model's vocabulary, looked up
    # Read when first needed, and hash-checked against the manifest like the graphs.
    path = out / "dictionary.json"
    path.write_text(path.read_text("utf-8").replace("Hunde", "Katzen"), encoding="utf-8")
    with pytest.raises(ModelIntegrityError, match=r"dictionary\.json: sha256 is"):
        RuntimeTranslator.load(out).translate("cat sun moon dogs")
    assert RuntimeTranslator.load(out, verify=False).dictionary["dogs"] == "Katzen"


def test_the_card_says_whether_the_validation_curve_shares_the_tests_unk_rule():
    """A run re-scored after training kept the validation history it logged with its old
    `<unk>` rule; the card's metrics note says so, naming the command that re-scored it."""
    from rnn_site.export.card_text import card_text
    from rnn_site.export.translator import validation_note

    text = card_text("translator")
    assert "same rule for an output `<unk>`" in validation_note(text, {})
    command = "python -m rnn_site.experiments.translator_unk --rescore models/translator"
    note = validation_note(text, {"rescored": {"command": command}})
    assert f"(`{command}`)" in note and "with the rule it had then" in note
    published = json.loads((MODELS / "translator" / "metrics.json").read_text())
    card_note = json.loads((MODELS / "translator" / "card.json").read_text())["metrics_note"]
    assert validation_note(text, published) in card_note


def test_published_dictionary_is_its_own_hash_checked_file_under_2_mb():
    card = json.loads((MODEL_DIR / "card.json").read_text("utf-8"))
    path = MODEL_DIR / card["files"]["dictionary"]
    assert path.stat().st_size < 2_000_000 and (MODEL_DIR / "card.json").stat().st_size < 2_000_000
    assert "GPL" in json.loads(path.read_text("utf-8"))["licence"]
    dictionary = read_words(path)
    log = json.loads((MODEL_DIR / "metrics.json").read_text("utf-8"))
    assert len(dictionary) == log["data"]["unk_dictionary"] > 80_000
    # Words the model does not know are in it: what the first, vocabulary-only one lacked.
    known = set(card["vocab"]["src"])
    unknown = [w for w in dictionary if w not in known]
    assert len(unknown) > 70_000 and dictionary["station"] == "Bahnhof"
