"""Every bad command line ends as one line ``error: …`` and exit status 2, never a traceback.

Each case here printed a traceback, exited 0, or gave an unreadable message before its fix
(issue 20). The shipped models in models/ are used as they are.
"""

from __future__ import annotations

import json
import os
import shutil
import struct
import subprocess
import sys
from pathlib import Path

import pytest

from rnn_site.cli import main
from rnn_site.data.audio import read_wav
from rnn_site.runtime import SpeechRecognizer

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = ["--models-dir", str(ROOT / "models")]
WAV = ROOT / "models" / "speech" / "samples" / "flite-rms-7024.wav"


def one_error_line(capsys: pytest.CaptureFixture[str], argv: list[str]) -> str:
    """Run `main(argv)`, check it ends in exit 2 with one ``error:`` line; return that line."""
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1, err
    assert "Traceback" not in err
    return err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["generate", "char-lm", "--seed", "-1"], "seed must be an integer from 0 to 2**63 - 1"),
        (["generate", "char-lm", "--n", "-5"], "n must be between 0 and 100,000"),
        (["generate", "char-lm", "--n", "10000000"], "n must be between 0 and 100,000"),
        (["generate", "char-lm", "--temperature", "nan"], "temperature must be a finite"),
        (["generate", "char-lm", "--temperature", "1e400"], "temperature must be a finite"),
        (["generate", "char-lm", "--top-k", "0"], "top_k must be between 1"),
        (["generate", "char-lm", "--prompt", "x" * 2001], "at most 2,000 are accepted"),
        (["generate", "char-lm", "--prompt", ""], "prompt is empty"),
        (["translate", "hello", "--beam-width", "0"], "beam_width must be between 1"),
        (["transcribe", str(WAV), "--beam-width", "33"], "between 1 (greedy) and 32, got 33"),
        (["transcribe", str(WAV), "--beam-width", "100000"], "and 32, got 100000"),
        (["classify", "x" * 5001], "5,001 characters"),
    ],
    ids=lambda value: " ".join(value[:2])[:24] if isinstance(value, list) else "",
)
def test_bad_values_are_one_error_line(argv, message, capsys):
    assert message in one_error_line(capsys, [*SHIPPED, *argv])


@pytest.mark.parametrize("seed", ["1.5", "one"])
def test_a_seed_that_is_not_an_integer_is_an_argparse_error(seed, capsys):
    with pytest.raises(SystemExit) as info:
        main([*SHIPPED, "generate", "char-lm", "--seed", seed])
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert "error: argument --seed: invalid int value" in err and "Traceback" not in err


def test_models_list_of_a_missing_folder_exits_2(tmp_path, capsys):
    err = one_error_line(capsys, ["--models-dir", str(tmp_path / "nonexistent"), "models", "list"])
    assert "is not a folder" in err


def test_a_missing_models_folder_in_the_environment_exits_2(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("RNN_SITE_MODELS", str(tmp_path / "nowhere"))
    assert "RNN_SITE_MODELS" in one_error_line(capsys, ["generate", "char-lm", "--n", "3"])


def test_export_of_a_garbage_checkpoint_exits_2(tmp_path, capsys):
    garbage = tmp_path / "garbage.pt"
    garbage.write_bytes(os.urandom(256))
    err = one_error_line(capsys, ["export", "char-lm", "--checkpoint", str(garbage)])
    assert "is not a checkpoint torch can read" in err


def test_export_of_another_models_checkpoint_exits_2(tmp_path, capsys):
    import torch

    other = tmp_path / "other.pt"
    torch.save({"weights": {"w": torch.zeros(2)}}, other)
    err = one_error_line(
        capsys, ["--models-dir", str(tmp_path), "export", "char-lm", "--checkpoint", str(other)]
    )
    assert "cannot export" in err and "rnn-site train char-lm" in err


@pytest.mark.parametrize(
    ("name", "rescore"),
    [
        ("speech.pt", "--rescore {run}"),
        # the rescore of a folder reads its speech.pt: another name is given with --checkpoint
        ("speech-80.pt", "--rescore --checkpoint {run}/speech-80.pt"),
    ],
)
def test_export_of_speech_scores_cut_by_another_trim_names_the_rescore(
    name, rescore, tmp_path, capsys
):
    """The published checkpoint with its real log, whose test_trim is set back to the fixed
    -40 dB trim: the line says the scores are stale (both trims, whole) and names the rescore
    of that checkpoint, not a broken checkpoint (it once asked "is it a checkpoint that
    `rnn-site train speech` wrote?" and cut the trims off at 200 characters; and it named the
    folder's rescore, which reads speech.pt, for a checkpoint called otherwise)."""
    run = tmp_path / "run"
    run.mkdir()
    shutil.copy(ROOT / "models" / "speech" / "speech.pt", run / name)
    log = json.loads((ROOT / "models" / "speech" / "metrics.json").read_text("utf-8"))
    fixed = {"frame": 160, "threshold_db": -40.0, "margin_s": 0.08}
    (run / "metrics.json").write_text(json.dumps({**log, "test_trim": fixed}), "utf-8")
    models = ["--models-dir", str(tmp_path / "models")]
    err = one_error_line(capsys, [*models, "export", "speech", "--checkpoint", str(run / name)])
    assert err.startswith(f"error: cannot export {run / name}: the test scores in ")
    assert f"another silence trim ({fixed}) than the runtime's (" in err
    assert "'floor_quantile': 0.1, 'floor_margin_db': 6.0, 'ceiling_db': -30.0})" in err
    assert err.endswith(
        f"`python -m rnn_site.experiments.speech_noise_floor {rescore.format(run=run)}`, "
        "then run this export again\n"
    )
    assert "is it a checkpoint" not in err and "ScoredTrimError" not in err


@pytest.mark.parametrize(
    ("flag", "value"), [("--tokens", "-1"), ("--tokens", "0"), ("--repeats", "0")]
)
def test_bench_refuses_counts_below_one(flag, value, capsys):
    err = one_error_line(capsys, [*SHIPPED, "bench", "char-lm", flag, value, "--no-write"])
    assert f"{flag} must be between 1" in err


def test_an_empty_wav_says_so_without_empty_parentheses(tmp_path, capsys):
    empty = tmp_path / "empty.wav"
    empty.write_bytes(b"")
    err = one_error_line(capsys, [*SHIPPED, "transcribe", str(empty)])
    assert "is empty (0 bytes)" in err and "()" not in err


def test_a_wav_that_is_not_audio_has_a_message_in_the_parentheses(tmp_path, capsys):
    header_only = tmp_path / "header.wav"
    header_only.write_bytes(WAV.read_bytes()[:20])
    err = one_error_line(capsys, [*SHIPPED, "transcribe", str(header_only)])
    assert "()" not in err and "16-bit PCM WAV" in err


def claim_more_data(data: bytes, frames: int) -> bytes:
    """The same WAV bytes with a RIFF and data chunk size announcing `frames` 16-bit frames."""
    at = data.index(b"data")
    size = min(frames * 2, 0xFFFFFFFF - 36)
    patched = bytearray(data)
    patched[at + 4 : at + 8] = struct.pack("<I", size)
    patched[4:8] = struct.pack("<I", size + at)
    return bytes(patched)


def test_a_wav_whose_header_claims_more_audio_warns_and_transcribes_what_is_there(tmp_path, capsys):
    """A header claiming 4 GB over 1 s of audio was transcribed without a word."""
    truncated = tmp_path / "truncated.wav"
    truncated.write_bytes(claim_more_data(WAV.read_bytes(), 2**31))
    assert main([*SHIPPED, "transcribe", str(truncated)]) == 0
    captured = capsys.readouterr()
    assert captured.err.startswith("warning: ") and "may be truncated" in captured.err
    waveform, rate = read_wav(WAV)
    expected = SpeechRecognizer.load("speech", models_dir=ROOT / "models").transcribe(
        waveform, rate
    )
    assert captured.out == expected.text + "\n"


def test_an_intact_wav_gives_no_warning(capsys):
    assert main([*SHIPPED, "transcribe", str(WAV)]) == 0
    assert capsys.readouterr().err == ""


def test_a_broken_pipe_ends_quietly():
    """`rnn-site generate char-lm --n 20000 | head -c 10` ended in a BrokenPipeError traceback."""
    process = subprocess.Popen(
        [sys.executable, "-m", "rnn_site.cli", *SHIPPED, "generate", "char-lm", "--n", "20000"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=ROOT,
    )
    assert process.stdout is not None and process.stderr is not None
    head = process.stdout.read(10)
    process.stdout.close()  # what `head -c 10` does once it has its bytes
    err = process.stderr.read().decode()
    code = process.wait(timeout=60)
    assert len(head) == 10
    assert err == "", err
    assert code == 141
