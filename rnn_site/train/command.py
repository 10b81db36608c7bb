"""The command line every training entry point shares (`rnn-site train NAME ...`).

Each model adds only its own hyperparameter flags; the run's frame (where to write, seed,
device, safety time cap, threads, progress bar, the ``--quick`` preset) is the same for all, so
it is declared once here. A recipe is steps (or epochs) plus a seed, so the same command gives
the same model; bad values end in one ``error: ...`` line and exit status 2.
"""

from __future__ import annotations

import argparse
import shlex
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, fields, is_dataclass
from dataclasses import field as dc_field
from typing import Any, NoReturn, TypeVar

HP = TypeVar("HP")


class TrainingParser(argparse.ArgumentParser):
    """An argument parser whose errors are one ``error: ...`` line and exit status 2."""

    def __init__(
        self,
        *args: Any,
        quick: Mapping[str, Any] | None = None,
        threads: int = 1,
        quick_threads: int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.quick = quick
        self.threads = threads
        self.quick_threads = threads if quick_threads is None else quick_threads

    def error(self, message: str) -> NoReturn:
        print(f"error: {message}", file=sys.stderr)
        raise SystemExit(2)

    def parse_args(self, args: Sequence[str] | None = None, namespace: Any = None) -> Any:  # type: ignore[override]
        parsed = super().parse_args(args, namespace)
        if getattr(parsed, "quick", False) and self.quick is None:
            self.error(f"{self.prog} has no --quick preset; run the published recipe instead")
        if getattr(parsed, "device", "cpu").startswith("cuda"):
            import torch

            if not torch.cuda.is_available():
                self.error(f"--device {parsed.device}: torch sees no CUDA GPU; use --device cpu")
        parsed._quick = self.quick
        # None: --threads not given (in any spelling argparse accepts); the recipe's count.
        parsed.threads_given = parsed.threads is not None
        if not parsed.threads_given:
            parsed.threads = self.quick_threads if parsed.quick else self.threads
        given = list(sys.argv[1:] if args is None else args)
        # Where to write is not part of the recipe; `rnn-site train` adds one --out-dir before
        # the user's own, so drop every one.
        while "--out-dir" in given[:-1]:
            at = given.index("--out-dir")
            del given[at : at + 2]
        parsed.command = shlex.join([*self.prog.split(), *given])
        return parsed


def _whole_number(low: int) -> Callable[[str], int]:
    """An argparse type: an integer >= ``low``, refused in words that say what is accepted."""

    def parse(text: str) -> int:
        value: int | None
        try:
            value = int(text)
        except ValueError:
            value = None
        if value is None or value < low:
            shown = repr(text) if value is None else value
            raise argparse.ArgumentTypeError(f"expected a whole number >= {low}, got {shown}")
        return value

    return parse


#: argparse types: steps, epochs and sizes (>= 1); seeds (>= 0).
positive_int = _whole_number(1)
non_negative_int = _whole_number(0)


def positive_float(text: str) -> float:
    """argparse type: a finite number > 0 (seconds)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number > 0, got {text!r}") from None
    if not 0 < value < float("inf"):
        raise argparse.ArgumentTypeError(f"expected a finite number > 0, got {text}")
    return value


def training_parser(
    description: str,
    out_dir: str,
    *,
    quick: Mapping[str, Any] | None = None,
    prog: str = "",
    threads: int = 1,
    quick_threads: int | None = None,
) -> TrainingParser:
    """A parser with the flags every trainer takes; add model-specific flags to it.

    ``quick`` is the model's ``--quick`` preset: hyperparameter overrides for a run of at most
    10 minutes on 2 CPU cores (``None``: the model has none and ``--quick`` is refused).
    Model flags should default to ``None`` so that :func:`recipe_hparams` can tell a flag the
    user gave from the preset's value. ``threads`` is how many torch threads the published
    recipe was trained on, ``quick_threads`` those of the ``--quick`` preset (``None``: the
    same); ``--threads`` overrides both, and the parsed ``threads_given`` says whether it did.
    """
    parser = TrainingParser(
        description=description,
        quick=quick,
        threads=threads,
        quick_threads=quick_threads,
        prog=prog or None,
    )
    # prog names the command a user types, e.g. "rnn-site train char-lm", logged as the recipe.
    parser.add_argument("--out-dir", default=out_dir)
    parser.add_argument("--seed", type=non_negative_int, default=0)
    parser.add_argument(
        "--quick",
        action="store_true",
        help="the short preset (at most 10 minutes on 2 CPU cores) instead of the published recipe",
    )
    parser.add_argument(
        "--device",
        default="cpu",
        choices=["cpu", "cuda"],
        help="cpu (the published recipes) or cuda to retrain faster on a GPU",
    )
    parser.add_argument(
        "--time-cap",
        type=positive_float,
        default=None,
        help="safety cap in seconds; a run it stops is marked incomplete and is not published",
    )
    # One thread by default: the weights then do not depend on the core count, and on a shared
    # machine a second thread of a small model mostly spins (measured: 23 steps/s idle fell to
    # 0.3 under load). A trainer whose published recipe uses more says so with ``threads=``
    # (char-lm: 2 threads for its wide layers, 1 for its quick preset).
    default = f"{threads}"
    if quick is not None and parser.quick_threads != threads:
        default += f"; {parser.quick_threads} with --quick"
    parser.add_argument(
        "--threads", type=positive_int, default=None, help=f"torch threads (default: {default})"
    )
    parser.add_argument("--no-progress", action="store_true")
    return parser


def recipe_hparams(cls: Callable[..., HP], args: argparse.Namespace, **flags: Any) -> HP:
    """The hyperparameters of this run: the published defaults, the ``--quick`` preset if
    asked for, then every model flag the user gave (``None`` means not given)."""
    values: dict[str, Any] = {}
    if args.quick:
        values.update(getattr(args, "_quick", None) or {})
    values.update({k: v for k, v in flags.items() if v is not None})
    return cls(**values)


def run_options(args: argparse.Namespace) -> dict[str, Any]:
    """The shared flags as keyword arguments of a ``train_<model>`` function."""
    return {
        "out_dir": args.out_dir,
        "seed": args.seed,
        "time_cap_s": args.time_cap,
        "threads": args.threads,
        "progress": not args.no_progress,
        "device": args.device,
        "recipe": {
            "command": getattr(args, "command", None),
            "preset": "quick" if args.quick else "published",
        },
    }


def recipe_fields(hparams: Any) -> dict[str, Any]:
    """The step/epoch budget of a hyperparameter dataclass, for the card's recipe line."""
    if not is_dataclass(hparams):
        return {}
    names = {"max_steps", "max_epochs", "epochs"}
    return {f.name: getattr(hparams, f.name) for f in fields(hparams) if f.name in names}


@dataclass(frozen=True)
class Flag:
    """One model flag of a trainer's command line: the hyperparameter it sets, its argparse
    ``type`` and ``choices``, and ``to`` turning the parsed value into the field's value."""

    field: str
    type: Callable[[str], Any] = positive_int
    help: str | None = None
    choices: Sequence[str] | None = None
    to: Callable[[Any], Any] | None = None


#: ``--precision``, for recipes with a ``precision`` field (the loop's
#: `~rnn_site.train.loop.TrainConfig.precision`): a reader whose CPU lacks bfloat16 units
#: trains a bf16 recipe in float32 instead (other weights than the published ones).
PRECISION = Flag(
    "precision",
    str,
    "bf16: bfloat16 autocast, faster on CPUs with bfloat16 units (AMX, AVX512-BF16), "
    "refused on others; fp32: float32 (default: the recipe's)",
    ("fp32", "bf16"),
)


@dataclass(frozen=True)
class Trainer:
    """A model's ``rnn-site train NAME`` command, declared as data: every trainer's ``main``
    is ``TRAINER.main(argv)``, so parsing, presets and the call are written once here.

    ``train`` is the model's ``train_<model>`` function, called with :func:`run_options`,
    ``hparams=`` (built from ``hparams``, the ``--quick`` preset and ``flags``) and
    ``options`` (fixed keyword arguments, such as char-mingru's network).
    """

    name: str
    doc: str | None
    hparams: Callable[..., Any]
    train: Callable[..., Any]
    quick: Mapping[str, Any] | None = None
    flags: Mapping[str, Flag] = dc_field(default_factory=dict)
    options: Mapping[str, Any] = dc_field(default_factory=dict)
    #: Torch threads of the published recipe and of the ``--quick`` preset (None: the same).
    threads: int = 1
    quick_threads: int | None = None

    def parser(self) -> TrainingParser:
        """The shared flags, then this model's own (each defaulting to ``None``: not given)."""
        parser = training_parser(
            (self.doc or "").splitlines()[0],
            f"models/{self.name}",
            quick=self.quick,
            prog=f"rnn-site train {self.name}",
            threads=self.threads,
            quick_threads=self.quick_threads,
        )
        for flag, spec in self.flags.items():
            parser.add_argument(
                flag, type=spec.type, default=None, choices=spec.choices, help=spec.help
            )
        return parser

    def hparams_of(self, args: argparse.Namespace) -> Any:
        """This run's hyperparameters: the recipe, the ``--quick`` preset, then the flags."""
        values = {}
        for flag, spec in self.flags.items():
            value = getattr(args, flag.lstrip("-").replace("-", "_"))
            values[spec.field] = spec.to(value) if spec.to and value is not None else value
        return recipe_hparams(self.hparams, args, **values)

    def run(self, args: argparse.Namespace) -> int:
        """Train with the parsed ``args``; returns the exit status."""
        self.train(**run_options(args), hparams=self.hparams_of(args), **self.options)
        return 0

    def main(self, argv: Sequence[str] | None = None) -> int:
        """``rnn-site train NAME [--quick] [flags]``: parse ``argv`` and train."""
        return self.run(self.parser().parse_args(argv))
