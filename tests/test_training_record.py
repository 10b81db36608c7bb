"""The card's training record: what a log says about how its model was trained."""

from __future__ import annotations

from typing import Any

from rnn_site.export.cards import recipe_text, training_recipe


def log(**train_config: Any) -> dict[str, Any]:
    return {
        "recipe": {"command": "rnn-site train char-lm", "preset": "published", "max_steps": 40},
        "steps": 40,
        "stopped": "finished",
        "complete": True,
        "wall_time_s": 90.0,
        "machine": {"cpu": "Xeon", "bf16_units": ["amx_bf16", "avx512_bf16"]},
        "train_config": {"threads": 2, **train_config},
        "versions": {"git_commit": "abc"},
    }


def test_a_bf16_recipe_says_so_in_its_record_and_its_readme_line() -> None:
    record = training_recipe(log(precision="bf16"))
    assert record["precision"] == "bf16"
    assert record["machine"] == {"cpu": "Xeon", "bf16_units": ["amx_bf16", "avx512_bf16"]}
    text = recipe_text({"training": record})  # type: ignore[typeddict-item]
    assert "- Wall time: 1.5 min on Xeon, 2 threads, bfloat16 autocast" in text.splitlines()


def test_weight_averaging_is_recorded_and_said() -> None:
    record = training_recipe(log(ema_decay=0.999))
    assert record["ema_decay"] == 0.999 and "precision" not in record
    assert recipe_text({"training": record}).splitlines()[2] == (  # type: ignore[typeddict-item]
        "- Wall time: 1.5 min on Xeon, 2 threads; the weights are a moving average (decay 0.999)"
    )


def test_a_float32_recipe_or_an_older_log_records_no_precision() -> None:
    for record in (training_recipe(log(precision="fp32")), training_recipe(log())):
        assert "precision" not in record and "ema_decay" not in record
        assert recipe_text({"training": record}).splitlines()[2] == (  # type: ignore[typeddict-item]
            "- Wall time: 1.5 min on Xeon, 2 threads"
        )
