"""Every trainer shares one command-line frame; model flags are added on top."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import pytest

from rnn_site.applications import APPLICATIONS
from rnn_site.train.command import (
    positive_int,
    recipe_hparams,
    run_options,
    training_parser,
)


@dataclass(frozen=True)
class HP:
    hidden: int = 64
    max_steps: int = 1000


def parser(quick: dict[str, int] | None = None):  # type: ignore[no-untyped-def]
    p = training_parser("demo", "models/x", quick=quick, prog="rnn-site train x")
    p.add_argument("--max-steps", type=positive_int, default=None)
    return p


def test_shared_flags_map_to_train_keyword_arguments() -> None:
    args = parser().parse_args(["--seed", "3", "--no-progress", "--max-steps", "7"])
    assert run_options(args) == {
        "out_dir": "models/x",
        "seed": 3,
        "time_cap_s": None,
        "threads": 1,
        "progress": False,
        "device": "cpu",
        "recipe": {
            "command": "rnn-site train x --seed 3 --no-progress --max-steps 7",
            "preset": "published",
        },
    }
    assert args.max_steps == 7


def test_the_recorded_command_leaves_out_where_to_write() -> None:
    args = parser().parse_args(["--out-dir", "/tmp/elsewhere", "--seed", "1"])
    assert args.out_dir == "/tmp/elsewhere"
    assert run_options(args)["recipe"]["command"] == "rnn-site train x --seed 1"


def test_quick_applies_the_preset_and_explicit_flags_win() -> None:
    quick = {"hidden": 16, "max_steps": 50}
    args = parser(quick).parse_args(["--quick"])
    assert recipe_hparams(HP, args, max_steps=args.max_steps) == HP(hidden=16, max_steps=50)
    assert run_options(args)["recipe"]["preset"] == "quick"
    args = parser(quick).parse_args(["--quick", "--max-steps", "9"])
    assert recipe_hparams(HP, args, max_steps=args.max_steps) == HP(hidden=16, max_steps=9)
    args = parser(quick).parse_args([])
    assert recipe_hparams(HP, args, max_steps=args.max_steps) == HP()


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            ["--max-steps", "-5"],
            "error: argument --max-steps: expected a whole number >= 1, got -5",
        ),
        (
            ["--max-steps", "ten"],
            "error: argument --max-steps: expected a whole number >= 1, got 'ten'",
        ),
        (["--seed", "-1"], "error: argument --seed: expected a whole number >= 0, got -1"),
        (["--device", "tpu"], "error: argument --device: invalid choice: 'tpu'"),
        (["--time-cap", "0"], "error: argument --time-cap: expected a finite number > 0, got 0"),
        (["--quick"], "error: rnn-site train x has no --quick preset"),
    ],
)
def test_bad_flags_end_in_one_error_line_and_exit_2(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        parser().parse_args(argv)
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith(message) and err.count("\n") == 1


def test_cuda_without_a_gpu_is_refused_in_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has a GPU")
    with pytest.raises(SystemExit) as exit_info:
        parser().parse_args(["--device", "cuda"])
    assert exit_info.value.code == 2
    assert (
        capsys.readouterr().err
        == "error: --device cuda: torch sees no CUDA GPU; use --device cpu\n"
    )


TRAINER_MODULES = [app.trainer.partition(":")[0] for app in APPLICATIONS]


@pytest.mark.parametrize("module", TRAINER_MODULES, ids=lambda m: m.rsplit(".", 1)[-1])
def test_every_trainer_has_a_quick_preset_and_refuses_negative_budgets(
    module: str, capsys: pytest.CaptureFixture[str]
) -> None:
    import importlib

    trainer = importlib.import_module(module)
    assert trainer.QUICK, f"{module} has no --quick preset"
    flag = "--max-steps" if "max_steps" in trainer.QUICK else "--max-epochs"
    with pytest.raises(SystemExit) as exit_info:
        trainer.main([flag, "-1"])
    assert exit_info.value.code == 2
    assert capsys.readouterr().err.startswith(f"error: argument {flag}: expected a whole number")


def test_export_refuses_a_run_the_safety_cap_cut_short(
    tmp_path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A capped run is not its recipe: `rnn-site export` says so in one line, exit 2."""
    import json

    from char_lm_helpers import VOCAB, random_model  # a real CharLSTM checkpoint

    from rnn_site import cli
    from rnn_site.train.char_lm import save_char_lm

    folder = tmp_path / "char-lm"
    folder.mkdir()
    save_char_lm(folder / "char-lm.pt", random_model(hidden_size=8, embed_dim=4), VOCAB)
    log = {"complete": False, "stopped": "time_cap", "steps": 12}
    (folder / "metrics.json").write_text(json.dumps(log))
    assert cli.main(["--models-dir", str(tmp_path), "export", "char-lm"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "incomplete run (stopped by 'time_cap' at step 12)" in err
    assert not (folder / "card.json").exists()


def test_a_trainer_turns_its_flags_into_hyperparameters() -> None:
    """Each model flag lands in its field, converted where the field wants another shape, on
    top of the ``--quick`` preset; flags not given leave the recipe's values."""
    from rnn_site.train import char_mingru, melody, ts_forecaster

    def hparams(trainer, *argv: str):
        return trainer.hparams_of(trainer.parser().parse_args(list(argv)))

    assert hparams(melody.TRAINER) == melody.MelodyTrainConfig()
    assert hparams(melody.TRAINER, "--quick", "--ngram-max-order", "3") == (
        melody.MelodyTrainConfig(max_epochs=30, ngram_orders=(1, 2, 3))
    )
    chosen = hparams(ts_forecaster.TRAINER, "--normalisation", "level", "--max-steps", "7")
    assert chosen.normalisations == ("level",) and chosen.max_steps == 7
    assert hparams(ts_forecaster.TRAINER, "--members", "3").members == 3
    assert hparams(char_mingru.TRAINER, "--quick").max_steps == 2000
    assert char_mingru.TRAINER.options["name"] == "char-mingru"


def test_precision_overrides_the_recipes_and_is_refused_outside_its_choices(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``--precision`` sets the recipe's training precision (char-lm, its own-text recipe,
    char-mingru); anything but fp32 or bf16 is one error line and exit status 2."""
    from rnn_site.train import char_lm, char_mingru

    args = char_lm.parse_command(["--precision", "bf16"])
    chosen = recipe_hparams(char_lm.CharLMTrainConfig, args, precision=args.precision)
    assert chosen == replace(char_lm.CharLMTrainConfig(), precision="bf16")
    assert char_lm.CharLMTrainConfig().precision == "fp32"
    assert args.command == "rnn-site train char-lm --precision bf16"
    mingru = char_mingru.TRAINER
    assert mingru.hparams_of(mingru.parser().parse_args(["--precision", "bf16"])).precision == (
        "bf16"
    )
    with pytest.raises(SystemExit) as exit_info:
        char_lm.parse_command(["--precision", "fp16"])
    assert exit_info.value.code == 2
    assert capsys.readouterr().err == (
        "error: argument --precision: invalid choice: 'fp16' (choose from 'fp32', 'bf16')\n"
    )


def test_a_trainer_refuses_a_flag_outside_its_choices(capsys: pytest.CaptureFixture[str]) -> None:
    from rnn_site.train import ts_forecaster

    with pytest.raises(SystemExit) as exit_info:
        ts_forecaster.main(["--normalisation", "log"])
    assert exit_info.value.code == 2
    assert "argument --normalisation: invalid choice: 'log'" in capsys.readouterr().err


def test_every_train_function_takes_keywords_after_out_dir() -> None:
    """``train_<model>(out_dir, *, hparams=…, seed=…)``: train_demand took seven positional
    values, easy to shift by one."""
    import importlib
    import inspect
    import pkgutil

    import rnn_site.train

    found = []
    for info in pkgutil.iter_modules(rnn_site.train.__path__):
        module = importlib.import_module(f"rnn_site.train.{info.name}")
        for name, func in vars(module).items():
            if not (name.startswith("train_") and inspect.isfunction(func)):
                continue
            first, *rest = inspect.signature(func).parameters.values()
            if func.__module__ == module.__name__ and first.name == "out_dir":
                found.append(name)
                allowed = {inspect.Parameter.KEYWORD_ONLY, inspect.Parameter.VAR_KEYWORD}
                positional = [p.name for p in rest if p.kind not in allowed]
                assert not positional, f"{module.__name__}.{name} takes {positional} by position"
    assert {"train_char_lm", "train_demand", "train_speech", "train_forecaster"} <= set(found)


def test_char_lm_runs_its_published_recipe_and_own_text_on_two_threads(tmp_path: Path) -> None:
    """`rnn-site train char-lm` reproduces the card's 2-thread weights without --threads; the
    quick preset keeps the one thread it was measured on, except on your own text (timed for 2
    cores); --threads always wins, in any of argparse's spellings."""
    from rnn_site.train import char_lm

    assert (char_lm.PUBLISHED_THREADS, char_lm.QUICK_THREADS) == (2, 1)
    text = ["--text", str(tmp_path / "mine.txt"), "--out", str(tmp_path / "out")]
    for argv, threads in (
        ([], 2),
        (["--quick"], 1),
        (text, 2),
        ([*text, "--quick"], 2),
        (["--threads=1"], 1),
        (["--thread", "1"], 1),
        (["--quick", "--threads", "3"], 3),
        ([*text, "--quick", "--thr=1"], 1),
    ):
        args = char_lm.parse_command([*argv, "--no-progress"])
        assert (args.threads, args.threads_given) == (threads, any("--thr" in a for a in argv))
        assert run_options(args)["threads"] == threads, argv


def _help(parse: Callable[[list[str]], object], capsys: pytest.CaptureFixture[str]) -> str:
    with pytest.raises(SystemExit) as exit_info:
        parse(["--help"])
    assert exit_info.value.code == 0
    return " ".join(capsys.readouterr().out.split())  # argparse wraps to the terminal width


def test_help_says_how_many_threads_a_run_gets(capsys: pytest.CaptureFixture[str]) -> None:
    from rnn_site.train import char_lm

    shown = _help(char_lm.parse_command, capsys)
    assert "torch threads (default: 2; 1 with --quick)" in shown
    assert "(on 2 threads unless --threads, with --quick too)" in shown  # --text
    assert "None" not in shown
    assert "torch threads (default: 1)" in _help(parser().parse_args, capsys)
    declared = training_parser("d", "m", quick={"max_steps": 5}, threads=4, quick_threads=4)
    assert "torch threads (default: 4)" in _help(declared.parse_args, capsys)


def test_a_parser_declares_its_recipe_threads_and_the_flag_wins() -> None:
    declared = training_parser("d", "m", quick={"max_steps": 5}, threads=3, quick_threads=2)
    assert declared.parse_args([]).threads == 3
    assert declared.parse_args(["--quick"]).threads == 2
    assert declared.parse_args(["--quick", "--threads", "5"]).threads == 5
    same = training_parser("d", "m", quick={"max_steps": 5}, threads=3)  # quick: the same
    assert same.parse_args(["--quick"]).threads == 3
    args = parser().parse_args(["--threads=4"])
    assert (args.threads, args.threads_given) == (4, True)


#: Trainers whose published recipe declares two threads (their ``--quick`` keeps one).
TWO_THREADS = (".char_lm", ".translator")


@pytest.mark.parametrize(
    "module",
    [m for m in TRAINER_MODULES if not m.endswith(TWO_THREADS)],
    ids=lambda m: m.rsplit(".", 1)[-1],
)
def test_every_other_trainer_trains_on_one_thread_unless_told(module: str) -> None:
    """The frame's default (1 thread: weights independent of the core count) for every trainer
    but char-lm and the translator, with and without --quick."""
    import importlib

    trainer = importlib.import_module(module).TRAINER
    for argv in ([], ["--quick"]):
        assert trainer.parser().parse_args(argv).threads == 1, argv
    assert trainer.parser().parse_args(["--threads", "2"]).threads == 2


def test_the_translator_recipe_trains_on_two_threads_and_its_quick_preset_on_one() -> None:
    from rnn_site.train.translator import TRAINER

    assert TRAINER.parser().parse_args([]).threads == 2
    assert TRAINER.parser().parse_args(["--quick"]).threads == 1
    assert TRAINER.parser().parse_args(["--quick", "--threads=2"]).threads == 2
