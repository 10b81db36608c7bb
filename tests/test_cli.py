"""The rnn-site command: help texts, export, generate, models list, bench, errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from char_lm_helpers import VOCAB, export_random, random_model

from rnn_site.cli import RECIPES, main
from rnn_site.runtime import CharLanguageModel
from rnn_site.sitebuild.models_page import render_models_page

ROOT = Path(__file__).resolve().parents[1]
torch.set_num_threads(1)


@pytest.fixture(scope="module")
def models(tmp_path_factory) -> Path:
    models_dir = tmp_path_factory.mktemp("models")
    export_random(models_dir, seed=5, hidden_size=64)
    return models_dir


@pytest.mark.parametrize(
    "argv",
    [
        *([], ["train"], ["export"], ["generate"], ["models"], ["models", "list"], ["bench"]),
        ["models", "verify"],
        *(["translate"], ["transcribe"], ["classify"]),
    ],
    ids=lambda argv: " ".join(argv) or "main",
)
def test_help_for_every_command(argv, capsys):
    with pytest.raises(SystemExit) as info:
        main([*argv, "--help"])
    assert info.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: rnn-site") and len(out.splitlines()) > 3


def test_generate_streams_prompt_and_continuation(models, capsys):
    argv = ["--models-dir", str(models), "generate", "char-lm", "--prompt", "ROMEO:"]
    assert main([*argv, "--n", "30", "--temperature", "0"]) == 0
    out = capsys.readouterr().out
    lm = CharLanguageModel.load(models / "char-lm")
    assert out == "ROMEO:" + lm.generate("ROMEO:", 30, temperature=0) + "\n"
    assert main([*argv, "--n", "30", "--seed", "4", "--top-k", "5"]) == 0
    assert capsys.readouterr().out == "ROMEO:" + lm.generate("ROMEO:", 30, top_k=5, seed=4) + "\n"


def test_generate_reports_bad_input_as_one_line(models, capsys):
    argv = ["--models-dir", str(models), "generate", "char-lm", "--prompt", "ROMEO:"]
    assert main([*argv, "--temperature", "-1"]) == 2
    assert capsys.readouterr().err.startswith("error: temperature must be a finite number")
    assert main(["--models-dir", str(models), "generate", "nope"]) == 2
    assert "no model named 'nope'" in capsys.readouterr().err


def test_models_list_shows_metric_against_baseline(models, capsys):
    assert main(["--models-dir", str(models), "models", "list"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].split()[:3] == ["name", "task", "files"]
    assert out[1].startswith("char-lm") and "text-generation" in out[1]
    assert "test_bpc 2.100 vs 2.500 (char-7gram)" in out[1]


def test_export_from_a_checkpoint(tmp_path, capsys):
    model = random_model(seed=9, hidden_size=32)
    (tmp_path / "char-lm").mkdir()
    torch.save(
        {"config": model.config.to_dict(), "state_dict": model.state_dict(), "vocab": VOCAB},
        tmp_path / "char-lm" / "char-lm.pt",
    )
    assert main(["--models-dir", str(tmp_path), "export", "char-lm"]) == 0
    assert "sequence.onnx" in capsys.readouterr().out
    assert CharLanguageModel.load(tmp_path / "char-lm").vocab == VOCAB
    assert main(["--models-dir", str(tmp_path / "empty"), "export", "char-lm"]) == 2
    assert "no checkpoint" in capsys.readouterr().err


@pytest.mark.parametrize("command", ["train", "export", "bench"])
def test_an_unknown_model_is_a_usage_error(command, capsys):
    assert main([command, "gpt"]) == 2
    assert capsys.readouterr().err == (
        f"error: unknown model 'gpt'; known: {', '.join(sorted(RECIPES))}\n"
    )


def test_a_model_without_a_benchmark_is_a_usage_error(capsys):
    assert main(["bench", "melody"]) == 2
    assert capsys.readouterr().err == "error: model 'melody' has no benchmark yet\n"


def test_bench_writes_performance_into_the_card(models, capsys):
    argv = ["--models-dir", str(models), "bench", "char-lm", "--tokens", "5", "--repeats", "1"]
    assert main(argv) == 0
    out = capsys.readouterr().out
    for name in ("torch", "torch-no-mkldnn", "onnxruntime", "numpy-scratch", "batch 32"):
        assert name in out
    perf = json.loads((models / "char-lm" / "card.json").read_text())["performance"]
    assert set(perf["latency"]) == {"torch", "torch-no-mkldnn", "onnxruntime", "numpy-scratch"}
    assert all(row["median_us"] > 0 for row in perf["latency"].values())
    assert set(perf["onnxruntime_speedup"]) == {"torch", "torch-no-mkldnn", "numpy-scratch"}
    assert perf["throughput"]["batch"] == 32 and perf["throughput"]["tokens_per_s"] > 0
    assert "median µs / token" in (models / "char-lm" / "README.md").read_text()
    from rnn_site.export.manifest import verify

    assert verify(models) == []  # the card changed, the manifest followed


def test_generate_needs_no_torch(models):
    code = (
        "import sys; sys.modules['torch'] = None; from rnn_site.cli import main; "
        f"raise SystemExit(main(['--models-dir', {str(models)!r}, 'generate', 'char-lm', "
        "'--n', '10', '--seed', '0']))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, cwd=ROOT
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("ROMEO:") and len(result.stdout) == len("ROMEO:") + 11


def test_models_page_lists_files_metrics_and_example(models):
    page = render_models_page(models)
    manifest = json.loads((models / "manifest.json").read_text())
    assert "## Character-level LSTM language model (Shakespeare) {#char-lm}" in page
    for entry in manifest["models"][0]["files"]:
        assert f'<a href="../models/{entry["path"]}" download>download</a>' in page
        assert f"`{entry['sha256'][:12]}…`" in page
    assert "| **char-lm** | 2.100 | 2.000 |" in page
    assert "| char-7gram (baseline) | 2.500 | 2.400 |" in page
    assert '--8<-- "rnn_site/examples/use_char_lm.py:use"' in page
    assert (ROOT / "rnn_site" / "examples" / "use_char_lm.py").is_file()
    assert "No models" in render_models_page(models / "nothing-here")


# ------------------------------------------------ the other models, from the shipped models/

SHIPPED = ["--models-dir", str(ROOT / "models")]
SPEECH_SAMPLES = ROOT / "models" / "speech" / "samples"


def test_generate_runs_char_mingru_too(capsys):
    argv = [*SHIPPED, "generate", "char-mingru", "--prompt", "ROMEO:", "--n", "20", "--greedy"]
    assert main(argv) == 0
    lm = CharLanguageModel.load("char-mingru", models_dir=ROOT / "models")
    assert capsys.readouterr().out == "ROMEO:" + lm.generate("ROMEO:", 20, greedy=True) + "\n"


@pytest.mark.parametrize(
    ("name", "hint"),
    [("melody", "a music-generation model"), ("sentiment", "use `rnn-site classify`")],
)
def test_generate_refuses_a_model_that_cannot_write_text(name, hint, capsys):
    assert main([*SHIPPED, "generate", name]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: model {name!r} is a") and hint in err
    assert err.rstrip().endswith("`generate` runs: char-lm, char-mingru")


def test_translate_prints_the_runtime_translation(capsys):
    from rnn_site.runtime import Translator

    model = Translator.load("translator", models_dir=ROOT / "models")
    text = "The weather is nice today."
    for extra, beam in (([], 1), (["--beam-width", "5"], 5), (["--beam", "5"], 5)):
        assert main([*SHIPPED, "translate", text, *extra]) == 0
        out = capsys.readouterr().out
        assert out == model.translate(text, beam_width=beam).text + "\n"
        assert len(out.split()) >= 3


def test_transcribe_prints_the_runtime_transcript(capsys):
    from rnn_site.data.audio import read_wav
    from rnn_site.runtime import SpeechRecognizer

    model = SpeechRecognizer.load("speech", models_dir=ROOT / "models")
    wav = SPEECH_SAMPLES / "flite-rms-7024.wav"
    waveform, rate = read_wav(wav)
    assert main([*SHIPPED, "transcribe", str(wav)]) == 0
    assert capsys.readouterr().out == model.transcribe(waveform, rate).text + "\n"
    assert main([*SHIPPED, "transcribe", str(wav), "--beam-width", "4"]) == 0
    beam = model.transcribe(waveform, rate, decoder="beam", beam_width=4).text
    assert capsys.readouterr().out == beam + "\n"


def test_classify_prints_label_and_probability(capsys):
    from rnn_site.runtime import SentimentModel

    text = "a wonderful, moving film"
    prediction = SentimentModel.load("sentiment", models_dir=ROOT / "models").predict(text)
    assert main([*SHIPPED, "classify", text]) == 0
    label, probability = capsys.readouterr().out.split()
    assert label == prediction.label
    assert probability == f"P(positive)={prediction.probability:.3f}"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            ["translate", "hello", "--beam-width", "11"],
            "beam_width must be between 1 (greedy) and 10, got 11",
        ),
        (["translate", "  "], "text has no words"),
        (["classify", ""], "text has no words"),
        (["transcribe", "missing.wav"], "no file at 'missing.wav'"),
        (
            ["transcribe", str(SPEECH_SAMPLES / "klettres-en-B.ogg")],
            "as a 16-bit PCM WAV file (file does not start with RIFF id)",
        ),
        (
            ["transcribe", str(SPEECH_SAMPLES / "flite-rms-W.wav"), "--beam", "0"],
            "beam_width must be between 1 (greedy) and 32, got 0",
        ),
        (["translate", "hello", "--model", "speech"], "use `rnn-site transcribe`"),
        (["classify", "fine", "--model", "nope"], "no model named 'nope'"),
    ],
    ids=lambda value: value[0] if isinstance(value, list) else "",
)
def test_bad_input_to_the_model_commands_is_one_line(argv, message, capsys):
    assert main([*SHIPPED, *argv]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and message in err and err.count("\n") == 1


def test_model_commands_need_no_torch():
    wav = SPEECH_SAMPLES / "flite-rms-7024.wav"
    code = (
        "import sys; sys.modules['torch'] = None; from rnn_site.cli import main; "
        f"argv = {SHIPPED!r}; "
        "assert main([*argv, 'translate', 'The weather is nice today.']) == 0; "
        f"assert main([*argv, 'transcribe', {str(wav)!r}]) == 0; "
        "assert main([*argv, 'classify', 'good']) == 0; "
        "assert main([*argv, 'generate', 'char-mingru', '--n', '5', '--seed', '0']) == 0"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, cwd=ROOT
    )
    assert result.returncode == 0, result.stderr
    assert len(result.stdout.splitlines()) >= 4


def test_models_page_example_is_the_registry_one_for_every_published_model():
    from rnn_site.applications import APPLICATIONS

    page = render_models_page(ROOT / "models")
    for app in APPLICATIONS:
        path = app.example.replace(".", "/") + ".py"
        assert f'--8<-- "{path}:use"' in page, app.name
        assert (ROOT / path).is_file()
