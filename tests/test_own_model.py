"""Train one on your own text: read and split any UTF-8 file, train, export a self-contained
folder, load it from Python and the command line; every broken input gets its own message.

The model is real and tiny (16 units, a few dozen steps, seconds on one core): the tests check
the path a reader takes, not the model's quality.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from own_model_helpers import TEXT, broken_copies, export_folder, train_tiny, write_text
from skips import skip_locally_fail_in_ci

from rnn_site.cli import main
from rnn_site.data.user_text import (
    MIN_CHARS,
    UNKNOWN,
    NotUtf8Error,
    TextFileError,
    TextTooShortError,
    load_user_text,
    read_text,
    split_text,
)
from rnn_site.runtime import CharLanguageModel
from rnn_site.runtime.errors import ModelIntegrityError, ModelMismatchError, RnnSiteError
from rnn_site.train.char_lm import TEXT_MAX_STEPS, estimate_text, text_recipe

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def trained(tmp_path_factory) -> dict[str, Path]:
    """A tiny model trained on TEXT and exported: {"text", "run", "model"} paths."""
    base = tmp_path_factory.mktemp("own")
    text = write_text(base)
    checkpoint = train_tiny(text, base / "run")
    return {"text": text, "run": base / "run", "model": export_folder(checkpoint, base / "model")}


# ------------------------------------------------------------------ the text


def test_split_is_contiguous_90_5_5_with_vocabulary_from_training_part():
    text = "abcdefghij" * 900 + "xyz\u00e9"
    split = split_text(text, "t.txt")
    assert split.train + split.val + split.test == text[:-4] + UNKNOWN * 4
    assert split.characters == {"train": 8103, "val": 450, "test": 451}
    assert split.vocab == "abcdefghij" + UNKNOWN
    assert split.unknown_chars == {"x": 1, "y": 1, "z": 1, "\u00e9": 1}
    assert split.encode("ax") == [0, 10]


def test_rare_characters_become_the_unknown_symbol():
    split = split_text("ab" * 100 + "q" + "ab" * 3000, min_count=2)
    assert "q" not in split.vocab and UNKNOWN in split.vocab
    assert split.train.count(UNKNOWN) == 1


def test_missing_and_non_utf8_files_say_what_is_wrong(tmp_path):
    with pytest.raises(TextFileError, match="no file at"):
        read_text(tmp_path / "nope.txt")
    with pytest.raises(TextFileError, match="is not a file"):
        read_text(tmp_path)
    bad = tmp_path / "latin1.txt"
    bad.write_bytes("caf\u00e9\nna\u00efve".encode("latin-1"))
    with pytest.raises(NotUtf8Error) as info:
        read_text(bad)
    assert (info.value.offset, info.value.byte, info.value.line) == (3, 0xE9, 1)
    assert "byte 3 (0xe9, on line 1)" in str(info.value)
    bom = tmp_path / "bom.txt"
    bom.write_bytes(b"\xef\xbb\xbfab\r\ncd\n\xff")
    with pytest.raises(NotUtf8Error, match=r"byte 10 \(0xff, on line 3\)"):
        read_text(bom)
    bom.write_bytes(b"\xef\xbb\xbfab\r\ncd")
    assert read_text(bom) == "ab\ncd"


def test_a_short_text_says_how_much_is_needed(tmp_path):
    path = tmp_path / "short.txt"
    path.write_text("x" * 1234, encoding="utf-8")
    with pytest.raises(TextTooShortError, match=f"has 1,234 characters; at least {MIN_CHARS:,}"):
        load_user_text(path)


def test_step_budget_grows_with_the_text_and_stays_under_the_caps():
    small, book = text_recipe(50_000), text_recipe(900_000)
    assert 200 <= small.max_steps < book.max_steps <= TEXT_MAX_STEPS["default"]
    assert text_recipe(900_000, quick=True).max_steps == TEXT_MAX_STEPS["quick"]
    # The estimate for a 1 MB text (900,000 training characters) fits the promised bounds.
    for quick, limit in ((False, 15.0), (True, 3.0)):
        line = estimate_text(text_recipe(900_000, quick), 900_000)
        minutes = float(line.split("about ")[1].split(" min")[0])
        assert minutes <= limit, line


# ------------------------------------------------------------------ train and export


def test_training_writes_a_checkpoint_and_a_log_with_the_baseline(trained):
    log = json.loads((trained["run"] / "metrics.json").read_text("utf-8"))
    assert log["data"]["name"] == "user-text" and log["data"]["file"] == "alice.txt"
    assert log["data"]["unknown_chars"] == {".": 1, "V": 1, "\u00e0": 1}
    assert log["baseline"]["name"].startswith("char-") and log["baseline"]["test_bpc"] > 0
    assert log["char_lm"]["test_bpc"] > 0


def test_export_writes_a_self_contained_folder(trained):
    folder = trained["model"]
    assert sorted(p.name for p in folder.iterdir()) == [
        "README.md",
        "card.json",
        "manifest.json",
        "metrics.json",
        "sequence.onnx",
        "step.onnx",
    ]
    manifest = json.loads((folder / "manifest.json").read_text("utf-8"))
    assert [f["path"] for f in manifest["models"][0]["files"]] == [
        "README.md",
        "card.json",
        "metrics.json",
        "sequence.onnx",
        "step.onnx",
    ]
    card = json.loads((folder / "card.json").read_text("utf-8"))
    assert card["task"] == "text-generation" and card["unknown"] == UNKNOWN
    assert card["baselines"] and card["data"]["unknown_chars"] == {".": 1, "V": 1, "\u00e0": 1}
    readme = (folder / "README.md").read_text("utf-8")
    assert "ort.InferenceSession.create" in readme and "Unknown" not in readme[:0]


def test_python_and_cli_run_the_folder_and_agree_with_the_card(trained, capsys):
    folder = trained["model"]
    card = json.loads((folder / "card.json").read_text("utf-8"))
    model = CharLanguageModel.load(folder)
    example = card["example_greedy"]
    assert model.generate(example["prompt"], example["n"], temperature=0) == example["output"]
    assert main(["generate", str(folder), "--n", "40", "--temperature", "0"]) == 0
    assert capsys.readouterr().out == example["prompt"] + example["output"][:40] + "\n"
    # Text from outside the training part may hold characters the model maps to its unknown
    # symbol; the runtime asks for them to be replaced explicitly.
    ids = model.encode(TEXT[-500:], on_unknown="replace", replacement=card["unknown"])
    assert model.score(model.decode(ids)) > 0


def test_cli_refuses_an_existing_folder_unless_forced(trained, tmp_path, capsys):
    checkpoint = str(trained["run"] / "char-lm.pt")
    out = tmp_path / "again"
    out.mkdir()
    assert main(["export", "char-lm", "--checkpoint", checkpoint, "--out", str(out)]) == 2
    assert capsys.readouterr().err.startswith(f"error: {out} already exists")
    argv = ["export", "char-lm", "--checkpoint", checkpoint, "--out", str(out), "--force"]
    assert main(argv) == 0
    assert (out / "manifest.json").is_file()


def test_train_command_errors_are_one_line(trained, tmp_path):
    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "rnn_site.cli", "train", "char-lm", *args],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    short = tmp_path / "short.txt"
    short.write_text("too short", encoding="utf-8")
    cases = [
        (("--text", str(tmp_path / "none.txt"), "--out", str(tmp_path / "o")), "no file at"),
        (("--text", str(short), "--out", str(tmp_path / "o")), "at least 5,000 are needed"),
        (("--text", str(trained["text"]), "--out", str(trained["run"])), "already exists"),
        (("--text", str(trained["text"])), "--text FILE and --out DIR go together"),
    ]
    for args, message in cases:
        result = run(*args)
        assert result.returncode == 2, result.stderr
        assert result.stderr.startswith("error: ") and message in result.stderr, result.stderr
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr


# ------------------------------------------------------------------ broken folders


@pytest.fixture(scope="module")
def broken(trained, tmp_path_factory) -> dict[str, Path]:
    return broken_copies(trained["model"], tmp_path_factory.mktemp("broken"))


@pytest.mark.parametrize(
    ("case", "error", "message"),
    [
        ("tampered", ModelIntegrityError, r"step\.onnx: sha256 is [0-9a-f]{64} but the manifest"),
        ("partial", ModelIntegrityError, r"sequence\.onnx is missing"),
        ("no-manifest", ModelIntegrityError, r"manifest\.json"),
        ("vocab", ModelMismatchError, r"vocab has \d+ characters .* but vocab_size is \d+"),
        ("state", ModelMismatchError, r"step\.onnx: h is float32 \[1, 'batch', 16\]"),
        ("task", RnnSiteError, r"translation"),
    ],
)
def test_each_broken_folder_has_its_own_message_in_python(broken, case, error, message):
    with pytest.raises(error, match=message):
        model = CharLanguageModel.load(broken[case])
        model.score(TEXT[:100])  # the sequence graph opens on first use


def test_the_browser_checks_agree_node(trained, broken, tmp_path):
    """docs/assets/demos/own-model.js under `node --test` on the same folders."""
    if shutil.which("node") is None or not (ROOT / "node_modules" / "fflate").is_dir():
        skip_locally_fail_in_ci("needs Node.js 18+ and `npm ci` (fflate)")
    shutil.copytree(trained["model"], tmp_path / "good")
    for name, folder in broken.items():
        shutil.copytree(folder, tmp_path / name)
    with zipfile.ZipFile(tmp_path / "good.zip", "w") as archive:
        for file in sorted((tmp_path / "good").iterdir()):
            archive.write(file, f"my model/{file.name}")
    result = subprocess.run(
        ["node", "--test", str(ROOT / "tests" / "js" / "own-model.test.mjs")],
        capture_output=True,
        text=True,
        timeout=120,
        env={"OWN_MODEL_DIR": str(tmp_path), "PATH": str(Path(shutil.which("node")).parent)},
        check=False,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stdout + result.stderr


# ------------------------------------------------------------------ the page


def test_page_numbers_come_from_the_measurements_and_the_code():
    """The page's placeholders resolve from own_text.json and user_text's rules, and the
    committed 1 MB plan is what the code computes today (so the page cannot drift)."""
    from rnn_site.experiments.own_text import RESULTS_PATH, plan_1mb
    from rnn_site.sitebuild.page_data import render_data

    if not RESULTS_PATH.exists():
        pytest.fail(f"{RESULTS_PATH} is missing: run python -m rnn_site.experiments.own_text")
    results = json.loads(RESULTS_PATH.read_text("utf-8"))
    assert results["plan_1mb"] == plan_1mb()["plan_1mb"]
    assert results["plan_1mb"]["default"]["minutes"] <= 15
    assert results["plan_1mb"]["quick"]["minutes"] <= 3
    page = (ROOT / "docs" / "applications" / "own-text.md").read_text("utf-8")
    html = render_data(page)
    assert "<!-- data:" not in html
    assert f"1 MB text gets {results['plan_1mb']['default']['steps']:,} steps" in html
    for row in results["rows"]:
        assert f"{row['lstm_test_bpc']:.2f}" in html and f"{row['ngram_test_bpc']:.2f}" in html
        assert f"| {row['characters']:,} |" in html


def test_fflate_version_matches_package_json():
    """own-model.js imports fflate from the versioned folder the build copies (vendor.py)."""
    pinned = json.loads((ROOT / "package.json").read_text("utf-8"))["dependencies"]["fflate"]
    script = (ROOT / "docs" / "assets" / "demos" / "own-model.js").read_text("utf-8")
    assert f'export const FFLATE_VERSION = "{pinned}";' in script
