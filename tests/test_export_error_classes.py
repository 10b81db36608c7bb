"""The export refusals the CLI turns into one ``error:`` line live in the light module
`rnn_site.export.cards`, so ``rnn-site export`` catches them without importing an exporter."""

from __future__ import annotations

import subprocess
import sys

from rnn_site.export import cards


def test_scored_trim_error_is_one_class_importable_from_the_speech_exporter():
    from rnn_site.export import speech

    assert speech.ScoredTrimError is cards.ScoredTrimError
    assert issubclass(cards.ScoredTrimError, ValueError)  # callers catching ValueError still do
    assert not issubclass(cards.ScoredTrimError, cards.IncompleteRunError)


def test_the_cli_and_the_cards_module_import_neither_torch_nor_an_exporter():
    """The CLI's export error path names both classes from cards: importing it must stay light."""
    code = (
        "import sys, rnn_site.cli, rnn_site.export.cards; "
        "print(sorted(m for m in ('torch', 'rnn_site.export.speech') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
