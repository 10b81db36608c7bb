"""The browser lab's JavaScript port against rnn_site.scratch, in Node, on the same numbers.

Python draws weights and batches with `LabRandom`, writes them to JSON, and runs
tests/lab/parity.mjs, which imports the lab's modules (docs/assets/lab) and computes the same
things. Both sides compute in float64, so only summation order and last-bit differences of
tanh/exp/log separate them: losses and gradients agree within 1e-9, parameters after 20 Adam
steps within 1e-7, and a 50-step seeded run gives the same loss curve.
"""

from __future__ import annotations

import json
import math
import shutil
import subprocess
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from skips import skip_locally_fail_in_ci

from rnn_site.scratch.lab import (
    DATA_SEED_OFFSET,
    LabConfig,
    LabRun,
    make_batch,
    train,
)
from rnn_site.scratch.rng import LabRandom

SCRIPT = Path(__file__).with_name("parity.mjs")
PASSAGE = Path(__file__).parents[2] / "docs" / "assets" / "lab" / "passage.txt"

#: Every cell on every task, full and truncated BPTT, each init scheme at least once.
GRAD_CONFIGS = [
    LabConfig(task="adding", cell="rnn", length=12, init="xavier", rho=1.5, seed=1),
    LabConfig(task="adding", cell="lstm", length=12, forget_bias=0.0, seed=2),
    LabConfig(task="adding", cell="gru", length=12, init="identity", seed=3),
    LabConfig(task="copy", cell="lstm", length=11, hidden=8, recall=3, truncation=4, seed=4),
    LabConfig(task="copy", cell="gru", length=9, hidden=8, recall=2, seed=5),
    LabConfig(task="char", cell="rnn", length=10, hidden=16, truncation=3, seed=6),
    LabConfig(task="char", cell="lstm", length=10, hidden=16, rho=0.5, seed=7),
    LabConfig(task="char", cell="gru", length=10, hidden=16, truncation=4, seed=8),
]
ADAM_CONFIG = LabConfig(task="adding", cell="lstm", length=15, hidden=8, clip=0.5, seed=9)
CURVE_CONFIGS = [
    LabConfig(task="adding", cell="lstm", length=20, hidden=16, seed=0),
    LabConfig(task="char", cell="gru", length=16, hidden=16, truncation=8, clip=1.0, seed=3),
]


def passage() -> str:
    return PASSAGE.read_text(encoding="utf-8")


def vocab_ids(text: str) -> tuple[list[int], int]:
    vocab = sorted(set(text))
    return [vocab.index(ch) for ch in text], len(vocab)


def batch_json(batch: Any) -> dict[str, Any]:
    return {"x": batch.x.tolist(), "steps": batch.steps, "y": batch.y.tolist()}


def params_json(run: LabRun) -> dict[str, Any]:
    return {k: v.tolist() for k, v in run.all_params().items()}


@pytest.fixture(scope="module")
def js(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Run parity.mjs once on every case below and return its answers (with the inputs)."""
    if shutil.which("node") is None:
        skip_locally_fail_in_ci("needs Node.js 18+ to run the lab's JavaScript")
    text = passage()
    ids, vocab_size = vocab_ids(text)
    cases, expected = [], []
    for config in GRAD_CONFIGS:
        run = LabRun(config, vocab_size)
        # Random weights, not the seeded init: the gradients must match for any weights.
        rng = np.random.default_rng(config.seed)
        for a in run.all_params().values():
            a[...] = rng.normal(0.0, 0.5, a.shape)
        batch = make_batch(config, LabRandom(config.seed), ids, vocab_size)
        loss, grads = run.gradients(batch)
        cases.append(
            {
                "kind": "grads",
                "config": config.to_js(),
                "passage": text,
                "params": params_json(run),
                "batch": batch_json(batch),
            }
        )
        expected.append({"loss": loss, "grads": grads})
    run = LabRun(ADAM_CONFIG)
    batch = make_batch(ADAM_CONFIG, LabRandom(99))
    cases.append(
        {
            "kind": "adam",
            "config": ADAM_CONFIG.to_js(),
            "params": params_json(run),
            "batch": batch_json(batch),
            "steps": 20,
        }
    )
    losses = [run.step(batch)["loss"] for _ in range(20)]
    expected.append(
        {"losses": losses, "params": {k: v.copy() for k, v in run.all_params().items()}}
    )
    for config in CURVE_CONFIGS:
        run = LabRun(config, vocab_size)
        cases.append(
            {
                "kind": "seeded",
                "config": config.to_js(),
                "passage": text,
                "params": {},
                "batch": batch_json(make_batch(config, LabRandom(0), ids, vocab_size)),
                "steps": 50,
            }
        )
        data = LabRandom((config.seed + DATA_SEED_OFFSET) & 0xFFFFFFFF)
        expected.append(
            {
                "params": {k: v.copy() for k, v in run.all_params().items()},
                "batch": make_batch(config, data, ids, vocab_size),
                "curve": train(config, 50, text),
            }
        )
    request = tmp_path_factory.mktemp("lab") / "request.json"
    request.write_text(json.dumps({"rngSeed": 12345, "cases": cases}))
    result = subprocess.run(
        ["node", str(SCRIPT), str(request)], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    return {"js": json.loads(result.stdout), "expected": expected}


def assert_params_close(got: dict[str, Any], want: dict[str, Any], atol: float) -> None:
    """Every parameter the JS case returned (flat lists) equals Python's within ``atol``."""
    for name, value in want["params"].items():
        ours = np.array(got["params"][name]).reshape(value.shape)
        np.testing.assert_allclose(ours, value, rtol=0, atol=atol, err_msg=name)


def test_random_numbers_are_identical_and_normals_agree(js: dict[str, Any]) -> None:
    rng = LabRandom(12345)
    assert js["js"]["random"] == [rng.random() for _ in range(1000)]  # bit for bit
    normals = [rng.normal() for _ in range(1000)]
    np.testing.assert_allclose(js["js"]["normal"], normals, rtol=1e-14, atol=1e-15)
    assert abs(np.mean(normals)) < 0.1 and abs(np.std(normals) - 1) < 0.1


@pytest.mark.parametrize("index", range(len(GRAD_CONFIGS)), ids=lambda i: repr(GRAD_CONFIGS[i]))
def test_loss_and_every_gradient_match_python(js: dict[str, Any], index: int) -> None:
    got, want = js["js"]["cases"][index], js["expected"][index]
    assert math.isclose(got["loss"], want["loss"], rel_tol=1e-9, abs_tol=1e-12)
    assert set(got["grads"]) == set(want["grads"])
    for name, grad in want["grads"].items():
        assert np.abs(grad).max() > 1e-6, f"{name}: a zero gradient would test nothing"
        np.testing.assert_allclose(
            np.array(got["grads"][name]).reshape(grad.shape),
            grad,
            rtol=1e-9,
            atol=1e-12,
            err_msg=name,
        )


def test_params_after_20_adam_steps_with_clipping_match(js: dict[str, Any]) -> None:
    index = len(GRAD_CONFIGS)
    got, want = js["js"]["cases"][index], js["expected"][index]
    np.testing.assert_allclose(got["losses"], want["losses"], rtol=1e-9)
    assert want["losses"][-1] < want["losses"][0]  # the steps did something
    assert_params_close(got, want, atol=1e-7)


@pytest.mark.parametrize("which", range(len(CURVE_CONFIGS)))
def test_seeded_weights_data_and_50_step_curve_match(js: dict[str, Any], which: int) -> None:
    index = len(GRAD_CONFIGS) + 1 + which
    got, want = js["js"]["cases"][index], js["expected"][index]
    assert_params_close(got, want, atol=1e-12)
    batch = want["batch"]
    assert np.array(got["x"]).transpose(1, 0, 2).tolist() == batch.x.tolist()
    assert got["y"] == batch.y.flatten().tolist()
    assert got["steps"] == batch.steps
    np.testing.assert_allclose(got["curve"], want["curve"], rtol=1e-9)
    assert min(want["curve"][-10:]) < want["curve"][0]
