"""The ``rnn-site`` command: train, export, run, list and benchmark the site's models.

    rnn-site train char-lm            # about 10 minutes on 2 cores; writes models/char-lm/
    rnn-site export char-lm           # step.onnx, sequence.onnx, card.json, README.md, manifest
    rnn-site train char-lm --text book.txt --out runs/book     # your own text
    rnn-site export char-lm --checkpoint runs/book/char-lm.pt --out my-model
    rnn-site generate my-model        # a model folder works wherever a name does
    rnn-site generate char-lm --prompt "ROMEO:" --n 200 --temperature 0.8 --seed 0
    rnn-site generate char-mingru --n 200 --seed 0     # any text-generation model
    rnn-site translate "The weather is nice today." --beam-width 5   # prints the German
    rnn-site transcribe clip.wav [--beam-width 8]   # 16-bit PCM WAV, 4-192 kHz → transcript
    rnn-site classify "a wonderful, moving film"   # sentiment label and P(positive)
    rnn-site models list
    rnn-site bench char-lm

Each subcommand imports what it needs when it runs, so ``generate``, ``translate``,
``transcribe``, ``classify`` and ``models list`` work with numpy and onnxruntime alone (they run
the classes of `rnn_site.runtime`); ``train``, ``export`` and ``bench`` need torch.

Every mistake on the command line or in its input (a bad value, a missing or tampered model, an
unreadable file) ends as one line ``error: …`` on stderr and exit status 2, never a traceback.
Output cut short by the reader (``rnn-site generate char-lm --n 20000 | head -c 10``) ends
quietly, as Unix tools do.
"""

from __future__ import annotations

import argparse
import importlib
import io
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from rnn_site.applications import (
    APPLICATIONS,
    Application,
    UnknownApplicationError,
    application,
)


class UsageError(Exception):
    """The command line names something that does not exist; `main` prints it and returns 2."""


#: Every application's parts, by name, from the one registry (`rnn_site.applications`).
RECIPES: dict[str, Application] = {app.name: app for app in APPLICATIONS}


def _resolve(target: str) -> Callable[..., object]:
    module, _, function = target.partition(":")
    return getattr(importlib.import_module(module), function)


def _recipe(name: str) -> Application:
    try:
        return application(name)
    except UnknownApplicationError as exc:
        raise UsageError(str(exc)) from None


def _default_models_dir() -> Path:
    from rnn_site.runtime.registry import models_dirs

    found = models_dirs()
    return found[0] if found else Path("models")


# ------------------------------------------------------------------ subcommands


def cmd_train(args: argparse.Namespace) -> int:
    """Run the model's training entry point with the remaining arguments."""
    train_main = _resolve(_recipe(args.name).trainer)
    out_dir = Path(args.models_dir or _default_models_dir()) / args.name
    return int(train_main(["--out-dir", str(out_dir), *args.train_args]) or 0)  # type: ignore[call-overload]


def cmd_export(args: argparse.Namespace) -> int:
    """Export the trained checkpoint to ONNX, card, README and manifest."""
    recipe = _recipe(args.name)
    if args.out:
        return _export_folder(args, recipe)
    out_dir = Path(args.models_dir or _default_models_dir()) / args.name
    checkpoint = Path(args.checkpoint) if args.checkpoint else out_dir / recipe.checkpoint
    if not checkpoint.is_file():
        raise UsageError(f"no checkpoint at {checkpoint}; run `rnn-site train {args.name}`")
    _check_checkpoint(checkpoint)
    from rnn_site.export.cards import IncompleteRunError, ScoredTrimError

    try:
        paths = _resolve(recipe.exporter)(checkpoint, out_dir)
    except IncompleteRunError as exc:
        raise UsageError(str(exc)) from None
    except ScoredTrimError:
        raise UsageError(_stale_test_scores(checkpoint)) from None
    except (KeyError, TypeError, ValueError, AttributeError, RuntimeError) as exc:
        # torch read the file, but it is not a checkpoint of this model (another model's, or
        # a dict of something else): the exporter trips over a missing or mismatched entry.
        raise UsageError(
            f"cannot export {checkpoint} as {args.name}: {type(exc).__name__}: "
            f"{_first_line(exc)}; is it a checkpoint that `rnn-site train {args.name}` wrote?"
        ) from exc
    for kind, path in paths.items():  # type: ignore[attr-defined]
        print(f"{kind:>9}: {path}")
    return 0


def _stale_test_scores(checkpoint: Path) -> str:
    """The line for a speech log whose test scores another silence trim cut (`ScoredTrimError`):
    the checkpoint is sound, its scores are stale. The rescore measures them again with the
    runtime's trim and the same weights, in the folder where the exporter reads the log: the
    rescore of a folder reads its speech.pt, so another checkpoint is named with --checkpoint."""
    from rnn_site.data.speech_trim import TRIM
    from rnn_site.export.cards import read_training_log

    folder = checkpoint.parent
    scored = (read_training_log(checkpoint) or {}).get("test_trim") or "none recorded"
    named = checkpoint.name == "speech.pt"
    rescore = f"--rescore {folder}" if named else f"--rescore --checkpoint {checkpoint}"
    return (
        f"cannot export {checkpoint}: the test scores in {folder / 'metrics.json'} were "
        f"measured with another silence trim ({scored}) than the runtime's ({TRIM.to_dict()}), "
        "so the card would publish figures the runtime does not give; measure them again with "
        "the runtime's trim, the weights untouched: `python -m "
        f"rnn_site.experiments.speech_noise_floor {rescore}`, then run this export again"
    )


def _first_line(exc: BaseException) -> str:
    """The first line of an exception's message, or its type when it has none."""
    text = str(exc).strip().splitlines()
    return text[0][:200] if text else type(exc).__name__


def _check_checkpoint(path: str | os.PathLike[str]) -> None:
    """UsageError unless torch can read `path` as a checkpoint (before any export work)."""
    import torch

    try:
        torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises pickle, zip, runtime and EOF errors on garbage
        raise UsageError(
            f"{path} is not a checkpoint torch can read ({type(exc).__name__}: {_first_line(exc)})"
        ) from exc


def _export_folder(args: argparse.Namespace, recipe: Application) -> int:
    """`export --out DIR`: a self-contained model folder (see `rnn_site.export.model_folder`)."""
    from rnn_site.export.model_folder import OutputExistsError, export_model_folder

    if args.name != "char-lm":
        raise UsageError(f"--out exports character models only (char-lm), not {args.name!r}")
    if not args.checkpoint:
        raise UsageError(
            "--out needs --checkpoint: the char-lm.pt that `rnn-site train char-lm --text FILE "
            "--out RUN` wrote (RUN/char-lm.pt)"
        )
    if not Path(args.checkpoint).is_file():
        raise UsageError(f"no checkpoint at {args.checkpoint}")
    _check_checkpoint(args.checkpoint)
    try:
        paths = export_model_folder(args.checkpoint, args.out, force=args.force)
    except OutputExistsError as exc:
        raise UsageError(str(exc)) from None
    for kind, path in paths.items():
        print(f"{kind:>9}: {path}")
    print(f"try it: rnn-site generate {args.out}")
    return 0


#: The command that runs each task of a model card (for "use `rnn-site ...` instead" hints).
TASK_COMMANDS = {app.task: app.verb for app in APPLICATIONS if app.verb}


def _check_task(name: str, models_dir: str | None, task: str) -> None:
    """Raise UsageError unless the model's card says it does `task` (before loading any graph).

    Without this, a runtime class given another model's folder fails on a missing card field.
    A card without a task is let through: the runtime class's own checks decide.
    """
    from rnn_site.runtime.registry import list_models, locate

    location = locate(name, models_dir)
    found = location.card.get("task")
    if found is None or found == task:
        return
    command = TASK_COMMANDS[task]
    able = [m.name for m in list_models(location.models_dir) if m.card.get("task") == task]
    hint = f"; use `rnn-site {TASK_COMMANDS[found]}`" if found in TASK_COMMANDS else ""
    raise UsageError(
        f"model {location.name!r} is a {found} model, so `{command}` cannot run it{hint}; "
        f"`{command}` runs: {', '.join(able) or 'no model here'}"
    )


def cmd_generate(args: argparse.Namespace) -> int:
    """Stream generated characters to stdout as they come (char-lm, char-mingru)."""
    from rnn_site.runtime import CharLanguageModel

    _check_task(args.name, args.models_dir, "text-generation")
    model = CharLanguageModel.load(args.name, models_dir=args.models_dir)
    example = model.card.get("example_greedy")
    prompt = args.prompt
    if prompt is None:
        if not isinstance(example, dict) or not isinstance(example.get("prompt"), str):
            raise UsageError(f"model {args.name!r} has no example prompt; give one with --prompt")
        prompt = example["prompt"]
    chars = model.stream(
        prompt,
        args.n,
        args.temperature,
        args.top_k,
        args.seed,
        greedy=args.greedy,
        on_unknown=args.on_unknown,
    )
    sys.stdout.write(prompt)
    for ch in chars:
        sys.stdout.write(ch)
        sys.stdout.flush()
    sys.stdout.write("\n")
    return 0


def cmd_translate(args: argparse.Namespace) -> int:
    """Translate an English sentence to German and print it."""
    from rnn_site.runtime import Translator

    _check_task(args.model, args.models_dir, "translation")
    model = Translator.load(args.model, models_dir=args.models_dir)
    print(model.translate(args.text, beam_width=args.beam_width).text)
    return 0


#: Largest WAV file read (30 s of 192 kHz 16-bit stereo is 23 MB): a bigger file is refused
#: before it is read into memory.
MAX_WAV_BYTES = 64 * 1024 * 1024


def _read_wav_file(path: str) -> tuple[object, int]:
    """(samples, rate) of a 16-bit PCM WAV file, with one-line errors and a warning on stderr
    when the header claims more audio than the file holds (a truncated download or copy)."""
    import wave

    from rnn_site.data.audio import read_wav
    from rnn_site.runtime import AudioTooLongError, EmptyAudioError, InvalidAudioError

    size = Path(path).stat().st_size
    if size == 0:
        raise EmptyAudioError(f"{path!r} is empty (0 bytes); give a 16-bit PCM WAV file")
    if size > MAX_WAV_BYTES:
        raise AudioTooLongError(
            f"{path!r} has {size:,} bytes; at most {MAX_WAV_BYTES:,} are read (30 s of audio "
            "is far less)"
        )
    data = Path(path).read_bytes()
    try:
        with wave.open(io.BytesIO(data)) as w:
            claimed, channels = w.getnframes(), w.getnchannels()
        waveform, rate = read_wav(data)
    except (OSError, EOFError, wave.Error, ValueError) as exc:  # what `wave` raises on non-WAV
        raise InvalidAudioError(
            f"cannot read {path!r} as a 16-bit PCM WAV file ({_first_line(exc)}); convert it "
            "first, e.g. `ffmpeg -i clip.ogg -c:a pcm_s16le clip.wav`"
        ) from exc
    if claimed > len(waveform) and channels > 0:
        print(
            f"warning: {path}: the header announces {claimed:,} frames but the file holds "
            f"{len(waveform):,}; it may be truncated. Transcribing the "
            f"{len(waveform) / rate:.2f} s that are there.",
            file=sys.stderr,
        )
    return waveform, rate


def cmd_transcribe(args: argparse.Namespace) -> int:
    """Transcribe a spoken clip (16-bit PCM WAV, mono or stereo, 4–192 kHz) and print the text."""
    from rnn_site.runtime import SpeechRecognizer

    if not Path(args.wav).is_file():
        raise UsageError(f"no file at {args.wav!r}")
    _check_task(args.model, args.models_dir, "speech-recognition")
    model = SpeechRecognizer.load(args.model, models_dir=args.models_dir)
    waveform, rate = _read_wav_file(args.wav)
    # Width 1 is greedy decoding; a wider beam runs the CTC prefix beam search.
    decoder = "greedy" if args.beam_width == 1 else "beam"
    print(model.transcribe(waveform, rate, decoder=decoder, beam_width=args.beam_width).text)
    return 0


def cmd_classify(args: argparse.Namespace) -> int:
    """Print the sentiment label and P(positive) of a text."""
    from rnn_site.runtime import SentimentModel

    _check_task(args.model, args.models_dir, "text-classification")
    prediction = SentimentModel.load(args.model, models_dir=args.models_dir).predict(args.text)
    print(f"{prediction.label}  P(positive)={prediction.probability:.3f}")
    return 0


def _headline(card: dict) -> str:
    """'test_bpc 1.620 vs 2.110 (char-7gram)': the alphabetically first metric vs the best baseline.

    Alphabetical order makes the choice stable; for the language models it picks the held-out
    test score (``test_*`` sorts before ``val_*``).
    """
    metrics: dict[str, float] = next(iter(card.get("metrics", {}).values()), {})
    if not metrics:
        return "no metrics"
    key = next(iter(sorted(metrics)))
    lower = card.get("better", {}).get(key, "lower") == "lower"
    baselines = [(v[key], n) for n, v in card.get("baselines", {}).items() if key in v]
    text = f"{key} {metrics[key]:.3f}"
    if baselines:
        value, name = min(baselines) if lower else max(baselines)
        text += f" vs {value:.3f} ({name})"
    return text


def cmd_models_list(args: argparse.Namespace) -> int:
    """One line per model: name, task, files, headline metric against the best baseline."""
    from rnn_site.runtime.registry import list_models

    models_dir = Path(args.models_dir) if args.models_dir else _default_models_dir()
    found = list_models(models_dir)
    if not found:
        print(f"no models in {models_dir}")
        return 0
    rows = [
        (
            m.name,
            m.card.get("task", "?"),
            ", ".join(m.card.get("files", {}).values()),
            _headline(m.card),
        )
        for m in found
    ]
    header = ("name", "task", "files", "metric vs baseline")
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(3)]
    for row in [header, *rows]:
        print("  ".join(cell.ljust(w) for cell, w in zip(row[:3], widths, strict=True)), row[3])
    return 0


def cmd_models_verify(args: argparse.Namespace) -> int:
    """Check every file models/manifest.json lists against its size and sha256. A generated
    file not written yet (data whose licence keeps it out of the repository) is a note naming
    the command that writes it, not a failure. Exit 1 when a file does not match."""
    from rnn_site.export.manifest import check

    models_dir = Path(args.models_dir) if args.models_dir else _default_models_dir()
    if not models_dir.is_dir():
        raise UsageError(f"models folder {str(models_dir)!r} is not a folder")
    try:
        found = check(models_dir)
    except (ValueError, KeyError, TypeError) as exc:  # not JSON, or not a manifest's shape
        raise UsageError(f"{models_dir / 'manifest.json'} cannot be read: {exc!r}") from None
    for note in found.notes:
        print(f"note: {note}")
    for problem in found.problems:
        print(f"problem: {problem}")
    if found.problems:
        return 1
    other = " other" if found.notes else ""
    print(f"ok: every{other} file in {models_dir / 'manifest.json'} matches its size and sha256")
    return 0


def cmd_bench(args: argparse.Namespace) -> int:
    """Run the model's benchmark, print the table and store the figures in its card."""
    recipe = _recipe(args.name)
    if not recipe.bench:
        raise UsageError(f"model {args.name!r} has no benchmark yet")
    if not 1 <= args.tokens <= 100_000:
        raise UsageError(f"--tokens must be between 1 and 100,000, got {args.tokens}")
    if not 1 <= args.repeats <= 1_000:
        raise UsageError(f"--repeats must be between 1 and 1,000, got {args.repeats}")
    model_dir = Path(args.models_dir or _default_models_dir()) / args.name
    _resolve(recipe.bench)(
        model_dir, tokens=args.tokens, repeats=args.repeats, write=not args.no_write
    )
    return 0


# ------------------------------------------------------------------ parser


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (separate from `main` so tests and docs can inspect it)."""
    parser = argparse.ArgumentParser(
        prog="rnn-site", description="Train, export, run and benchmark the site's RNN models."
    )
    parser.add_argument(
        "--models-dir", help="folder holding the models (default: the repository's models/)"
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _add_torch_commands(sub)
    _add_generate(sub)
    _add_runtime_commands(sub)
    models = sub.add_parser(
        "models", help="inspect the published models", description="Inspect the published models."
    )
    models_sub = models.add_subparsers(dest="models_command", required=True, metavar="ACTION")
    _command(models_sub, "list", "list models with their key metric", cmd_models_list)
    _command(models_sub, "verify", "check the model files against the manifest", cmd_models_verify)
    _add_bench(sub)
    return parser


def _command(
    sub: Any, name: str, help: str, func: Callable[[argparse.Namespace], int]
) -> argparse.ArgumentParser:
    """A subcommand whose description is ``func``'s docstring and which runs ``func``."""
    command: argparse.ArgumentParser = sub.add_parser(name, help=help, description=func.__doc__)
    command.set_defaults(func=func)
    return command


def _add_torch_commands(sub: Any) -> None:
    """``train`` and ``export``: the commands that need torch (with ``bench``)."""
    names = f"model name: {', '.join(RECIPES)}"
    train = _command(sub, "train", "train a model (needs torch)", cmd_train)
    train.add_argument("name", help=names)
    train.add_argument(
        "train_args", nargs=argparse.REMAINDER, help="passed on to the trainer (e.g. --seed 1)"
    )
    export = _command(sub, "export", "export a trained model to ONNX (needs torch)", cmd_export)
    export.add_argument("name", help=names)
    export.add_argument("--checkpoint", help="checkpoint to export (default: the model's own)")
    export.add_argument(
        "--out", help="write a self-contained model folder here (its own manifest.json)"
    )
    export.add_argument("--force", action="store_true", help="overwrite an existing --out folder")


def _add_bench(sub: Any) -> None:
    """``bench``: per-token latency of a model (needs torch)."""
    bench = _command(sub, "bench", "benchmark per-token latency (needs torch)", cmd_bench)
    bench.add_argument("name", help=f"model name: {', '.join(RECIPES)}")
    bench.add_argument("--tokens", type=int, default=500, help="tokens per timed run (default 500)")
    bench.add_argument("--repeats", type=int, default=7, help="interleaved rounds (default 7)")
    bench.add_argument("--no-write", action="store_true", help="print only; leave the card alone")


def _add_generate(sub: Any) -> None:
    """``generate``: text from a character model."""
    gen = _command(sub, "generate", "generate text (numpy + onnxruntime only)", cmd_generate)
    gen.add_argument("name", help="model name or directory, e.g. char-lm or char-mingru")
    gen.add_argument("--prompt", help="text to continue (default: the card's example prompt)")
    gen.add_argument("--n", type=int, default=200, help="characters to generate (default 200)")
    gen.add_argument(
        "--temperature", type=float, default=1.0, help="≥ 0; 0 is greedy (default 1.0)"
    )
    gen.add_argument("--top-k", type=int, default=None, help="sample only from the k likeliest")
    gen.add_argument("--seed", type=int, default=None, help="random seed for reproducible text")
    gen.add_argument("--greedy", action="store_true", help="always take the likeliest character")
    gen.add_argument(
        "--on-unknown",
        choices=("error", "skip", "replace"),
        default="error",
        help="what to do with prompt characters the model does not know",
    )


#: ``translate``, ``transcribe`` and ``classify``: (help, function, input and its help,
#: default model, help of ``--beam-width`` or None where the task has no beam).
RUNTIME_COMMANDS = {
    "translate": ("translate English to German", cmd_translate, "text",
                  'one English sentence, e.g. "The weather is nice today."', "translator",
                  "beam width 1-10; 1 is greedy"),
    "transcribe": ("transcribe spoken digits and letters", cmd_transcribe, "wav",
                   "a 16-bit PCM WAV file, at most 30 s", "speech",
                   "CTC beam width 1-32; 1 is greedy"),
    "classify": ("sentiment of a text", cmd_classify, "text",
                 'text to classify, e.g. "a wonderful, moving film"', "sentiment", None),
}  # fmt: skip


def _add_runtime_commands(sub: Any) -> None:
    """The commands that run one exported model with numpy and onnxruntime alone."""
    for name, (help, func, arg, arg_help, model, beam_help) in RUNTIME_COMMANDS.items():
        command = _command(sub, name, f"{help} (numpy + onnxruntime only)", func)
        command.add_argument(arg, help=arg_help)
        if beam_help:
            command.add_argument(
                "--beam-width",
                "--beam",  # the old spelling, kept for one release
                dest="beam_width",
                type=int,
                default=1,
                help=beam_help,
            )
        command.add_argument("--model", default=model, help="model name or directory")


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``rnn-site``; returns the exit status (2 for a usage or model error)."""
    args = build_parser().parse_args(argv)
    from rnn_site.runtime.errors import RnnSiteError

    try:
        return int(args.func(args))
    except (RnnSiteError, UsageError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        return _quiet_broken_pipe()
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


def _quiet_broken_pipe() -> int:
    """The reader closed our stdout (``| head``): stop without a traceback, as Unix tools do.

    Python flushes stdout again at exit, which would raise once more; pointing the descriptor
    at /dev/null makes that flush harmless. 141 is the shell's status for death by SIGPIPE.
    """
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, io.UnsupportedOperation):  # stdout is not a real file
        pass
    return 141


if __name__ == "__main__":
    raise SystemExit(main())
