"""The shared training loop, atomic artefacts, and the char-LM batching and evaluation."""

from __future__ import annotations

import itertools
import json
import math
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import pytest
import torch
from bf16_marks import needs_bf16
from torch import nn

from rnn_site.models.char_lm import CharLMConfig, CharLSTM
from rnn_site.runtime.errors import RnnSiteError
from rnn_site.train import loop
from rnn_site.train.artifacts import atomic_path, write_json
from rnn_site.train.char_lm import EpochWindows, bits_per_char, lm_step, lm_windows
from rnn_site.train.loop import (
    CarriedState,
    Job,
    PrecisionUnavailableError,
    TrainConfig,
    finish_training,
    lr_factor,
    run_info,
    time_left,
    train,
)

ROOT = Path(__file__).resolve().parents[1]
torch.set_num_threads(1)

Batch = tuple[torch.Tensor, torch.Tensor]
TRUE_W = torch.tensor([[3.0], [-2.0]])


def regression_batches(epoch: int, n_batches: int = 20) -> list[Batch]:
    """A noiseless linear task y = 3 x0 - 2 x1 + 1; reshuffled per epoch from its own seed."""
    g = torch.Generator().manual_seed(100 + epoch)
    xs = [torch.randn(16, 2, generator=g) for _ in range(n_batches)]
    return [(x, x @ TRUE_W + 1.0) for x in xs]


def mse(model: nn.Module, batch: Batch) -> torch.Tensor:
    x, y = batch
    return nn.functional.mse_loss(model(x), y)


def val_loss(model: nn.Module) -> dict[str, float]:
    return {"val_loss": sum(mse(model, b).item() for b in regression_batches(999, 4)) / 4}


@dataclass(frozen=True)
class HParams:
    width: int

    def to_dict(self) -> dict[str, int]:
        return asdict(self)


def quiet(**kwargs: object) -> TrainConfig:
    return TrainConfig(progress=False, **kwargs)  # type: ignore[arg-type]


def test_a_tiny_model_learns_a_tiny_task(tmp_path: Path) -> None:
    model = nn.Linear(2, 1)
    result = train(model, regression_batches, mse, val_loss, quiet(epochs=10, lr=0.05), tmp_path)
    assert result.history[0]["val_loss"] > 0.1
    assert val_loss(model)["val_loss"] < 1e-3
    assert result.stopped == "finished" and result.steps == 200 and result.epochs_completed == 10
    log = json.loads((tmp_path / "metrics.json").read_text())
    assert log["status"] == "finished"
    assert log["train_config"]["lr"] == 0.05
    assert [h["epoch"] for h in log["history"]] == list(range(10))  # eval at each epoch end
    assert {"torch", "numpy", "python", "git_commit"} <= log["versions"].keys()


def test_same_seed_same_run_different_seed_different_run() -> None:
    def run(seed: int, disturb: int) -> list[float]:
        torch.manual_seed(0)  # identical initial weights in every run
        model = nn.Sequential(nn.Linear(2, 8), nn.Dropout(0.2), nn.Tanh(), nn.Linear(8, 1))
        torch.rand(disturb)  # global RNG left in a different state: the loop must re-seed
        cfg = quiet(seed=seed, epochs=3, lr=0.01, eval_every=7)
        return [
            h["train_loss"] for h in train(model, regression_batches, mse, val_loss, cfg).history
        ]

    assert run(seed=1, disturb=0) == run(seed=1, disturb=5)
    assert run(seed=1, disturb=0) != run(seed=2, disturb=0)  # only dropout masks differ


def test_lr_schedule_warms_up_then_decays_to_its_floor() -> None:
    cfg = TrainConfig(lr=1.0, warmup_steps=10, schedule="cosine", min_lr_ratio=0.1)
    assert lr_factor(cfg, 0.0, 0) == pytest.approx(0.1)
    assert lr_factor(cfg, 0.0, 9) == pytest.approx(1.0)
    assert lr_factor(cfg, 0.5, 50) == pytest.approx(0.55)
    assert lr_factor(cfg, 1.0, 100) == pytest.approx(0.1)
    step = TrainConfig(schedule="step", step_every=10, step_gamma=0.5)
    assert [lr_factor(step, 0, s) for s in (0, 9, 10, 25)] == [1.0, 1.0, 0.5, 0.25]
    with pytest.raises(ValueError, match="schedule must be"):
        TrainConfig(schedule="linear")  # type: ignore[arg-type]


def test_early_stopping_restores_the_best_weights(tmp_path: Path) -> None:
    scores = iter([5.0, 3.0, 1.0, 2.0, 4.0, 6.0, 0.5, 0.1])  # best at the 3rd evaluation
    snapshots: list[torch.Tensor] = []

    def scripted(model: nn.Module) -> dict[str, float]:
        snapshots.append(model.weight.detach().clone())
        return {"val_loss": next(scores)}

    model = nn.Linear(2, 1)
    cfg = quiet(epochs=100, lr=0.05, eval_every=5, patience=2)
    result = train(model, regression_batches, mse, scripted, cfg, tmp_path)
    assert result.stopped == "early_stopping"
    assert [h["val_loss"] for h in result.history] == [5.0, 3.0, 1.0, 2.0, 4.0, 6.0]
    assert result.best["step"] == 15 and result.steps == 30
    assert torch.equal(model.weight, snapshots[2])
    assert not torch.equal(model.weight, snapshots[-1])
    assert json.loads((tmp_path / "metrics.json").read_text())["best"]["val_loss"] == 1.0


def test_interrupted_run_keeps_the_best_and_leaves_valid_json(tmp_path: Path) -> None:
    calls = 0

    def interrupted_at_step_8(model: nn.Module, batch: Batch) -> torch.Tensor:
        nonlocal calls
        calls += 1
        if calls == 8:
            raise KeyboardInterrupt  # what Ctrl-C raises in the main thread
        return mse(model, batch)

    model = nn.Linear(2, 1)
    cfg = quiet(epochs=5, lr=0.05, eval_every=5)
    result = train(model, regression_batches, interrupted_at_step_8, val_loss, cfg, tmp_path)
    assert result.stopped == "interrupted" and result.steps == 7
    log = json.loads((tmp_path / "metrics.json").read_text())
    assert log["status"] == "interrupted"
    assert [h["step"] for h in log["history"]] == [5]
    assert val_loss(model)["val_loss"] == pytest.approx(log["best"]["val_loss"])
    assert [p.name for p in tmp_path.iterdir()] == ["metrics.json"]  # no temporary files left


def test_finish_training_writes_the_log_the_outcome_and_the_slice_results(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    model = nn.Linear(2, 1)
    model.config = HParams(width=1)  # type: ignore[assignment]
    start = time.perf_counter()
    info = run_info("linear", 3, model, HParams(width=2), data={"rows": 80})
    assert info == {"name": "linear", "seed": 3, "model_config": {"width": 1},
                    "hparams": {"width": 2}, "parameters": 3, "data": {"rows": 80}}  # fmt: skip
    result = train(model, regression_batches, mse, val_loss, quiet(epochs=2), tmp_path, info=info)
    metrics = finish_training(result, tmp_path, start, scores={"test": 0.5}, epochs=1.5)
    assert json.loads((tmp_path / "metrics.json").read_text()) == metrics
    assert metrics["name"] == "linear" and metrics["status"] == "finished"
    assert metrics["stopped"] == "finished" and metrics["best_step"] == result.best["step"]
    assert metrics["epochs"] == 1.5  # a slice's own entry wins over the run's
    assert metrics["scores"] == {"test": 0.5}
    assert metrics["wall_time_s"] >= metrics["train_wall_time_s"] > 0
    assert "linear: 40 steps (finished); total" in capsys.readouterr().out


@dataclass(frozen=True)
class Budget:
    width: int = 2
    max_epochs: int = 2


def test_a_job_frames_a_trainer_run_from_its_folder_to_its_metrics(tmp_path: Path) -> None:
    """`Job` is what every ``train_<model>`` shares: the folder, the loop config's job fields,
    the log head with the recipe line (command and budget), and the final metrics."""
    out = tmp_path / "new" / "run"
    job = Job.begin(out, 3, 60.0, 2, False, "cpu", {"command": "rnn-site train linear"})
    assert out.is_dir() and torch.get_num_threads() == 2  # every test starts on 1 (conftest)
    config = job.train_config(epochs=2, lr=0.05, schedule="constant")
    assert (config.seed, config.threads, config.progress, config.device) == (3, 2, False, "cpu")
    assert config.time_cap_s is not None and 1.0 <= config.time_cap_s <= 60.0
    model = nn.Linear(2, 1)
    model.config = HParams(width=1)  # type: ignore[assignment]
    info = job.info("linear", model, Budget())
    assert info["recipe"] == {"command": "rnn-site train linear", "max_epochs": 2}
    assert info["seed"] == 3 and info["hparams"] == {"width": 2, "max_epochs": 2}
    result = train(model, regression_batches, mse, val_loss, config, job.out, info=info)
    metrics = job.finish(result, scores={"test": 1.0})
    assert json.loads((out / "metrics.json").read_text()) == metrics
    assert metrics["complete"] and metrics["steps"] == 40 and metrics["scores"] == {"test": 1.0}


def test_time_left_is_what_remains_of_the_cap_and_never_below_one_second() -> None:
    start = time.perf_counter()
    assert 99.0 < time_left(100.0, start) <= 100.0  # type: ignore[operator]
    assert time_left(1e-9, start) == 1.0
    assert time_left(None, start) is None


def test_the_safety_cap_stops_a_run_and_marks_it_incomplete(tmp_path: Path) -> None:
    model = nn.Linear(2, 1)
    cfg = quiet(epochs=5, lr=0.05, time_cap_s=1e-9)
    result = train(model, regression_batches, mse, val_loss, cfg, tmp_path)
    assert result.stopped == "time_cap" and result.steps == 1 and not result.complete
    log = json.loads((tmp_path / "metrics.json").read_text())
    assert log["status"] == "time_cap" and log["complete"] is False
    assert "do not publish" in log["incomplete"]


def test_a_finished_run_is_complete_and_logs_its_machine(tmp_path: Path) -> None:
    result = train(nn.Linear(2, 1), regression_batches, mse, val_loss, quiet(epochs=1), tmp_path)
    log = json.loads((tmp_path / "metrics.json").read_text())
    assert result.complete and log["complete"] is True and "incomplete" not in log
    assert log["machine"]["device"] == "cpu" and log["machine"]["cpu_count"] >= 1


def test_the_schedule_follows_steps_not_the_clock() -> None:
    """Two runs of one recipe see the same learning rates however long each step took."""

    def lrs(slow: bool) -> list[float]:
        model = nn.Linear(2, 1)

        def loss(m: nn.Module, batch: Batch) -> torch.Tensor:
            if slow:
                sum(range(20_000))  # a busier machine: more wall time per step
            return mse(m, batch)

        cfg = quiet(epochs=2, lr=0.1, schedule="cosine", warmup_steps=3)
        return [h["lr"] for h in train(model, regression_batches, loss, val_loss, cfg).history]

    assert lrs(slow=False) == lrs(slow=True)


def tiny_char_lm_run(precision: str) -> tuple[dict[str, torch.Tensor], list[float]]:
    """30 steps of a tiny char LSTM → (weights, training losses logged at each evaluation)."""
    ids = torch.tensor([ord(c) % 11 for c in "to be, or not to be, that is the question. " * 12])
    torch.manual_seed(0)
    model = CharLSTM(CharLMConfig(vocab_size=11, embed_dim=4, hidden_size=8, dropout=0.1))
    cfg = quiet(seed=5, epochs=100, max_steps=30, lr=0.01, eval_every=10, precision=precision)
    result = train(
        model,
        lambda epoch: EpochWindows(ids, 4, 8, seed=epoch),
        CarriedState(lm_step),
        lambda m: {"val_loss": bits_per_char(m, ids[:100])},
        cfg,
    )
    return model.state_dict(), [h["train_loss"] for h in result.history]


@pytest.mark.parametrize("precision", ["fp32", pytest.param("bf16", marks=needs_bf16)])
def test_the_same_recipe_gives_the_same_weights_on_a_tiny_char_lm(precision: str) -> None:
    """A recipe is steps + seed (+ precision): the same command on the same machine gives the
    same model, bfloat16 autocast included."""
    (first, _), (second, _) = tiny_char_lm_run(precision), tiny_char_lm_run(precision)
    assert first.keys() == second.keys()
    assert all(torch.equal(first[k], second[k]) for k in first)


@needs_bf16
def test_bf16_trains_in_bfloat16_and_keeps_float32_weights() -> None:
    """bf16 is autocast, not a cast of the model: its losses differ from float32's by
    bfloat16 rounding only, and the weights stay float32 for Adam and the export."""
    weights, losses = tiny_char_lm_run("bf16")
    _, losses32 = tiny_char_lm_run("fp32")
    assert all(w.dtype == torch.float32 for w in weights.values())
    assert losses != losses32
    assert losses == pytest.approx(losses32, abs=0.05)


def test_ema_keeps_the_moving_average_of_the_weights_and_logs_the_raw_scores() -> None:
    """With ``ema_decay`` the model ends as the exponential average of the weights after each
    step (the first step's weights start it), and every evaluation logs both."""
    model, decay, seen = nn.Linear(2, 1), 0.8, []

    def loss(m: nn.Module, batch: Batch) -> torch.Tensor:
        seen.append(m.weight.detach().clone())  # the weights before this step
        return mse(m, batch)

    raw_end: list[torch.Tensor] = []

    def scores(m: nn.Module) -> dict[str, float]:
        if m is model:
            raw_end.append(m.weight.detach().clone())
        return val_loss(m)

    cfg = quiet(epochs=1, lr=0.05, schedule="constant", ema_decay=decay)
    result = train(model, lambda e: regression_batches(e, 6), loss, scores, cfg)
    after_each_step = [*seen[1:], raw_end[-1]]
    expected = after_each_step[0]
    for weights in after_each_step[1:]:
        expected = decay * expected + (1 - decay) * weights
    assert torch.allclose(model.weight, expected, atol=1e-6)
    assert not torch.allclose(model.weight, raw_end[-1])
    entry = result.history[-1]
    assert entry["val_loss"] == pytest.approx(val_loss(model)["val_loss"])
    assert entry["raw_val_loss"] != entry["val_loss"]


def test_the_char_lm_recipe_passes_its_weight_average_to_the_loop() -> None:
    """A char-lm recipe with ``ema_decay`` trains with the loop's moving average; the published
    recipe has none."""
    from rnn_site.train.char_lm import CharLMTrainConfig
    from rnn_site.train.hparams import loop_fields

    assert loop_fields(CharLMTrainConfig(ema_decay=0.9995))["ema_decay"] == 0.9995
    assert loop_fields(CharLMTrainConfig())["ema_decay"] is None


@pytest.mark.parametrize("decay", [0.0, 1.0, -0.5])
def test_an_ema_decay_outside_zero_one_is_refused(decay: float) -> None:
    with pytest.raises(ValueError, match=f"ema_decay must be in \\(0, 1\\) or None, got {decay}"):
        TrainConfig(ema_decay=decay)


def test_bf16_is_refused_on_a_cpu_without_bfloat16_units(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without the units a bf16 LSTM step is ~3x slower or fails inside oneDNN: the loop
    refuses before training, with a typed error (the CLI's ``error:`` line) naming the way out."""
    monkeypatch.setattr(loop, "bf16_units", lambda: [])
    with pytest.raises(PrecisionUnavailableError, match=r"no bfloat16 units .* --precision fp32"):
        train(nn.Linear(2, 1), regression_batches, mse, val_loss, quiet(precision="bf16"))
    assert isinstance(PrecisionUnavailableError("x"), RnnSiteError)
    train(nn.Linear(2, 1), regression_batches, mse, val_loss, quiet(precision="fp32"))


def test_an_unknown_precision_is_refused() -> None:
    with pytest.raises(ValueError, match="precision must be 'fp32' or 'bf16', got 'fp16'"):
        TrainConfig(precision="fp16")  # type: ignore[arg-type]


def test_an_unknown_device_is_refused() -> None:
    with pytest.raises(ValueError, match="device must be 'cpu', 'cuda' or 'cuda:N'"):
        TrainConfig(device="tpu")


@pytest.mark.parametrize(
    ("failure", "error", "message"),
    [
        (RuntimeError("boom"), RuntimeError, "RuntimeError: boom"),
        (None, FloatingPointError, "FloatingPointError: loss became nan at step 6"),
    ],
)
def test_an_error_inside_training_propagates_and_logs_status_error(
    tmp_path: Path, failure: Exception | None, error: type[Exception], message: str
) -> None:
    calls: list[int] = []

    def fails_at_call_7(model: nn.Module, batch: Batch) -> torch.Tensor:
        calls.append(1)
        if len(calls) == 7:
            if failure is not None:
                raise failure
            return torch.tensor(math.nan)  # the loop's own check raises FloatingPointError
        return mse(model, batch)

    with pytest.raises(error):
        train(
            nn.Linear(2, 1),
            regression_batches,
            fails_at_call_7,
            val_loss,
            quiet(eval_every=5),
            tmp_path,
        )
    log = json.loads((tmp_path / "metrics.json").read_text())
    assert log["status"] == "error" and log["error"].startswith(message)
    assert log["steps"] == 6 and [h["step"] for h in log["history"]] == [5]
    assert [p.name for p in tmp_path.iterdir()] == ["metrics.json"]  # written atomically


def test_atomic_write_keeps_the_old_file_when_writing_fails(tmp_path: Path) -> None:
    target = write_json(tmp_path / "m.json", {"a": 1})
    with pytest.raises(ValueError), atomic_path(target) as tmp:
        tmp.write_text("{ half a fi")
        raise ValueError("crash mid-write")
    assert json.loads(target.read_text()) == {"a": 1}
    with pytest.raises(ValueError, match="Out of range float"):
        write_json(target, {"a": math.nan})
    assert json.loads(target.read_text()) == {"a": 1}
    assert [p.name for p in tmp_path.iterdir()] == ["m.json"]


def test_lm_windows_continue_each_stream_where_the_last_window_ended() -> None:
    ids = torch.arange(1000)
    windows = list(lm_windows(ids, batch=4, seq_len=10, offset=3))
    n = (1000 - 1 - 3) // 4  # 249 characters per stream, 24 full windows
    assert len(windows) == n // 10 == 24
    for x, y in windows:
        assert x.shape == y.shape == (4, 10)
        assert torch.equal(y, x + 1)  # targets are the next character
    for (x0, _), (x1, _) in itertools.pairwise(windows):
        assert torch.equal(x1[:, 0], x0[:, -1] + 1)  # window k+1 continues window k, per stream
    firsts = windows[0][0][:, 0]
    assert torch.equal(firsts, 3 + n * torch.arange(4))  # streams are consecutive slices


def test_epoch_windows_length_matches_iteration_and_offset_is_seeded() -> None:
    ids = torch.arange(5000)
    a, b = EpochWindows(ids, 8, 16, seed=3), EpochWindows(ids, 8, 16, seed=3)
    assert a.offset == b.offset and 0 <= a.offset < 16
    assert len(a) == len(list(a))


def test_carried_state_passes_the_detached_state_to_the_next_window() -> None:
    seen: list[object] = []

    def step(model: nn.Module, batch: torch.Tensor, state: tuple | None):  # type: ignore[no-untyped-def]
        seen.append(state)
        new = batch.sum() * model.weight.sum() + (0 if state is None else state[0])
        return new, (new, new * 2)

    loss_fn = CarriedState(step)
    model = nn.Linear(1, 1)
    loss_fn(model, torch.ones(2))
    loss_fn(model, torch.ones(2))
    assert seen[0] is None
    h, c = seen[1]  # type: ignore[misc]
    assert not h.requires_grad and not c.requires_grad
    loss_fn.reset()
    loss_fn(model, torch.ones(2))
    assert seen[2] is None


def test_the_loop_resets_carried_state_at_each_epoch() -> None:
    received: list[bool] = []

    def step(model: nn.Module, batch: Batch, state: torch.Tensor | None):  # type: ignore[no-untyped-def]
        received.append(state is None)
        return mse(model, batch), torch.zeros(1)

    train(
        nn.Linear(2, 1),
        lambda e: regression_batches(e, 3),
        CarriedState(step),
        val_loss,
        quiet(epochs=2),
    )
    assert received == [True, False, False, True, False, False]


def test_char_lm_learns_a_repeating_text_with_carried_state() -> None:
    torch.manual_seed(0)
    text = torch.tensor([0, 1, 2, 3, 4, 5, 6, 7] * 300)  # period 8: predictable after one character
    model = CharLSTM(CharLMConfig(vocab_size=8, embed_dim=8, hidden_size=16))
    before = bits_per_char(model, text, streams=4)
    cfg = quiet(epochs=30, lr=0.02, eval_every=None, metric="val_bpc")
    train(
        model,
        lambda e: EpochWindows(text, 8, 16, seed=e),
        CarriedState(lm_step),
        lambda m: {"val_bpc": bits_per_char(m, text, streams=4)},  # type: ignore[arg-type]
        cfg,
    )
    assert before > 2.5  # about log2(8) = 3 for an untrained model
    assert bits_per_char(model, text, streams=4) < 0.1


def test_bits_per_char_is_exact_for_a_uniform_model_and_carries_state() -> None:
    torch.manual_seed(0)
    model = CharLSTM(CharLMConfig(vocab_size=11, embed_dim=4, hidden_size=8)).eval()
    ids = torch.randint(0, 11, (1001,))
    # 1) Padding is ignored: a model whose logits are all zero scores log2(V) exactly.
    uniform = CharLSTM(CharLMConfig(vocab_size=11, embed_dim=4, hidden_size=8))
    nn.init.zeros_(uniform.head.weight)
    nn.init.zeros_(uniform.head.bias)
    assert bits_per_char(uniform, ids, streams=7, seq_len=13) == pytest.approx(math.log2(11))
    # 2) One stream in windows of 13 equals one forward pass over the whole text.
    with torch.no_grad():
        logits, _ = model(ids[None, :-1])
    whole = nn.functional.cross_entropy(logits[0], ids[1:]).item() / math.log(2)
    assert bits_per_char(model, ids, streams=1, seq_len=13) == pytest.approx(whole, rel=1e-5)


def test_committed_char_lm_beats_the_ngram_baseline() -> None:
    path = ROOT / "models" / "char-lm" / "metrics.json"
    if not path.exists():
        pytest.skip(
            "models/char-lm/metrics.json not trained yet (python -m rnn_site.train.char_lm)"
        )
    metrics = json.loads(path.read_text())
    lstm, ngram = metrics["char_lm"], metrics["baseline"]
    assert lstm["test_bpc"] < ngram["test_bpc"]
    assert lstm["val_bpc"] < ngram["val_bpc"]
    by_order = ngram["val_bpc_by_order"]
    assert ngram["order"] == int(min(by_order, key=by_order.get))
    assert len(metrics["vocab"]) == metrics["model_config"]["vocab_size"]
