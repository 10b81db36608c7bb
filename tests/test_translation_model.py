"""Translation slice: beam search, the lookup baseline, the model's masks, training, export parity
(torch ↔ onnxruntime, dynamic axes, declared shapes), the runtime (greedy, beam, typed errors),
and the trained model beating the word-by-word baseline on its card."""

from __future__ import annotations

import json
import math
from collections import Counter

import numpy as np
import pytest
import torch
from shipped import MODELS, ROOT, runtime_fixture

from rnn_site.baselines.word_lookup import WordLookup, translation_scores
from rnn_site.data.bpe import BPE, join, learn_merges
from rnn_site.data.ding import Pair
from rnn_site.decoding.beam import beam_search, replace_unknown
from rnn_site.export.manifest import verify
from rnn_site.models.translator import Translator, TranslatorConfig, reverse_padded
from rnn_site.runtime import (
    EmptyTextError,
    InvalidArgumentError,
    InvalidBeamError,
    InvalidLengthError,
    InvalidTextError,
    ModelMismatchError,
    TextTooLongError,
)
from rnn_site.runtime import Translator as RuntimeTranslator
from rnn_site.sitebuild.page_data import render_data

MODEL_DIR = MODELS / "translator"
runtime = runtime_fixture("translator")


# --------------------------------------------------------------------------- search


def table_step(table: dict[tuple[int, ...], list[float]]):
    """A decoder whose next-word probabilities depend on the words so far (state = prefixes)."""

    def step(prev, state):
        prefixes = [(*p, int(w)) for p, w in zip(state, prev, strict=True)]
        log_probs = np.log(np.array([table.get(p[1:], [0.25] * 4) for p in prefixes]) + 1e-12)
        return log_probs, prefixes, np.ones((len(prefixes), 2)) / 2

    def select(state, index):
        return [state[i] for i in index]

    return step, select


def test_beam_search_finds_what_greedy_misses():
    # ids: 0 <s>, 1 </s>, 2 "a", 3 "b". Greedy takes "a" (0.6) then must go on with low
    # probabilities; "b" (0.4) then </s> (0.9) is the better sentence.
    table = {
        (): [0.0, 0.0, 0.6, 0.4],
        (2,): [0.0, 0.3, 0.35, 0.35],
        (3,): [0.0, 0.9, 0.05, 0.05],
    }
    step, select = table_step(table)
    greedy = beam_search(step, select, [()], bos=0, eos=1, beam=1, max_len=5)
    assert greedy.ids[:2] == [2, 2]  # likeliest word at every step
    best = beam_search(step, select, [()], bos=0, eos=1, beam=2, max_len=5)
    assert best.ids == [3] and best.finished
    assert best.score == pytest.approx(math.log(0.4) + math.log(0.9))
    assert len(best.attention) == 2  # "b" and </s>


def test_beam_search_stops_at_max_len_and_checks_arguments():
    step, select = table_step({})
    out = beam_search(step, select, [()], bos=0, eos=1, beam=1, max_len=3)
    assert not out.finished and len(out.ids) == 3
    with pytest.raises(ValueError, match="beam and max_len"):
        beam_search(step, select, [()], bos=0, eos=1, beam=0)


def test_replace_unknown_copies_the_most_attended_word():
    words, replaced = replace_unknown(
        ["ich", "<unk>", "."], [np.array([0.9, 0.1]), np.array([0.2, 0.8]), np.ones(2)],
        ["i", "zork"], "<unk>",
    )  # fmt: skip
    assert words == ["ich", "zork", "."] and replaced == [False, True, False]
    # With a dictionary: its German word where it has one ("i" → "ich"), else the copy.
    attention = [np.array([0.9, 0.1]), np.array([0.2, 0.8])]
    words, _ = replace_unknown(["<unk>", "<unk>"], attention, ["i", "zork"], "<unk>", {"i": "ich"})
    assert words == ["ich", "zork"]
    # Given the source as typed, a copied word keeps its case; the dictionary is still asked
    # with the word as the model reads it.
    typed = ["I", "Zork"]
    words, _ = replace_unknown(
        ["<unk>", "<unk>"], attention, ["i", "zork"], "<unk>", {"i": "ich"}, typed
    )
    assert words == ["ich", "Zork"]


# --------------------------------------------------------------------------- BPE


def test_bpe_merges_frequent_pairs_first():
    counts = Counter({"lower": 5, "lowest": 2, "newer": 6, "wider": 3})
    merges = learn_merges(counts, 3)
    # "e"+"r</w>" occurs in lower, newer, wider (14 times): the most frequent pair.
    assert merges[0] == ("e", "r</w>")
    bpe = BPE(learn_merges(counts, 50))
    assert bpe.encode(["newer", "lowest"]) == ["newer", "lowest"]  # frequent enough: whole
    assert merges[1:] == [("w", "er</w>"), ("l", "o")]
    # Pieces that continue into the next carry "@@"; "er" at a word's end differs from inside.
    assert BPE(merges).encode(["newer", "renew"]) == [
        "n@@", "e@@", "wer", "r@@", "e@@", "n@@", "e@@", "w",
    ]  # fmt: skip
    assert join(BPE(merges).encode(["newer", "renew", "."])) == ["newer", "renew", "."]
    assert join(["ab@@", "c", "d@@"]) == ["abc", "d"]  # cut off mid-word: kept


# --------------------------------------------------------------------------- baseline

LINES = [
    "Hund {m}; Köter {m} | Hunde {pl} :: dog; mutt | dogs",
    "Katze {f} :: cat",
    "groß; riesig {adj} :: big; large",
    "der; die; das {art} :: the",
    "die {art} :: the",
]


def test_word_lookup_and_scores():
    lookup = WordLookup.build(LINES, ["Die Katze ist groß.", "Die Hunde."])
    assert lookup.table["the"] == "die"  # the more frequent German candidate in training text
    assert lookup.table["large"] == "groß"
    assert lookup.translate("The big dogs bark.") == "die groß hunde bark ."
    perfect = translation_scores(["Die Katze ist groß."], ["die katze ist groß ."])
    assert perfect == {"bleu": 100.0, "chrf": 100.0}
    cased = WordLookup.build(LINES, ["Die Katze ist groß.", "Die Hunde."], cased=True)
    assert (
        cased.translate("The big cat.") == "Der groß Katze."
    )  # "Katze" as the dictionary writes it
    # Cased, "katze" for "Katze" is a wrong word: BLEU drops from 100.
    assert translation_scores(["Die katze ist groß."], ["Die Katze ist groß."], True)["bleu"] < 60
    assert translation_scores(["x y z"], ["die katze ist groß ."])["bleu"] == 0.0


# --------------------------------------------------------------------------- model


def tiny_model() -> Translator:
    torch.manual_seed(0)
    return Translator(TranslatorConfig(30, 40, 8, 6, 10, dropout=0.0)).eval()


def test_reverse_padded_reverses_within_lengths():
    x = torch.tensor([[1, 2, 3, 0], [4, 5, 6, 7]])
    out = reverse_padded(x, torch.tensor([3, 4]))
    assert out.tolist() == [[3, 2, 1, 0], [7, 6, 5, 4]]
    assert reverse_padded(out, torch.tensor([3, 4])).tolist() == x.tolist()


def test_padding_changes_nothing():
    model = tiny_model()
    src = torch.tensor([[5, 6, 7]])
    padded = torch.tensor([[5, 6, 7, 0, 0]])
    prev = torch.tensor([[2, 9, 10]])
    alone = model(src, torch.ones(1, 3), prev)
    batch = model(padded, (padded != 0).float(), prev)
    torch.testing.assert_close(batch, alone, atol=1e-5, rtol=0)
    memory, h, c = model.encode(padded, (padded != 0).float())
    _, _, _, weights = model.step(torch.tensor([2]), h, c, memory, (padded != 0).float())
    assert weights[0, 3:].abs().max() == 0 and weights.sum().item() == pytest.approx(1)


def test_step_matches_teacher_forcing():
    model = tiny_model()
    src = torch.tensor([[5, 6, 7, 8]])
    mask = torch.ones(1, 4)
    prev = torch.tensor([[2, 11, 12]])
    full = torch.log_softmax(model(src, mask, prev), -1)
    memory, h, c = model.encode(src, mask)
    for t in range(3):
        log_probs, h, c, _ = model.step(prev[:, t], h, c, memory, mask)
        torch.testing.assert_close(log_probs, full[:, t], atol=1e-5, rtol=0)


def test_training_smoke_learns_a_copy_task_in_bpe_pieces(tmp_path, monkeypatch):
    from rnn_site.train import translator as trainer

    words = ["Eins", "Zwei", "Drei", "Vier", "Fünf", "Sechs"]
    rng = np.random.default_rng(0)
    pairs = []
    for i in range(240):
        chosen = " ".join(rng.choice(words, size=4))
        split = "test" if i % 10 == 0 else "val" if i % 10 == 1 else "train"
        pairs.append(Pair(f"{chosen}.", f"{chosen}!", split, i))
    monkeypatch.setattr(trainer, "read_lines", lambda: LINES)
    hparams = trainer.TranslatorTrainConfig(
        embed_dim=16, encoder_hidden=16, decoder_hidden=32, max_steps=140, eval_every=70,
        dropout=0.0, lr=1e-2, batch=32, bpe_merges=6, phrases=0.0,
    )  # fmt: skip
    metrics = trainer.train_translator(
        tmp_path, threads=1, progress=False, hparams=hparams, pairs=pairs
    )
    history = metrics["history"]
    assert history[-1]["val_loss"] < 0.5 * history[0]["val_loss"]
    assert metrics["results"]["greedy"]["chrf"] > 80
    model, vocabs = trainer.load_translator(tmp_path / "translator.pt")
    assert vocabs.bpe is not None and any(p.endswith("@@") for p in vocabs.tgt.words)
    out = trainer.translate(model, vocabs, "eins zwei drei vier.")
    # English is read lowercase; German is written as the training sentences write it.
    assert out.words == ["Eins", "Zwei", "Drei", "Vier", "!"], out.pieces
    assert "val_bleu" in history[-1] and 0 <= history[-1]["val_chrf"] <= 100


# --------------------------------------------------------------------------- export


@pytest.mark.parametrize("float16", [False, True])
def test_export_parity_and_declared_shapes(tmp_path, float16):
    import onnx

    from rnn_site.export.onnx_lstm import declared_io
    from rnn_site.export.translator import decoder_io, encoder_io, export_graphs
    from rnn_site.onnx_session import create_session
    from rnn_site.train.translator import round_to_float16

    model = tiny_model()
    if float16:
        # A target embedding big enough (1,600 values) to be stored as float16; training
        # rounds the weights before scoring, so storing them so loses nothing more.
        torch.manual_seed(0)
        model = round_to_float16(Translator(TranslatorConfig(30, 200, 8, 6, 10, 0.0)).eval())
    paths = export_graphs(
        model, tmp_path, {"name": "test"}, weights="float16" if float16 else "float32"
    )
    if float16:
        stored = {t.data_type for t in onnx.load(paths["decoder"]).graph.initializer}
        assert onnx.TensorProto.FLOAT16 in stored
    config = model.config.to_dict()
    for role, contract in (("encoder", encoder_io(config)), ("decoder", decoder_io(config))):
        onnx_model = onnx.load(paths[role])
        assert declared_io(onnx_model) == {**contract.inputs, **contract.outputs}
        lstm = [n for n in onnx_model.graph.node if n.op_type == "LSTM"]
        assert len(lstm) == (2 if role == "encoder" else 1)
        assert all(a.i == 0 for n in lstm for a in n.attribute if a.name == "layout")
    encoder, decoder = create_session(paths["encoder"]), create_session(paths["decoder"])
    for batch, steps in [(1, 1), (1, 7), (3, 5)]:
        tokens = torch.randint(4, 30, (batch, steps))
        if batch > 1:
            tokens[1, 2:] = 0  # a padded row
        mask = (tokens != 0).float()
        want = model.encode(tokens, mask)
        got = encoder.run(None, {"tokens": tokens.numpy(), "mask": mask.numpy()})
        for w, g in zip(want, got, strict=True):
            np.testing.assert_allclose(g, w.detach().numpy(), atol=1e-5)
        memory, h, c = want
        prev = torch.randint(0, 40, (batch,))
        want = model.step(prev, h, c, memory, mask)
        feed = {"prev": prev.numpy(), "h": h.detach().numpy(), "c": c.detach().numpy(),
                "memory": memory.detach().numpy(), "mask": mask.numpy()}  # fmt: skip
        for w, g in zip(want, decoder.run(None, feed), strict=True):
            np.testing.assert_allclose(g, w.detach().numpy(), atol=1e-5)


# --------------------------------------------------------------------------- the trained model


def test_runtime_matches_the_torch_checkpoint(runtime):
    from rnn_site.train.translator import load_translator, translate

    model, vocabs = load_translator(MODEL_DIR / "translator.pt")
    for text, beam in [("I have a cold.", 1), ("Where is the zzqxv station?", 1),
                       ("The weather is nice today.", 5)]:  # fmt: skip
        got = runtime.translate(text, beam_width=beam)
        want = translate(model, vocabs, text, beam=beam)
        assert got.pieces == want.pieces and got.replaced == want.replaced
        assert got.words == want.words and got.text == want.text
        np.testing.assert_allclose(got.attention, want.attention, atol=1e-4)
    got = runtime.translate("Where is the zzqxv station?")
    assert got.source_unknown == [t == "zzqxv" for t in got.source]
    assert got.attention.shape == (len(got.pieces) + got.finished, len(got.source))
    np.testing.assert_allclose(got.attention.sum(axis=1), 1, atol=1e-5)


def test_checkpoint_stores_the_float16_weights_the_graphs_ship():
    """Half the file, nothing lost: the weights were rounded to float16 before the test set was
    scored, and they load back into a float32 model unchanged."""
    from rnn_site.train.translator import load_translator

    state = torch.load(MODEL_DIR / "translator.pt", weights_only=True)["state_dict"]
    floats = [v for v in state.values() if v.is_floating_point()]
    assert len(floats) == 22 and all(v.dtype == torch.float16 for v in floats)
    model, _ = load_translator(MODEL_DIR / "translator.pt")
    for name, value in model.state_dict().items():
        assert value.dtype == torch.float32
        assert torch.equal(value, state[name].float()), name


def test_beam_is_at_least_as_likely_as_greedy(runtime):
    for text in ["I have a cold.", "He did not come to the party yesterday."]:
        greedy, beam = runtime.translate(text, beam_width=1), runtime.translate(text, beam_width=5)
        assert beam.score / len(beam.attention) >= greedy.score / len(greedy.attention) - 1e-9


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"text": ""}, EmptyTextError, "no words"),
        ({"text": " -- ... !?"}, EmptyTextError, "no words"),
        ({"text": "a " * 101}, TextTooLongError, "101 words; at most 100"),
        ({"text": "x" * 1001}, TextTooLongError, "1,001 characters"),
        ({"text": b"hello"}, InvalidTextError, "must be a str, got bytes"),
        ({"text": None}, InvalidTextError, "got NoneType"),
        ({"text": "hi there", "beam_width": 0}, InvalidBeamError, "between 1 .greedy. and 10"),
        ({"text": "hi there", "beam_width": 11}, InvalidBeamError, "got 11"),
        ({"text": "hi there", "beam_width": 2.5}, InvalidBeamError, "integer, got float"),
        ({"text": "hi there", "beam_width": True}, InvalidBeamError, "integer, got bool"),
        ({"text": "hi there", "max_len": 0}, InvalidLengthError, "between 1 and 200"),
        ({"text": "hi there", "max_len": "5"}, InvalidLengthError, "integer, got str"),
    ],
)
def test_bad_input_raises_typed_errors(runtime, kwargs, error, message):
    with pytest.raises(error, match=message) as info:
        runtime.translate(**kwargs)
    assert isinstance(info.value, InvalidArgumentError)


def test_card_whose_vocabulary_disagrees_with_the_graphs_is_refused(tmp_path):
    import shutil

    folder = tmp_path / "translator"
    shutil.copytree(MODEL_DIR, folder, ignore=shutil.ignore_patterns("*.pt"))
    card = json.loads((folder / "card.json").read_text("utf-8"))
    card["vocab"]["tgt"] = card["vocab"]["tgt"][:-1]
    (folder / "card.json").write_text(json.dumps(card), "utf-8")
    shorter = len(card["vocab"]["tgt"])
    with pytest.raises(ModelMismatchError, match=rf"vocab\.tgt has {shorter} entries"):
        RuntimeTranslator.load(folder, verify=False)


def test_max_len_bounds_the_output(runtime):
    out = runtime.translate("He did not come to the party yesterday.", max_len=2)
    assert len(out.pieces) == 2 and out.attention.shape[0] == 2 and not out.finished


def test_trained_model_beats_word_lookup_in_cased_german():
    """The card's test scores (cased German, weights as shipped) against the lookup, the
    nouns capitalised, each browser file under 2 MB and stored as float16."""
    import onnx

    card = json.loads((MODEL_DIR / "card.json").read_text("utf-8"))
    results = card["results"]
    for search in ("greedy", f"beam-{card['beam']}"):
        assert results[search]["bleu"] > 2 * results["word-lookup"]["bleu"], (
            f"{search}: the Results section of docs/applications/translation.md says the model "
            "beats the lookup on BLEU 'by far': reread it"
        )
    # Whether the model also wins on chrF, and whether it meets issue 17's target, the page
    # says through the build (target_sentence, lookup_chrf), whichever it is.
    from rnn_site.sitebuild.translation_data import target_sentence

    beam, lookup = results[f"beam-{card['beam']}"], results["word-lookup"]
    verdict = target_sentence(ROOT / "models")
    assert ("**does not beat**" in verdict) == (beam["chrf"] <= lookup["chrf"]), verdict
    assert ("**misses**" in verdict) == (beam["bleu"] < 10), verdict
    assert card["examples"]["good"] and card["examples"]["failures"]
    log = json.loads((MODEL_DIR / "metrics.json").read_text("utf-8"))
    assert log["hparams"]["cased"] and log["complete"] and log["stopped"] == "finished"
    # German as written: the good examples' beam outputs hold capitalised words past the first.
    inner = [w for e in card["examples"]["good"] for w in e["beam"].split()[1:]]
    assert any(w[:1].isupper() for w in inner), inner
    bpe = any(piece.endswith("@@") for piece in card["vocab"]["tgt"])
    assert card["tokenizer"]["target"]["pieces"] == ("bpe" if bpe else "words")
    assert [len(card["vocab"]["src"]), len(card["vocab"]["tgt"])] == [
        card["config"]["src_vocab"], card["config"]["tgt_vocab"],
    ]  # fmt: skip
    assert "GPL" in card["data"]["licence"] and "GPL" in card["licence"]
    for role in ("encoder", "decoder"):
        path = MODEL_DIR / card["files"][role]
        assert path.stat().st_size < 2_000_000, role
        types = {t.data_type for t in onnx.load(path).graph.initializer}
        assert onnx.TensorProto.FLOAT16 in types, role


def test_manifest_lists_the_translator_files():
    # Only this model's files: the other models' are test_manifest.py's business.
    assert [p for p in verify(ROOT / "models") if p.startswith("translator/")] == []
    manifest = json.loads((ROOT / "models" / "manifest.json").read_text("utf-8"))
    entry = next(m for m in manifest["models"] if m["name"] == "translator")
    paths = {f["path"] for f in entry["files"]}
    assert {"translator/encoder.onnx", "translator/decoder.onnx", "translator/card.json"} <= paths


def test_page_numbers_match_the_model_card():
    from rnn_site.export.translator import results_table
    from rnn_site.sitebuild.page_data import render_data

    card = json.loads((MODEL_DIR / "card.json").read_text("utf-8"))
    page = render_data((ROOT / "docs/applications/translation.md").read_text("utf-8"))
    assert results_table(card["results"], card["beam"]) in page
    for example in card["examples"]["good"][:3] + card["examples"]["failures"][:3]:
        assert example["en"] in page and example["beam"] in page
    flat = " ".join(page.split())
    pairs, config = card["data"]["pairs"], card["config"]
    assert (
        f"**{sum(pairs.values()):,} pairs**: {pairs['train']:,} for training, "
        f"{pairs['val']:,} for validation, {pairs['test']:,} for testing" in flat
    )
    assert f"On the {pairs['test']:,} test sentences" in flat
    assert f"embedded ({config['embed_dim']} numbers each)" in flat
    assert f"an LSTM of {config['decoder_hidden']} units" in flat
    # The levers table and the published run's curve, one row per evaluation.
    log = json.loads((MODEL_DIR / "metrics.json").read_text("utf-8"))
    for entry in log["history"]:
        assert (
            f"| {entry['step']:,} | {entry['train_loss']:.3f} | {entry['val_loss']:.3f} |" in page
        )
    levers = json.loads(
        (ROOT / "rnn_site/experiments/results/translator_levers.json").read_text("utf-8")
    )
    for run in levers["runs"]:
        assert f"| {run['lever']} | {run['steps']:,} | {run['val_bleu']:.1f} |" in page
    size = sum((MODEL_DIR / card["files"][r]).stat().st_size for r in ("encoder", "decoder"))
    assert f"The model is about {size / 1e6:.1f} MB" in flat


def test_runtime_needs_neither_torch_nor_sacrebleu():
    """A model user installs numpy and onnxruntime only; the site build imports this runtime."""
    import subprocess
    import sys

    script = """
import sys
for name in ("torch", "onnx", "sacrebleu"):
    sys.modules[name] = None  # `import name` now raises ImportError
from rnn_site.runtime import Translator
print(Translator.load("translator").translate("I have a cold.", beam_width=2).text)
"""
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, cwd=ROOT
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().startswith("Ich habe")


def test_example_runs_the_published_beam(capsys, monkeypatch, runtime):
    """The usage example searches with the card's beam width, the one its scores and the demo
    use (it once passed 5 while the card published 3): its output is that beam's translation,
    not greedy's. Its output cannot tell that beam from beam 5 (on this sentence the published
    model writes the same with both), so the width the example passes is recorded too."""
    import runpy

    widths = []
    translate = RuntimeTranslator.translate

    def recorded(self, text, *args, **kwargs):
        widths.append(kwargs.get("beam_width"))
        return translate(self, text, *args, **kwargs)

    monkeypatch.setattr(RuntimeTranslator, "translate", recorded)
    runpy.run_module("rnn_site.examples.use_translator", run_name="__main__")
    monkeypatch.undo()
    printed = capsys.readouterr().out.strip()
    width = json.loads((MODEL_DIR / "card.json").read_text("utf-8"))["beam"]
    assert width == json.loads((MODEL_DIR / "metrics.json").read_text("utf-8"))["beam"]
    assert widths == [width]
    weather = "The weather is nice today."
    assert printed == runtime.translate(weather, beam_width=width).text
    assert printed != runtime.translate(weather, beam_width=1).text


def test_page_claims_about_search_match_the_model(runtime):
    """The "What to try" list quotes the shipped model: each quoted output is what it says."""
    text = (ROOT / "docs/applications/translation.md").read_text("utf-8")
    page = " ".join(render_data(text).split())  # the outputs are placeholders (translator_try)

    width = json.loads((MODEL_DIR / "card.json").read_text("utf-8"))["beam"]  # the demo's start

    def said(text: str, beam: int) -> str:
        return runtime.translate(text, beam_width=beam).text

    weather = "The weather is nice today."
    assert f'"{weather}" is "{said(weather, 1)}" greedy, and "{said(weather, width)}" with' in page
    proposal = "I have a problem with this proposal."
    assert f'"{proposal}" becomes "{said(proposal, 1)}"' in page
    assert f'on the proposal above it writes "{said(proposal, width)}"' in page
    book = "Give me the book!"
    assert (
        f'"{book}" becomes "{said(book, width)}" with the beam and "{said(book, 1)}" greedy' in page
    )
    capitals = [
        "The train was late.",
        "The light went on.",
        "I have a cold.",
        "My father is a doctor.",
    ]
    quoted = ", ".join(f'"{said(text, width)}"' for text in capitals)
    assert f"as German writes nouns: {quoted}." in page
    assert all(said(text, 1) == said(text, width) for text in capitals)
    # The long sentence the page quotes "drifts and repeats itself": a word comes out twice.
    long = runtime.translate(
        "When I was a child, I always wanted to become a doctor, but my parents told me that it "
        "would take too long.",
        beam_width=width,
    ).words
    assert any(long.count(w) > 1 for w in long if w.isalpha()), long
    assert f'gives "{said("Where is the Zzqxv station?", width)}"' in page
    order = runtime.translate("He did not come to the party because he was ill.", beam_width=width)
    assert f'gives "{order.text}"' in page
    assert "weil" in order.words and order.words[-2:] == ["war", "."]
    war = order.attention[order.words.index("war")]
    assert order.source[int(war.argmax())] == "was"
    # The whole table translates "tom" as a tomcat (greedy); "Berlin" is lost either way.
    for beam in (1, width):
        names = runtime.translate("Tom lives in Berlin.", beam_width=beam)
        replaced = [w for w, r in zip(names.pieces, names.replaced, strict=True) if r]
        assert "Leben" in replaced and "Berlin" not in names.words, names.pieces
        assert ("Kater" in replaced) == (beam == 1), names.pieces
    assert 'where "Tom" is in the dictionary, as a tomcat ("Kater")' in page


@pytest.mark.parametrize("flag", [["--phrases", "-1"], ["--phrases", "inf"], ["--max-steps", "0"]])
def test_bad_training_flags_are_one_error_line(flag, capsys):
    from rnn_site.train.translator import TRAINER

    with pytest.raises(SystemExit) as info:
        TRAINER.main(flag)
    assert info.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: argument " + flag[0]), err
