"""Atomic writes for training outputs; the helpers live in `rnn_site.files`, torch saving here."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from rnn_site.files import atomic_path, write_json

if TYPE_CHECKING:
    from torch import nn

__all__ = ["atomic_path", "save_torch", "write_json"]

M = TypeVar("M", bound="nn.Module")


def save_torch(path: str | os.PathLike[str], obj: Any) -> Path:
    """``torch.save`` ``obj`` atomically."""
    import torch

    with atomic_path(path) as tmp:
        torch.save(obj, tmp)
    return Path(path)


def round_to_float16(model: M) -> M:
    """Round every weight to float16 precision (kept as float32), as
    ``export_graph(weights="float16")`` stores them (`rnn_site.export.onnx_lstm`): the test
    scores are then the shipped weights' scores, and storing them as float16 loses nothing
    more."""
    import torch

    with torch.no_grad():
        for parameter in model.parameters():
            parameter.copy_(parameter.half().float())
    return model


def int8_scales(weight: Any) -> Any:
    """Per-row scales of symmetric int8 weights: each row's largest magnitude maps to 127.

    One scale per output row (per gate unit in an LSTM) keeps a row of small weights from
    being flattened to zero by a large row elsewhere; an all-zero row gets scale 1.
    """
    import torch

    peak = weight.detach().abs().amax(dim=1)
    return torch.where(peak > 0, peak / 127, torch.ones_like(peak))


def round_to_int8(model: M) -> M:
    """Round every weight matrix to int8 times a per-row float32 scale (`int8_scales`), kept as
    float32, as ``export_graph(weights="int8")`` stores them (`rnn_site.export.onnx_lstm`);
    vectors (biases) stay float32. The scores measured after this are the shipped file's."""
    import torch

    with torch.no_grad():
        for parameter in model.parameters():
            if parameter.dim() == 2:
                scale = int8_scales(parameter)[:, None]
                parameter.copy_(torch.round(parameter / scale).clamp_(-127, 127) * scale)
    return model


def save_checkpoint(
    path: str | os.PathLike[str],
    model: Any,
    vocab: Any,
    *,
    float16: bool = False,
    int8: bool = False,
) -> Path:
    """The checkpoint format every model shares: its config, its weights and its vocabulary.

    ``model.config`` must have ``to_dict()`` (the models' config dataclasses do); ``vocab`` is
    plain data in id order (a string of characters, or a list of token names or words).
    ``float16`` stores floating weights at half size, for a model whose weights are already
    rounded to float16; ``int8`` stores its weight matrices as int8 plus per-row scales
    (``int8_scales``), for a model rounded by `round_to_int8`. Nothing is lost either way:
    `load_checkpoint` gives back the same float32 values.
    """
    import torch

    state = model.state_dict()
    scales = {}
    if int8:
        for key, value in list(state.items()):
            if value.is_floating_point() and value.dim() == 2:
                scale = int8_scales(value)
                quantized = (value / scale[:, None]).round()
                if not bool((quantized * scale[:, None] == value).all()):
                    raise ValueError(f"{key}: not rounded to int8 rows (round_to_int8 first)")
                state[key], scales[key] = quantized.to(torch.int8), scale
    if float16:
        state = {k: v.half() if v.is_floating_point() else v for k, v in state.items()}
    payload = {"config": model.config.to_dict(), "state_dict": state, "vocab": vocab}
    if scales:
        payload["int8_scales"] = scales
    return save_torch(path, payload)


def load_checkpoint(path: str | os.PathLike[str], build: Any) -> tuple[Any, Any]:
    """Read a :func:`save_checkpoint` file → ``(model with its weights, in eval mode, vocab)``.

    ``build`` turns the config dict back into a model: ``lambda c: CharLSTM(CharLMConfig(**c))``.
    """
    import torch

    payload = torch.load(path, map_location="cpu", weights_only=True)
    model = build(payload["config"])
    state = payload["state_dict"]
    for key, scale in payload.get("int8_scales", {}).items():
        state[key] = state[key].float() * scale[:, None]
    model.load_state_dict(state)
    return model.eval(), payload["vocab"]
