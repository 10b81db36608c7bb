"""The translation page's "What to try" list: its German comes from measured results, and what
its prose says about that German is checked here.

The outputs are rnn_site/experiments/results/translator_try.json
(`rnn_site.experiments.translator_try`), measured on the published model; the page quotes them
through ``<!-- data:translator:try:KEY.SEARCH -->``. The prose around them makes claims about
particular outputs (a word that never comes, a wrong article, which English word a German word
looks at); each ``test_claim_*`` below pins one, so a retrained model that breaks it fails here
with a message saying to reread the list, instead of leaving the page quietly wrong.

After retraining: ``python -m rnn_site.experiments.translator_try``, then reread the list.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from shipped import MODELS, ROOT, run_without, runtime_fixture

from rnn_site.experiments import translator_try
from rnn_site.experiments.translator_try import RESULTS, SENTENCES, model_sha256, translate_one
from rnn_site.sitebuild import translator_try_data
from rnn_site.sitebuild.page_data import PageDataError, render_data

PAGE = ROOT / "docs" / "applications" / "translation.md"
RERUN = "python -m rnn_site.experiments.translator_try"
REREAD = (
    f'the "What to try" list of {PAGE.relative_to(ROOT)} says otherwise: reread its prose '
    f"against rnn_site/experiments/results/translator_try.json (after {RERUN}) and fix it"
)

model = runtime_fixture("translator")


@pytest.fixture(scope="module")
def found() -> dict[str, Any]:
    return dict(json.loads(RESULTS.read_text("utf-8")))


def output(found: dict[str, Any], key: str, search: str) -> dict[str, Any]:
    return dict(found["sentences"][key][search])


def attends(out: dict[str, Any], word: str) -> list[str]:
    """The English tokens each occurrence of the German ``word`` attends to most."""
    return [p["attends"] for p in out["pieces"] if p["piece"] == word]


def what_to_try() -> str:
    """The list's Markdown, as typed (placeholders unresolved)."""
    text = PAGE.read_text("utf-8")
    return text[text.index("What to try:") : text.index("## The data")]


# ------------------------------------------------------------------ the results and the build


def test_results_measured_on_the_published_model(found: dict[str, Any]) -> None:
    assert found["model_sha256"] == model_sha256(MODELS / "translator"), (
        f"{RESULTS.name} was measured on other model files: run {RERUN}, then reread the list"
    )
    card = json.loads((MODELS / "translator" / "card.json").read_text("utf-8"))
    assert found["beam"] == card["beam"]
    assert {key: s["english"] for key, s in found["sentences"].items()} == SENTENCES


def test_rerun_reproduces_the_stored_output(model: Any, found: dict[str, Any]) -> None:
    # The proposal, on which greedy and beam search disagree in word order. The words
    # exactly; the rounded numbers within what another CPU's float arithmetic may change.
    for search, width in (("greedy", 1), ("beam", found["beam"])):
        again, stored = (
            translate_one(model, SENTENCES["proposal"], width),
            output(found, "proposal", search),
        )
        for key in ("beam_width", "text", "words", "finished"):
            assert again[key] == stored[key], key
        assert [(p["piece"], p["from"], p["attends"]) for p in again["pieces"]] == [
            (p["piece"], p["from"], p["attends"]) for p in stored["pieces"]
        ]
        assert [p["weight"] for p in again["pieces"]] == pytest.approx(
            [p["weight"] for p in stored["pieces"]], abs=2e-3
        )
        assert again["score"] == pytest.approx(stored["score"], abs=1e-3)
        assert again["average"] == pytest.approx(stored["average"], abs=1e-3)


def test_dictionary_and_copies_are_told_apart(model: Any) -> None:
    out = translate_one(model, SENTENCES["berlin"], 1)
    for piece in out["pieces"]:
        if piece["from"] == "dictionary":
            assert model.dictionary[piece["attends"]] == piece["piece"]
    copied = translate_one(model, SENTENCES["station"], 1)["pieces"]
    assert [p["piece"] for p in copied if p["from"] == "copied"] == ["Zzqxv"]  # as typed


def test_experiment_needs_no_torch(tmp_path: Path) -> None:
    script = (
        "from rnn_site.experiments.translator_try import main\n"
        "raise SystemExit(main(['--json', sys.argv[1]]))\n"
    )
    path = tmp_path / "try.json"
    run_without(("torch", "onnx"), script, str(path))
    assert json.loads(path.read_text("utf-8"))["sentences"].keys() == SENTENCES.keys()


def test_generator_renders_the_stored_outputs(found: dict[str, Any]) -> None:
    for key in SENTENCES:
        for search in ("greedy", "beam"):
            said = render_data(f"<!-- data:translator:try:{key}.{search} -->")
            assert said == output(found, key, search)["text"]
    with pytest.raises(PageDataError, match=r"expected KEY\.SEARCH"):
        render_data("<!-- data:translator:try:party.beam5 -->")
    with pytest.raises(PageDataError, match=r"expected KEY\.SEARCH"):
        render_data("<!-- data:translator:try:nonsense.beam -->")


def test_page_types_inputs_and_quotes_outputs_through_the_build(found: dict[str, Any]) -> None:
    """Every output the list quotes is a placeholder, and the English it translates is typed in
    the same bullet or an earlier one ("the proposal above")."""
    listed = what_to_try()
    used, read = set(), ""
    for bullet in listed.split("\n- ")[1:]:
        read += " " + " ".join(bullet.split())
        for key in re.findall(r"data:translator:try:(\w+)\.\w+", bullet):
            used.add(key)
            assert SENTENCES[key] in read, f"{key}: the list must type {SENTENCES[key]!r}"
    assert used == set(SENTENCES), "every measured sentence is quoted, and only those"
    for sentence in found["sentences"].values():
        for search in ("greedy", "beam"):
            text = sentence[search]["text"]
            assert text not in read, f"{text!r} is typed into the page"
    rendered = render_data(listed)
    assert "<!-- data:" not in rendered
    assert f'"{output(found, "party", "beam")["text"]}"' in rendered


def stale_models(tmp_path: Path) -> Path:
    """A models folder holding the published translator with one byte more in card.json."""
    folder = tmp_path / "translator"
    folder.mkdir()
    for path in (MODELS / "translator").iterdir():
        if path.name == "card.json":
            (folder / path.name).write_text(path.read_text("utf-8") + "\n", "utf-8")
        else:
            (folder / path.name).symlink_to(path)
    return tmp_path


def test_results_of_other_model_files_are_refused(tmp_path: Path) -> None:
    models = stale_models(tmp_path)
    with pytest.raises(PageDataError) as refused:
        translator_try_data.try_output(models, "party.beam")
    assert "card.json" in str(refused.value)
    assert f"{RERUN} --models-dir {models}" in str(refused.value)
    assert "What to try" in str(refused.value)


def test_missing_or_outdated_results_are_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(translator_try.SENTENCES, "party", "He came to the party.")
    with pytest.raises(
        PageDataError, match=re.escape("no translation of 'He came to the party.': run " + RERUN)
    ):
        translator_try_data.try_output(MODELS, "party.beam")
    monkeypatch.setattr(translator_try_data, "RESULTS", tmp_path / "none.json")
    with pytest.raises(PageDataError, match="write it with python -m"):
        translator_try_data.try_output(MODELS, "party.beam")


# ------------------------------------------------------------------ what the prose claims


def test_claim_word_order(found: dict[str, Any]) -> None:
    """The list says: "after "weil" German puts the verb last, and the model does: "krank"
    looks at "ill" and "war" at "was" … "gekommen" never comes, and "zu den Party" has the
    wrong article"."""
    out = output(found, "party", "beam")
    words = out["words"]
    assert "weil" in words and words[-2:] == ["war", "."], REREAD
    assert attends(out, "krank") == ["ill"] and attends(out, "war") == ["was"], REREAD
    assert "gekommen" not in words, REREAD
    assert "zu den Party" in out["text"], REREAD


def test_claim_greedy_moves_a_phrase(found: dict[str, Any]) -> None:
    """The list says: "Greedy search moves a whole phrase the German way" (the object after
    "mit diesem Vorschlag"), and "on the proposal above [the beam] writes … (a wrong
    article)"."""
    greedy, beam = output(found, "proposal", "greedy"), output(found, "proposal", "beam")
    words = greedy["words"]
    assert "Problem" in words and "Vorschlag" in words, REREAD
    assert words.index("Vorschlag") < words.index("Problem"), REREAD
    assert "einen Problem" in beam["text"], REREAD  # Problem is neuter: "ein Problem"


def test_claim_beam_rates_likelier_and_scores_higher(found: dict[str, Any]) -> None:
    """The list says: "The beam finds sentences the model rates likelier, which is not always
    better: on the proposal above …" and "Over the whole test set the beam scores higher"."""
    greedy, beam = output(found, "proposal", "greedy"), output(found, "proposal", "beam")
    assert beam["text"] != greedy["text"], REREAD
    assert beam["average"] > greedy["average"], REREAD
    card = json.loads((MODELS / "translator" / "card.json").read_text("utf-8"))
    with_beam, greedy_test = card["results"][f"beam-{card['beam']}"], card["results"]["greedy"]
    assert with_beam["bleu"] > greedy_test["bleu"], REREAD
    assert with_beam["chrf"] > greedy_test["chrf"], REREAD


def test_claim_nouns_capitalised(found: dict[str, Any]) -> None:
    """The list says: "come out with their nouns capitalised": the German word that looks most
    at each English noun (not the sentence's first word, capitalised anyway) starts with a
    capital."""
    for key, noun in [("train", "train"), ("light", "light"), ("cold", "cold"),
                      ("father", "father"), ("father", "doctor")]:  # fmt: skip
        pieces = output(found, key, "beam")["pieces"][1:]
        german = [p["piece"] for p in pieces if p["attends"] == noun]
        assert any(word[:1].isupper() for word in german), f"{key}, {noun}: {german}; {REREAD}"


def test_claim_idioms_defeat_both(found: dict[str, Any]) -> None:
    """The list says: "Short idioms defeat both": neither search says the weather is nice, and
    neither asks for the book to be given to me."""
    nice = {"schön", "schönes", "gut", "gutes", "herrlich", "nett", "prima", "toll", "sonnig"}
    for search in ("greedy", "beam"):
        weather = set(output(found, "weather", search)["words"])
        assert not ("Wetter" in weather and weather & nice), f"weather, {search}: {REREAD}"
        book = output(found, "book", search)
        right = "Buch" in book["words"] and "mir" in book["words"]
        assert not (right or book["text"] == "Her mit dem Buch!"), f"book, {search}: {REREAD}"


def test_claim_unknown_words(found: dict[str, Any]) -> None:
    """The list says: "the name is copied as typed (highlighted), and the station is lost";
    greedy, "Tom" is in the dictionary as "Kater" and "lives" comes out of it as "Leben";
    "Berlin" is lost either way."""
    for key, name in [("station", "zzqxv"), ("berlin", "berlin")]:  # "<unk> on the way in"
        sentence = found["sentences"][key]
        assert dict(zip(sentence["source"], sentence["source_unknown"], strict=True))[name]
    pieces = output(found, "station", "beam")["pieces"]
    copied = [(p["from"], p["attends"]) for p in pieces if p["piece"] == "Zzqxv"]
    assert copied == [("copied", "zzqxv")], REREAD
    assert not any(p["attends"] == "station" for p in pieces), REREAD
    assert "Bahnhof" not in output(found, "station", "beam")["words"], REREAD

    greedy = {
        (p["piece"], p["from"], p["attends"]) for p in output(found, "berlin", "greedy")["pieces"]
    }
    assert ("Kater", "dictionary", "tom") in greedy, REREAD
    assert ("Leben", "dictionary", "lives") in greedy, REREAD
    for search in ("greedy", "beam"):
        out = output(found, "berlin", search)
        assert "Berlin" not in out["words"], f"berlin, {search}: {REREAD}"
        assert "berlin" not in [p["attends"] for p in out["pieces"]], f"berlin, {search}: {REREAD}"


def test_claim_long_sentences_drift(found: dict[str, Any]) -> None:
    """The list says: "words come twice, and the doctor is gone"."""
    out = output(found, "long", "beam")
    words = [w.lower() for w in out["words"] if len(w) >= 3]
    assert len(set(words)) < len(words), REREAD
    assert "Arzt" not in out["words"], REREAD
    assert "doctor" not in [p["attends"] for p in out["pieces"]], REREAD
