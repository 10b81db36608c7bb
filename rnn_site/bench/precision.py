"""Training step time in float32 against bfloat16 autocast, for three published recipes' networks.

`rnn_site.train.loop.TrainConfig.precision` ``"bf16"`` runs the forward pass and the loss under
``torch.autocast(cpu, bfloat16)``; weights, gradients, Adam and evaluation stay float32. This
times one optimiser step both ways, through the loop's own :meth:`~rnn_site.train.loop.Run.optimise`
(forward, loss, backward, clipping, Adam), for the networks at their recipes' sizes:

- ``char-lm`` — `rnn_site.train.char_lm.char_lstm` with ``CharLMTrainConfig()``, one window of
  ``batch x seq_len`` characters, loss `lm_step` from the zero state;
- ``translator`` — `rnn_site.models.translator.Translator` with ``TranslatorTrainConfig()``'s
  sizes (its vocabularies at their caps), a batch of ``batch`` sentence pairs of 9 tokens a
  side (the mean English and German training sentence), loss `batch_loss` with label smoothing;
- ``speech`` — `rnn_site.models.speech.SpeechCTC` with ``SpeechTrainConfig()``'s sizes, a batch
  of ``batch`` one-second clips (the training clips average 0.8 s, plus the silence the
  augmentation adds), two symbols each, loss `ctc_loss`.

Inputs are seeded random ids and noise: a step's time depends on the shapes, not on the values.
Each round times one step of every (network, precision) pair, in a rotating order, so drifts in
machine load hit both precisions alike; figures are medians over rounds after discarded warm-up
steps. It also records one step's loss both ways, on the same batch and the same weights
(dropout off), to show that bf16 rounds the same computation rather than doing another.

A CPU without bfloat16 units is emulated on this one (unless ``--no-emulate``): the char-lm and
speech networks run again in a subprocess whose oneDNN and ATen kernels are capped at an older
instruction set (``ONEDNN_MAX_CPU_ISA``, ``ATEN_CPU_CAPABILITY``): AVX-512 without its BF16
extension and AMX, and AVX2. Each step's ms, or the error that stopped it, goes into the figures'
``emulated``. The same cores with fewer instructions are not another CPU, but they show what
bfloat16 costs without its units, and that torch 2.13's oneDNN has no bfloat16 LSTM for AVX2.

Run ``python -m rnn_site.bench.precision``: it prints the table with the ratios bf16 / float32
and writes ``rnn_site/experiments/results/precision_benchmark.json``, which the training page
shows (rnn_site/sitebuild/precision_data.py). Timings belong here, never in tests.
"""

from __future__ import annotations

import copy
import dataclasses
import json
import os
import platform
import statistics
import subprocess
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn
from tqdm.auto import tqdm

from rnn_site.bench.figures import conditions, figures_parser, interleaved_seconds, publish
from rnn_site.data.audio import SAMPLE_RATE
from rnn_site.models.speech import SpeechConfig, SpeechCTC
from rnn_site.models.translator import Translator, TranslatorConfig
from rnn_site.sitebuild.precision_data import RESULTS_PATH, SCHEMA, precision_table
from rnn_site.train.char_lm import CharLMTrainConfig, char_lstm, lm_step
from rnn_site.train.hparams import network_config
from rnn_site.train.loop import Run, TrainConfig, machine
from rnn_site.train.speech import SpeechTrainConfig, ctc_loss
from rnn_site.train.translator import TranslatorTrainConfig, batch_loss

PRECISIONS = ("fp32", "bf16")
#: Where the char-lm's alphabet size comes from: the published model's card.
CHAR_CARD = Path(__file__).resolve().parents[2] / "models" / "char-lm" / "card.json"


@dataclass
class Network:
    """One contender: a network, the loss its recipe trains it with, one batch of its shapes."""

    name: str
    model: nn.Module
    loss_fn: Callable[[nn.Module, Any], torch.Tensor]
    batch: Any
    lr: float
    #: The batch in words, for the table ("32 x 64 characters").
    shape: str


def char_lm_network(hp: CharLMTrainConfig | None = None, vocab_size: int | None = None) -> Network:
    """The char-lm recipe's LSTM and one training window (from the zero state)."""
    hp = hp or CharLMTrainConfig()
    if vocab_size is None:
        vocab_size = json.loads(CHAR_CARD.read_text("utf-8"))["config"]["vocab_size"]
    torch.manual_seed(0)
    model = char_lstm(vocab_size, hp)
    ids = torch.randint(0, vocab_size, (hp.batch, hp.seq_len + 1))
    window = (ids[:, :-1], ids[:, 1:])
    return Network(
        "char-lm",
        model,
        lambda m, b: lm_step(m, b, None)[0],
        window,
        hp.lr,
        f"{hp.batch} x {hp.seq_len} characters",
    )


def translator_network(hp: TranslatorTrainConfig | None = None, length: int = 9) -> Network:
    """The translator at its recipe's sizes and a batch of sentence pairs of ``length`` tokens."""
    hp = hp or TranslatorTrainConfig()
    torch.manual_seed(0)
    model = Translator(
        network_config(TranslatorConfig, hp, src_vocab=hp.src_vocab, tgt_vocab=hp.tgt_vocab)
    )
    src = torch.randint(4, hp.src_vocab, (hp.batch, length))
    german = torch.randint(4, hp.tgt_vocab, (hp.batch, length))
    bos, eos = torch.full((hp.batch, 1), 2), torch.full((hp.batch, 1), 3)
    batch = (src, torch.ones(hp.batch, length), torch.cat([bos, german], 1),
             torch.cat([german, eos], 1))  # fmt: skip
    return Network(
        "translator",
        model,
        lambda m, b: batch_loss(m, b, hp.label_smoothing),  # type: ignore[arg-type]
        batch,
        hp.lr,
        f"{hp.batch} pairs x {length} tokens",
    )


def speech_network(hp: SpeechTrainConfig | None = None, seconds: float = 1.0) -> Network:
    """The speech recogniser at its recipe's sizes and a batch of ``seconds``-long clips."""
    hp = hp or SpeechTrainConfig()
    torch.manual_seed(0)
    model = SpeechCTC(network_config(SpeechConfig, hp))
    samples = int(seconds * SAMPLE_RATE)
    rng = np.random.default_rng(0)
    waves = torch.from_numpy(rng.normal(0, 0.1, (hp.batch, samples)).astype(np.float32))
    targets = torch.randint(1, model.config.vocab_size, (2 * hp.batch,))
    batch = (waves, torch.full((hp.batch,), samples), targets, torch.full((hp.batch,), 2))
    return Network(
        "speech", model, ctc_loss, batch, hp.lr,  # type: ignore[arg-type]
        f"{hp.batch} clips x {seconds:g} s",
    )  # fmt: skip


def recipe_networks() -> list[Network]:
    """The three contenders at their published recipes' sizes."""
    return [char_lm_network(), translator_network(), speech_network()]


#: The networks the emulated CPUs time, by name: an LSTM stack and the small conv + LSTM
#: recogniser (the translator's step is mostly the same products as char-lm's).
BUILDERS: dict[str, Callable[[], Network]] = {
    "char-lm": char_lm_network,
    "translator": translator_network,
    "speech": speech_network,
}
EMULATED_NETWORKS = ("char-lm", "speech")
#: Each emulated CPU: oneDNN's ``ONEDNN_MAX_CPU_ISA`` and ATen's matching ``ATEN_CPU_CAPABILITY``.
#: AVX512_CORE is AVX-512 without AVX512-BF16 and AMX; AVX2 a CPU without AVX-512.
EMULATED_ISAS = {"AVX512_CORE": "avx512", "AVX2": "avx2"}


def loop_run(network: Network, precision: str, threads: int) -> Run:
    """The training loop's `Run` on a copy of the network's weights, its steps in ``precision``.

    The loop refuses bf16 on a CPU without bfloat16 units (`PrecisionUnavailableError`: slow
    there, or failing), and that cost is what this benchmark measures, on such a CPU or an
    emulated one: the run is built in float32 and then given ``precision``, which is all its
    steps read."""
    config = TrainConfig(
        lr=network.lr, schedule="constant", threads=threads, progress=False, max_steps=10**9
    )
    run = Run(copy.deepcopy(network.model), network.loss_fn, lambda m: {}, config, None, None, "")
    run.config = dataclasses.replace(config, precision=precision)  # type: ignore[arg-type]
    run.model.train()
    run.bar = tqdm(disable=True)  # Run.fit makes it; optimise reports to it
    return run


def loop_step(network: Network, precision: str, threads: int) -> Callable[[], None]:
    """One optimiser step of the training loop itself, on a copy of the network's weights."""
    run = loop_run(network, precision, threads)
    return lambda: run.optimise(network.batch)


def one_step_both_ways(network: Network) -> dict[str, Any]:
    """The loss and gradient of one batch from the same weights in float32 and under bf16
    autocast (dropout off, so only the rounding differs)."""
    losses, grads = {}, {}
    for precision in PRECISIONS:
        model = copy.deepcopy(network.model).eval()
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=precision == "bf16"):
            loss = network.loss_fn(model, network.batch).float()
        loss.backward()
        losses[precision] = loss.item()
        # float64: a float32 cosine of two million products drifts past 1
        grads[precision] = torch.cat(
            [p.grad.flatten() for p in model.parameters() if p.grad is not None]
        ).double()
    cosine = nn.functional.cosine_similarity(grads["fp32"], grads["bf16"], dim=0).item()
    return {
        "loss": {
            "fp32": round(losses["fp32"], 6),
            "bf16": round(losses["bf16"], 6),
            "difference": round(losses["bf16"] - losses["fp32"], 6),
        },
        "gradient_cosine": round(cosine, 6),
    }


def measure(
    networks: list[Network] | None = None, rounds: int = 25, warmup: int = 3, threads: int = 2
) -> dict[str, Any]:
    """Median ms per optimiser step of every network in both precisions, interleaved rounds,
    their ratio bf16 / float32, one step's loss both ways, and the machine."""
    torch.set_num_threads(threads)
    networks = networks or recipe_networks()
    steps = {(n.name, p): loop_step(n, p, threads) for n in networks for p in PRECISIONS}
    for step in steps.values():  # warm-up: the first calls allocate and pick kernels
        for _ in range(warmup):
            step()
    load_before = os.getloadavg()
    times = interleaved_seconds(steps, rounds)
    figures: dict[str, Any] = {}
    for net in networks:
        ms = {p: 1000 * statistics.median(times[net.name, p]) for p in PRECISIONS}
        figures[net.name] = {
            "batch": net.shape,
            "parameters": sum(p.numel() for p in net.model.parameters()),
            "fp32_ms": round(ms["fp32"], 2),
            "bf16_ms": round(ms["bf16"], 2),
            "ratio": round(ms["bf16"] / ms["fp32"], 3),
            **one_step_both_ways(net),
        }
    return {
        "schema": SCHEMA,
        "threads": threads,
        "rounds": rounds,
        "warmup": warmup,
        "networks": figures,
        "machine": machine(),
        "setup": f"torch {torch.__version__}, Python {platform.python_version()}",
        **conditions(load_before),
    }


def _error_line(exc: BaseException) -> str:
    """``Type: first line of the message``, as the figures record a step that failed."""
    lines = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {lines[0][:200] if lines else ''}".rstrip(": ")


def steps_or_errors(
    names: Sequence[str], rounds: int, warmup: int, threads: int
) -> dict[str, dict[str, Any]]:
    """Median ms per step of each named network in both precisions, or the error that stopped
    its first step (``fp32_error``/``bf16_error``), and the ratio where both ran.

    Run by `emulated` in a process whose kernels are capped: there a bf16 step may fail inside
    oneDNN (a RuntimeError), which is a finding to record, not a crash of the benchmark."""
    torch.set_num_threads(threads)
    networks = [BUILDERS[name]() for name in names]
    steps: dict[tuple[str, str], Callable[[], None]] = {}
    errors: dict[tuple[str, str], str] = {}
    for net in networks:
        for precision in PRECISIONS:
            try:
                step = loop_step(net, precision, threads)
                for _ in range(max(warmup, 1)):  # the first call creates oneDNN's primitives
                    step()
            except RuntimeError as exc:
                errors[net.name, precision] = _error_line(exc)
            else:
                steps[net.name, precision] = step
    times = interleaved_seconds(steps, rounds)
    figures: dict[str, dict[str, Any]] = {}
    for net in networks:
        row: dict[str, Any] = {"batch": net.shape}
        for precision in PRECISIONS:
            if (net.name, precision) in times:
                ms = 1000 * statistics.median(times[net.name, precision])
                row[f"{precision}_ms"] = round(ms, 2)
            else:
                row[f"{precision}_error"] = errors[net.name, precision]
        if "fp32_ms" in row and "bf16_ms" in row:
            row["ratio"] = round(row["bf16_ms"] / row["fp32_ms"], 3)
        figures[net.name] = row
    return figures


def emulated(
    isa: str,
    names: Sequence[str] = EMULATED_NETWORKS,
    rounds: int = 25,
    warmup: int = 3,
    threads: int = 2,
) -> dict[str, Any]:
    """`steps_or_errors` in a subprocess with oneDNN and ATen capped at ``isa`` (a key of
    `EMULATED_ISAS`): this CPU without its bfloat16 units. Both caps are read when torch
    loads, hence the subprocess. Returns the networks' figures and the load it ran under."""
    env = {**os.environ, "ONEDNN_MAX_CPU_ISA": isa, "ATEN_CPU_CAPABILITY": EMULATED_ISAS[isa]}
    code = (
        "import json; from rnn_site.bench.precision import steps_or_errors; "
        f"print(json.dumps(steps_or_errors({list(names)!r}, {rounds}, {warmup}, {threads})))"
    )
    load_before = os.getloadavg()
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise RuntimeError(f"the run with ONEDNN_MAX_CPU_ISA={isa} failed: {last}")
    return {"networks": json.loads(done.stdout.splitlines()[-1]), **conditions(load_before)}


def main(argv: list[str] | None = None) -> None:
    """Command line: measure, print the table with the ratios, rewrite the cached JSON."""
    parser = figures_parser(__doc__, RESULTS_PATH)
    parser.set_defaults(rounds=25)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--note", help="what else the machine was doing (kept in the figures)")
    parser.add_argument(
        "--emulate",
        action="append",
        choices=list(EMULATED_ISAS),
        help="time char-lm and speech again with oneDNN capped at this instruction set (a CPU "
        f"without bfloat16 units; repeatable; default: {', '.join(EMULATED_ISAS)})",
    )
    parser.add_argument("--no-emulate", action="store_true", help="this CPU only")
    args = parser.parse_args(argv)
    figures = measure(rounds=args.rounds, warmup=args.warmup, threads=args.threads)
    if args.note:
        figures["note"] = args.note
    isas = [] if args.no_emulate else args.emulate or list(EMULATED_ISAS)
    if isas:
        figures["emulated"] = {
            isa: emulated(isa, rounds=args.rounds, warmup=args.warmup, threads=args.threads)
            for isa in tqdm(isas, desc="emulated CPUs")
        }
    print(precision_table(figures))
    publish(figures, args)


if __name__ == "__main__":
    main()
