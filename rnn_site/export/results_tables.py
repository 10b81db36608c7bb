"""Markdown tables of a model's measured results, written once for two readers.

The exporters put them in each model folder's README.md; the site's pages get the same tables
through the page-data hook (``<!-- data:speech:table.results -->``, see
`rnn_site.sitebuild.application_tables`). Torch-free on purpose: the site build imports this
module and must not need the training stack. Each function takes the ``results`` (or
``examples``) of a card or training log, which hold the same values.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from rnn_site.data.vader import DOMAINS

# ------------------------------------------------------------------ speech

SPEECH_SETS = {
    "tts_isolated": "held-out TTS voices, isolated words",
    "tts_connected": "held-out TTS voices, digit strings",
    "real_en": "real recordings, KLettres en (26 letters)",
    "real_en_GB": "real recordings, KLettres en_GB (26 letters)",
}


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{100 * value:.1f}%"


def _cer_cell(source: dict[str, Any], key: str, how: str) -> str:
    scores = source.get(key, {}).get(how)
    if not scores:
        return "–"
    return f"{_pct(scores['cer'])} / {_pct(scores['string_accuracy'])}"


def speech_results_table(results: dict[str, Any]) -> str:
    """Markdown: CER and string accuracy of the LSTM (greedy, beam) and DTW per test set."""
    lines = [
        "| test set | LSTM greedy: CER / strings right | LSTM beam: CER / strings right "
        "| DTW: CER / right |",
        "|---|---|---|---|",
    ]
    lstm, dtw = results.get("lstm", {}), results.get("dtw", {})
    for key, label in SPEECH_SETS.items():
        if key in lstm:
            lines.append(
                f"| {label} (n={lstm[key]['greedy']['n']}) | {_cer_cell(lstm, key, 'greedy')} | "
                f"{_cer_cell(lstm, key, 'beam')} | {_cer_cell(dtw, key, 'greedy')} |"
            )
    return "\n".join(lines)


# ------------------------------------------------------------------ sentiment

DOMAIN_NAMES = {
    "movie": "movie reviews",
    "amazon": "Amazon reviews",
    "nyt": "NYT editorials",
    "tweets": "tweets",
}


def sentiment_domain_table(results: dict[str, Any]) -> str:
    """Markdown: test accuracy / macro-F1 per domain for the LSTM and both baselines."""
    columns = ["all", *DOMAINS]
    head = "| model | " + " | ".join(
        "all domains" if c == "all" else DOMAIN_NAMES[c] for c in columns
    )
    lines = [head + " |", "|---" * (len(columns) + 1) + "|"]
    for key, label in (("lstm", "**LSTM**"), ("bag-of-words", "bag-of-words"), ("vader", "VADER")):
        test = results.get(key, {}).get("test", {})
        cells = [
            f"{test[c]['accuracy']:.3f} / {test[c]['macro_f1']:.3f}" if c in test else "–"
            for c in columns
        ]
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _rating(value: float) -> str:
    """A human rating as readers write it: one decimal, half away from zero, a true minus."""
    rounded = Decimal(repr(value)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    return f"−{-rounded}" if rounded < 0 else f"+{rounded}"


def sentiment_examples_table(rows: list[dict[str, Any]]) -> str:
    """Markdown: test sentences with their human rating and P(positive) from LSTM and BoW."""
    lines = ["| sentence | human | LSTM | BoW |", "|---|---|---|---|"]
    for row in rows:
        text = row["text"].replace("|", "\\|")
        lines.append(
            f"| {text} | {_rating(row['rating'])} | {row['lstm']:.2f} | {row['bow']:.2f} |"
        )
    return "\n".join(lines)


# ------------------------------------------------------------------ translation


def translator_results_table(results: dict[str, Any], beam: int) -> str:
    """Markdown: test BLEU and chrF of beam search, greedy search and word-by-word lookup."""
    rows = [
        (f"**attention LSTM, beam {beam}**", results.get(f"beam-{beam}", {})),
        ("attention LSTM, greedy", results.get("greedy", {})),
        ("word-by-word lookup (baseline)", results.get("word-lookup", {})),
    ]
    lines = ["| translation | BLEU | chrF |", "|---|---|---|"]
    for label, figures in rows:
        if figures:
            lines.append(f"| {label} | {figures['bleu']:.1f} | {figures['chrf']:.1f} |")
    return "\n".join(lines)


def translator_examples_table(examples: list[dict[str, Any]], n: int = 4) -> str:
    """Markdown: test sentences with the reference, beam search and the lookup baseline."""
    cell = lambda text: text.replace("|", "\\|")  # noqa: E731
    lines = ["| English | reference | model (beam) | word lookup |", "|---|---|---|---|"]
    for e in examples[:n]:
        lines.append(
            f"| {cell(e['en'])} | {cell(e['de'])} | {cell(e['beam'])} | {cell(e['lookup'])} |"
        )
    return "\n".join(lines)
