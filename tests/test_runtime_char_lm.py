"""CharLanguageModel: generation, scoring, states, typed errors, integrity checks, no torch."""

from __future__ import annotations

import json
import math
import runpy
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from char_lm_helpers import VOCAB, export_random
from shipped import run_without

from rnn_site.export.manifest import write_manifest
from rnn_site.runtime import (
    CharLanguageModel,
    EmptyPromptError,
    InvalidArgumentError,
    InvalidLengthError,
    InvalidTemperatureError,
    ModelIntegrityError,
    ModelMismatchError,
    ModelNotFoundError,
    UnknownCharacterError,
)
from rnn_site.runtime.char_lm import CHUNK, choose_next

ROOT = Path(__file__).resolve().parents[1]
torch.set_num_threads(1)

TEXT = "First Citizen:\nBefore we proceed any further, hear me speak.\n\nAll:\nSpeak, speak.\n"


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    """(torch model, models dir) of a random 1-layer model exported as char-lm."""
    models_dir = tmp_path_factory.mktemp("models")
    model, _ = export_random(models_dir, seed=7)
    return model, models_dir


@pytest.fixture(scope="module")
def lm(exported) -> CharLanguageModel:
    return CharLanguageModel.load(exported[1] / "char-lm")


def copy_models(exported, tmp_path: Path) -> Path:
    target = tmp_path / "models"
    shutil.copytree(exported[1], target)
    return target


# ------------------------------------------------------------------ loading


def test_load_by_name_uses_the_models_folder_from_the_environment(exported, monkeypatch):
    monkeypatch.setenv("RNN_SITE_MODELS", str(exported[1]))
    model = CharLanguageModel.load("char-lm")
    assert model.vocab == VOCAB and model.location.model_dir == (exported[1] / "char-lm").resolve()


def test_unknown_model_name_lists_what_exists(exported, monkeypatch):
    monkeypatch.setenv("RNN_SITE_MODELS", str(exported[1]))
    with pytest.raises(ModelNotFoundError, match=r"no model named 'char-lmm'.*char-lm"):
        CharLanguageModel.load("char-lmm")


def test_corrupted_file_fails_the_hash_check_naming_file_and_hashes(exported, tmp_path):
    models = copy_models(exported, tmp_path)
    step = models / "char-lm" / "step.onnx"
    data = bytearray(step.read_bytes())
    data[len(data) // 2] ^= 0xFF  # one flipped byte inside the weights
    step.write_bytes(bytes(data))
    expected = next(
        f["sha256"]
        for f in json.loads((models / "manifest.json").read_text())["models"][0]["files"]
        if f["path"] == "char-lm/step.onnx"
    )
    with pytest.raises(ModelIntegrityError) as info:
        CharLanguageModel.load(models / "char-lm")
    err = info.value
    assert err.file == "char-lm/step.onnx" and err.expected == expected
    assert err.actual not in ("", expected)
    assert "char-lm/step.onnx" in str(err) and expected in str(err) and err.actual in str(err)


def test_truncated_file_without_verification_is_still_a_typed_error(exported, tmp_path):
    models = copy_models(exported, tmp_path)
    step = models / "char-lm" / "step.onnx"
    step.write_bytes(step.read_bytes()[:1000])
    with pytest.raises(ModelIntegrityError, match="onnxruntime cannot load"):
        CharLanguageModel.load(models / "char-lm", verify=False)


def test_swapped_graph_is_a_mismatch_even_with_a_fresh_manifest(exported, tmp_path):
    models = copy_models(exported, tmp_path)
    shutil.copy(models / "char-lm" / "sequence.onnx", models / "char-lm" / "step.onnx")
    write_manifest(models)  # the hashes now agree; the I/O does not
    with pytest.raises(ModelMismatchError, match=r"step\.onnx: inputs are"):
        CharLanguageModel.load(models / "char-lm")


def test_missing_manifest_is_an_integrity_error(exported, tmp_path):
    models = copy_models(exported, tmp_path)
    (models / "manifest.json").unlink()
    with pytest.raises(ModelIntegrityError, match=r"manifest\.json is missing"):
        CharLanguageModel.load(models / "char-lm")
    assert CharLanguageModel.load(models / "char-lm", verify=False).vocab == VOCAB


# ------------------------------------------------------------------ generation


def test_greedy_output_matches_the_card_and_is_deterministic(lm):
    example = lm.card["example_greedy"]
    greedy = lm.generate(example["prompt"], example["n"], temperature=0)
    assert greedy == example["output"]  # computed at export by an independent loop
    assert lm.generate(example["prompt"], example["n"], greedy=True, temperature=5.0) == greedy
    assert lm.generate(example["prompt"], 20, temperature=0.7, top_k=1, seed=3) == greedy[:20]


def test_greedy_matches_torch_argmax(exported, lm):
    model, _ = exported
    ids = [VOCAB.index(ch) for ch in "ROMEO:"]
    with torch.no_grad():
        logits, state = model(torch.tensor([ids]))
        out = []
        for _ in range(30):
            out.append(int(logits[0, -1].argmax()))
            logits, state = model(torch.tensor([[out[-1]]]), state)
    assert lm.generate("ROMEO:", 30, temperature=0) == "".join(VOCAB[i] for i in out)


def test_sampling_is_reproducible_with_a_seed(lm):
    first = lm.generate("ROMEO:", 60, temperature=1.0, seed=11)
    assert lm.generate("ROMEO:", 60, temperature=1.0, seed=11) == first
    assert lm.generate("ROMEO:", 60, temperature=1.0, seed=12) != first
    assert len(first) == 60 and set(first) <= set(VOCAB)


def test_stream_yields_characters_one_by_one(lm):
    chars = list(lm.stream("ROMEO:", 25, temperature=0))
    assert len(chars) == 25 and all(len(c) == 1 for c in chars)
    assert "".join(chars) == lm.generate("ROMEO:", 25, temperature=0)
    assert lm.generate("ROMEO:", 0) == ""


def test_choose_next_rules():
    logits = np.array([0.0, 3.0, 3.0, 1.0], dtype=np.float32)
    assert choose_next(logits, 0.0) == 1  # tie between ids 1 and 2 → lowest id
    rng = np.random.default_rng(0)
    draws = {choose_next(logits, 1.0, top_k=2, rng=rng) for _ in range(500)}
    assert draws == {1, 2}
    ties = np.zeros(5, dtype=np.float32)
    assert {choose_next(ties, 1.0, top_k=2, rng=rng) for _ in range(500)} == {0, 1}
    # Very low temperature concentrates on the argmax; the empirical mean follows softmax.
    assert {choose_next(logits, 1e-3, rng=rng) for _ in range(50)} <= {1, 2}
    p = np.exp(logits - logits.max()) / np.exp(logits - logits.max()).sum()
    counts = np.bincount([choose_next(logits, 1.0, rng=rng) for _ in range(4000)], minlength=4)
    assert np.abs(counts / 4000 - p).max() < 0.03


# ------------------------------------------------------------------ score and states


def torch_bpc(model, text: str) -> float:
    ids = torch.tensor([[VOCAB.index(ch) for ch in text]])
    with torch.no_grad():
        logits, _ = model(ids[:, :-1])
    return F.cross_entropy(logits[0], ids[0, 1:]).item() / math.log(2)


def test_score_matches_torch_including_across_chunks(exported, lm):
    model, _ = exported
    assert abs(lm.score(TEXT) - torch_bpc(model, TEXT)) < 1e-4
    long_text = (TEXT * 40)[: 2 * CHUNK + 17]  # three chunks, state carried between them
    assert abs(lm.score(long_text) - torch_bpc(model, long_text)) < 1e-4


def test_hidden_states_match_torch(exported, lm):
    model, _ = exported
    states = lm.hidden_states(TEXT)
    time, hidden = len(TEXT), model.config.hidden_size
    for name in ("h_seq", "c_seq", "i_gate", "f_gate", "g_gate", "o_gate"):
        assert states[name].shape == (time, 1, hidden)
    assert states["logits"].shape == (time, len(VOCAB)) and states["h_out"].shape == (1, hidden)
    with torch.no_grad():
        out, _ = model.lstm(model.embed(torch.tensor([[VOCAB.index(c) for c in TEXT]])))
    assert np.abs(states["h_seq"][:, 0] - out[0].numpy()).max() < 1e-4
    assert states["text"] == TEXT and states["tokens"].tolist() == lm.encode(TEXT).tolist()


# ------------------------------------------------------------------ errors


def test_unknown_character_message_and_options(lm):
    with pytest.raises(UnknownCharacterError) as info:
        lm.generate("abc\x00d", 5)
    assert str(info.value).startswith(
        f"unknown character '\\x00' at position 3; the model knows {len(VOCAB)} characters"
    )
    assert isinstance(info.value, ValueError)
    assert info.value.position == 3 and info.value.char == "\x00"
    assert lm.encode("a\x00b", on_unknown="skip").tolist() == lm.encode("ab").tolist()
    assert lm.encode("a\x00b", on_unknown="replace").tolist() == lm.encode("a b").tolist()
    with pytest.raises(InvalidArgumentError, match="on_unknown must be"):
        lm.encode("a", on_unknown="ignore")  # type: ignore[arg-type]
    with pytest.raises(UnknownCharacterError, match="position 1"):
        lm.score("a€b")


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"temperature": -0.1}, InvalidTemperatureError, "finite number ≥ 0"),
        ({"temperature": float("nan")}, InvalidTemperatureError, "finite number ≥ 0"),
        ({"temperature": "hot"}, InvalidTemperatureError, "must be a number"),
        ({"n": -1}, InvalidLengthError, "n must be between 0 and 100,000"),
        ({"n": 100_001}, InvalidLengthError, "n must be between 0 and 100,000"),
        ({"n": 2.5}, InvalidLengthError, "n must be an integer"),
        ({"n": True}, InvalidLengthError, "n must be an integer"),
        ({"top_k": 0}, InvalidLengthError, "top_k must be between 1"),
        ({"prompt": ""}, EmptyPromptError, "prompt is empty"),
        ({"prompt": "\x00\x01", "on_unknown": "skip"}, EmptyPromptError, "no character"),
    ],
)
def test_bad_arguments_raise_typed_errors_at_call_time(lm, kwargs, error, message):
    args = {"prompt": "ROMEO:", "n": 5, **kwargs}
    with pytest.raises(error, match=message):
        lm.stream(**args)  # raised before the first character is asked for
    with pytest.raises(ValueError):
        lm.generate(**args)


def test_short_texts_cannot_be_scored(lm):
    with pytest.raises(InvalidLengthError, match="between 2"):
        lm.score("a")


# ------------------------------------------------------------------ torch-free and examples


NO_TORCH = """
from rnn_site.runtime import CharLanguageModel
model = CharLanguageModel.load(sys.argv[1])
text = model.generate("ROMEO:", 40, temperature=0.8, seed=0)
assert len(text) == 40
model.score("To be, or not to be")
model.hidden_states("To be")
print(text)
"""


def test_runtime_works_without_torch(exported):
    out = run_without(("torch", "onnx"), NO_TORCH, str(exported[1] / "char-lm"))
    assert len(out.rstrip("\n")) >= 40


def test_usage_example_file_runs_and_matches_the_card(exported, monkeypatch, capsys):
    monkeypatch.setenv("RNN_SITE_MODELS", str(exported[1]))
    path = ROOT / "rnn_site" / "examples" / "use_char_lm.py"
    runpy.run_path(str(path), run_name="__main__")
    printed = capsys.readouterr().out.rstrip("\n")
    lm = CharLanguageModel.load("char-lm")
    assert printed == lm.generate("ROMEO:", n=200, temperature=0.8, seed=0)
    source = path.read_text()
    snippet = source.split("# --8<-- [start:use]\n")[1].split("# --8<-- [end:use]")[0]
    card = json.loads((exported[1] / "char-lm" / "card.json").read_text())
    assert snippet.strip() in (exported[1] / "char-lm" / "README.md").read_text()
    assert len(snippet.strip().splitlines()) == 3 and card["name"] in snippet


@pytest.mark.skipif(
    not (ROOT / "models" / "char-lm" / "step.onnx").exists(),
    reason="the trained model is not exported yet",
)
def test_committed_model_loads_verifies_and_reproduces_its_greedy_example(monkeypatch):
    monkeypatch.delenv("RNN_SITE_MODELS", raising=False)
    lm = CharLanguageModel.load("char-lm")
    example = lm.card["example_greedy"]
    assert lm.generate(example["prompt"], example["n"], temperature=0) == example["output"]


def test_tiny_temperature_is_argmax_not_nan() -> None:
    """Dividing unshifted logits by 1e-310 overflows to inf - inf = NaN; the shift prevents it."""
    import numpy as np

    from rnn_site.runtime.char_lm import choose_next

    rng = np.random.default_rng(0)
    picks = {choose_next(np.array([0.0, 1.0, 0.5]), 1e-310, None, rng) for _ in range(20)}
    assert picks == {1}
