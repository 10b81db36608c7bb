"""What the site build puts in place for the in-browser demos (no browser needed):
the pinned onnxruntime-web files, self-hosted under a versioned path, and the demo's
precomputed example, made by the Python runtime."""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path

import numpy as np
import pytest

from rnn_site.runtime.char_lm import CharLanguageModel
from rnn_site.sitebuild import vendor
from rnn_site.sitebuild.demo_data import EXAMPLE_PATH, quantise_per_unit

ROOT = Path(__file__).resolve().parents[2]
ORT_FILES = {"ort.wasm.min.mjs", "ort-wasm-simd-threaded.mjs", "ort-wasm-simd-threaded.wasm"}


def pinned(package: str) -> str:
    return json.loads((ROOT / "package.json").read_text("utf-8"))["dependencies"][package]


def test_npm_pins_are_exact_and_locked():
    lock = json.loads((ROOT / "package-lock.json").read_text("utf-8"))["packages"]
    for package, pattern in (("onnxruntime-web", r"1\.30\.0"), ("katex", r"0\.16\.\d+")):
        version = pinned(package)
        assert re.fullmatch(pattern, version), f"{package} must be pinned exactly, got {version}"
        assert lock[f"node_modules/{package}"]["version"] == version


def test_demo_runtime_asks_for_the_pinned_onnxruntime_web():
    runtime = (ROOT / "docs/assets/demos/runtime.js").read_text("utf-8")
    assert f'export const ORT_VERSION = "{pinned("onnxruntime-web")}";' in runtime


def test_site_serves_only_the_wasm_build_of_onnxruntime(built_site: Path):
    version = pinned("onnxruntime-web")
    folder = built_site / "assets" / "vendor" / f"onnxruntime-web-{version}"
    assert {p.name for p in folder.iterdir()} == ORT_FILES
    for name in ORT_FILES:
        source = ROOT / "node_modules" / "onnxruntime-web" / "dist" / name
        assert (folder / name).read_bytes() == source.read_bytes()
    # No other onnxruntime-web copy anywhere in the site (WebGPU/JSEP builds are 20+ MB each).
    assert [p.name for p in built_site.rglob("ort*.wasm")] == ["ort-wasm-simd-threaded.wasm"]


def test_missing_node_modules_stops_the_build_saying_to_run_npm_ci(tmp_path: Path):
    with pytest.raises(vendor.VendorAssetsMissing, match="npm ci"):
        vendor.copy_vendor(tmp_path / "site", node_modules=tmp_path / "node_modules")


def test_quantised_states_round_trip_within_one_percent_of_each_unit():
    # Units of very different size: one shared scale would round the quiet ones to zero.
    rng = np.random.default_rng(0)
    sizes = np.logspace(-4, 1, 16)
    values = (rng.normal(size=(30, 2, 16)) * sizes).astype(np.float32)
    encoded, scales = quantise_per_unit(values)
    scale = np.array(scales)
    assert scale.shape == (16,)
    q = np.frombuffer(base64.b64decode(encoded), dtype=np.int8).reshape(values.shape)
    error = np.abs(q * scale / 127 - values).max(axis=(0, 1))
    assert (error <= scale / 127 / 2 * (1 + 1e-5) + 1e-9).all()
    assert (np.abs(q).reshape(-1, 16).max(axis=0) == 127).all()  # every unit uses its full range


def test_precomputed_example_is_the_python_runtimes_greedy_text(built_site: Path):
    example = json.loads((built_site / EXAMPLE_PATH).read_text("utf-8"))
    model = CharLanguageModel.load(built_site / "models" / "char-lm")
    assert example["model_version"] == model.card["version"]
    assert example["text"] == model.generate(example["prompt"], len(example["text"]), temperature=0)
    states = example["states"]
    assert states["steps"] == len(example["prompt"] + example["text"])
    assert states["layers"] == model.config["num_layers"]
    assert states["units"] == model.config["hidden_size"]
    assert len(example["top"]) == 5
    probabilities = [p for _, p in example["top"]]
    assert probabilities == sorted(probabilities, reverse=True)
    assert 0 < sum(probabilities) <= 1.0 + 1e-6


def test_precomputed_states_keep_every_unit_within_one_percent_of_its_range(built_site: Path):
    example = json.loads((built_site / EXAMPLE_PATH).read_text("utf-8"))
    model = CharLanguageModel.load(built_site / "models" / "char-lm")
    states = example["states"]
    exact = model.hidden_states(example["prompt"] + example["text"])
    for key, name in (("h", "h_seq"), ("c", "c_seq")):
        scale = np.array(states["scale"][key])
        assert scale.shape == (states["units"],)  # one scale per unit, as in the LSTM explorer
        q = np.frombuffer(base64.b64decode(states[key]), dtype=np.int8)
        decoded = q.reshape(exact[name].shape) * scale / 127
        assert (np.abs(decoded - exact[name]).max(axis=(0, 1)) <= scale / 127 * 0.5 + 1e-5).all()
