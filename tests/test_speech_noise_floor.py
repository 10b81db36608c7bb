"""The trim that estimates the noise floor (rnn_site.data.speech_trim, floor_quantile): it cuts
hiss the fixed -40 dB level keeps, its ceiling spares a clip that is all speech, it is off by
default; and the rule that decided whether the runtime uses it."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from test_speech_silence import burst

from rnn_site.data.speech_trim import (
    TRIM,
    InvalidTrimSettingsError,
    TrimSettings,
    speech_span,
)
from rnn_site.experiments.speech_noise_floor import FIXED, NOISE_FLOOR, decide

RESULTS = (
    Path(__file__).resolve().parents[1] / "rnn_site/experiments/results/speech_noise_floor.json"
)


def test_the_noise_floor_is_off_unless_asked_for_and_absent_from_the_card_then():
    assert FIXED.floor_quantile is None
    assert FIXED.to_dict() == {"frame": 160, "threshold_db": -40.0, "margin_s": 0.08}
    assert TrimSettings(**NOISE_FLOOR.to_dict()) == NOISE_FLOOR
    assert TrimSettings(**FIXED.to_dict()) == FIXED


def test_hiss_above_the_fixed_level_is_cut_down_to_the_speech():
    """A whistle 34 dB under the tone's peak: the fixed trim keeps the whole second; the noise
    floor (6 dB over it, capped at -30 dB) cuts to what the clean burst gives."""
    noisy, clean = burst(16000, 6000, 3000, 1e-2), burst(16000, 6000, 3000, 0.0)
    assert speech_span(noisy, FIXED) == (0, 16000)
    assert speech_span(noisy, NOISE_FLOOR) == (4640, 10240)
    start, stop = speech_span(clean, FIXED)
    assert start <= 4640 and stop >= 10240  # inside the clean span: only hiss was cut


def test_digital_silence_and_faint_hiss_leave_the_fixed_trims_span():
    """A noise floor under -46 dB lifts the level no higher than -40 dB: nothing changes."""
    for hiss in (0.0, 1e-3):
        x = burst(16000, 6000, 3000, hiss)
        assert speech_span(x, NOISE_FLOOR) == speech_span(x, FIXED) == (4640, 10400)


def test_the_ceiling_keeps_quiet_speech_in_a_clip_without_silence():
    """All speech, the first 0.2 s at -26 dB: the quietest tenth is speech, not noise; 6 dB
    over it would cut the quiet part, the -30 dB ceiling keeps it."""
    i = np.arange(8000)
    x = (np.where(i < 3200, 0.05, 1.0) * 0.5 * np.sin(i * 0.3)).astype(np.float32)
    assert speech_span(x, NOISE_FLOOR) == (0, 8000)
    assert speech_span(x, TrimSettings(floor_quantile=0.1, ceiling_db=0.0)) == (1920, 8000)


@pytest.mark.parametrize("q", [-0.1, 1.5, float("nan")])
def test_a_floor_quantile_outside_0_to_1_is_refused(q):
    """-0.1 would wrap round to the loudest frames, 1.5 fall off the sorted powers: both are
    refused when the settings are made (as speechSpan refuses them in the browser)."""
    with pytest.raises(InvalidTrimSettingsError, match="accepted: 0 to 1"):
        TrimSettings(floor_quantile=q)


def test_both_ends_of_the_quantile_are_accepted():
    """The quietest frame and the loudest (whose level the ceiling caps): JS's same case."""
    x = (0.5 * np.sin(np.arange(8000) * 0.3)).astype(np.float32)
    for q in (0.0, 1.0):
        assert speech_span(x, TrimSettings(floor_quantile=q)) == (0, 8000)


def val(clean: float, pad: float, hiss: float) -> dict[str, float]:
    return {"val": clean, "val_padded": pad, "val_padded_hiss": hiss}


@pytest.mark.parametrize(
    ("new", "adopt"),
    [
        (val(0.02, 0.05, 0.10), True),
        (val(0.03, 0.05, 0.10), False),  # the clean clips pay
        (val(0.02, 0.06, 0.10), False),  # the padded clips pay
        (val(0.02, 0.05, 0.20), False),  # no better with hiss: equal is not enough
    ],
)
def test_the_rule_adopts_only_a_trim_that_costs_nothing_and_helps_with_hiss(new, adopt):
    result = decide({"fixed": val(0.02, 0.05, 0.20), "noise_floor": new})
    assert result["adopt"] is adopt
    assert result["checks"]["val_padded_hiss"]["fixed"] == 0.20


def test_the_rule_adopted_the_noise_floor_so_the_runtime_uses_it():
    """The measured decision (speech_noise_floor.json) is decide() on its own figures, it
    adopted the noise floor, and that is the runtime's trim."""
    results = json.loads(RESULTS.read_text("utf-8"))
    assert results["trims"] == {"fixed": FIXED.to_dict(), "noise_floor": NOISE_FLOOR.to_dict()}
    assert decide(results["validation"]) == results["decision"]
    assert results["decision"]["adopt"] is True and TRIM == NOISE_FLOOR
    hiss = results["validation"]["noise_floor"]["val_padded_hiss"]
    assert hiss < results["validation"]["fixed"]["val_padded_hiss"] / 2


def test_the_card_schema_bounds_floor_quantile():
    """The schema (generated from rnn_site/card.py) refuses the quantile TrimSettings refuses."""
    from jsonschema import Draft202012Validator

    from rnn_site.card import card_schema

    card = json.loads((RESULTS.parents[3] / "models/speech/card.json").read_text("utf-8"))
    validator = Draft202012Validator(card_schema())
    assert validator.is_valid(card)
    for q, ok in ((0.0, True), (1.0, True), (-0.1, False), (1.5, False)):
        card["audio"]["trim"]["floor_quantile"] = q
        assert validator.is_valid(card) is ok, q


def test_the_settings_rest_on_the_recorded_hiss_levels():
    """design_check's hiss levels (training clips, -45 dB hiss): the hiss-only frames stay under
    the floor's margin, and the floor stays under the ceiling, in every clip drawn."""
    check = json.loads(RESULTS.read_text("utf-8"))["design_check"]
    assert check["hiss_frames_db_over_floor_max"] < NOISE_FLOOR.floor_margin_db
    assert check["hiss_floor_db_under_loudest"]["min"] > -NOISE_FLOOR.ceiling_db
    assert check["seconds_hiss_noise_floor"] < check["seconds_padded_fixed"] + 0.05
