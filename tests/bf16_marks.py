"""The skip mark of tests that train or time bfloat16: they need a CPU with bfloat16 units
(elsewhere the loop refuses bf16, and a bf16 LSTM step fails inside oneDNN on AVX2-only CPUs)."""

from __future__ import annotations

import pytest

from rnn_site.train.loop import bf16_units

needs_bf16 = pytest.mark.skipif(not bf16_units(), reason="this CPU has no bfloat16 units")
