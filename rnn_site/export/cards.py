"""Model cards: card.json for programs, README.md for people, the second generated from the first.

One source of truth: the card is plain data that the export and the benchmark fill in; the
README is rendered from it by `render_readme`, so the two never disagree. The benchmark
refreshes the card's "performance" with `update_card`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from rnn_site.files import atomic_path

USAGE_TEMPLATE = """\
from rnn_site.runtime import CharLanguageModel
model = CharLanguageModel.load("{name}")
print(model.generate("{prompt}", n=200, temperature=0.8, seed=0))"""


def usage_example(card: dict[str, Any]) -> str:
    """The three-line Python example shown on the card and on the models page."""
    prompt = card.get("example_greedy", {}).get("prompt", "ROMEO:")
    return USAGE_TEMPLATE.format(name=card["name"], prompt=prompt)


def _fmt(value: Any) -> str:
    return f"{value:.3f}" if isinstance(value, float) else str(value)


def scores_table(card: dict[str, Any]) -> str:
    """Markdown table: the model and each baseline, one column per metric ("lower is better")."""
    rows = {**card.get("metrics", {}), **card.get("baselines", {})}
    if not rows:
        return "_No metrics recorded (the model was exported without a training log)._"
    better = card.get("better", {})
    keys = sorted({k for figures in rows.values() for k in figures})
    header = [f"{k} ({better[k]} is better)" if k in better else k for k in keys]
    lines = ["| model | " + " | ".join(header) + " |", "|---" * (len(keys) + 1) + "|"]
    for name, figures in rows.items():
        cells = [_fmt(figures[k]) if k in figures else "–" for k in keys]
        bold = name in card.get("metrics", {})
        lines.append(f"| {'**' + name + '**' if bold else name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def baseline_warning(card: dict[str, Any]) -> str:
    """A Limits bullet for each metric where a baseline beats the model (else "")."""
    lines = []
    for figures in card.get("metrics", {}).values():
        for key, value in figures.items():
            lower = card.get("better", {}).get(key, "lower") == "lower"
            for name, base in card.get("baselines", {}).items():
                if key in base and (base[key] < value if lower else base[key] > value):
                    lines.append(
                        f"- **This export does not beat the {name} baseline on {key}** "
                        f"({value:.3f} vs {base[key]:.3f}).\n"
                    )
    return "".join(lines)


def performance_table(card: dict[str, Any]) -> str:
    """Markdown table of the benchmark figures, or a note that the benchmark has not run."""
    perf = card.get("performance") or {}
    rows = perf.get("latency") or {}
    if not rows:
        return "_Not measured yet: run `rnn-site bench char-lm`._"
    lines = [
        "| runtime (batch 1) | median µs / token | onnxruntime is … × faster |",
        "|---|---|---|",
    ]
    for name, figures in rows.items():
        ratio = perf.get("onnxruntime_speedup", {}).get(name)
        lines.append(
            f"| {name} | {figures['median_us']:.1f} | {'–' if ratio is None else f'{ratio:.2f}'} |"
        )
    throughput = perf.get("throughput")
    if throughput:
        lines.append("")
        lines.append(
            f"onnxruntime at batch {throughput['batch']}: "
            f"{throughput['tokens_per_s']:,.0f} tokens/s."
        )
    setup = perf.get("setup")
    if setup:
        lines.append("")
        lines.append(f"Measured on: {setup}.")
    return "\n".join(lines)


def io_table(io: dict[str, Any]) -> str:
    """Markdown table of one graph's inputs and outputs: name, direction, dtype, shape."""
    lines = ["| name | direction | dtype | shape |", "|---|---|---|---|"]
    for direction in ("inputs", "outputs"):
        for name, spec in io[direction].items():
            shape = ", ".join(str(d) for d in spec["shape"])
            lines.append(f"| `{name}` | {direction[:-1]} | {spec['dtype']} | [{shape}] |")
    return "\n".join(lines)


def render_readme(card: dict[str, Any]) -> str:
    """The human model card (Markdown) for a text-generation card such as char-lm's."""
    config = card["config"]
    data = card.get("data", {})
    split = data.get("split", {})
    example = card.get("example_greedy", {})
    vocab_shown = json.dumps(card["vocab"])
    sections = [
        f"# {card['title']}",
        f"`{card['name']}` v{card['version']} · task: {card['task']} · licence: {card['licence']}",
        "_This file is generated from card.json by `rnn_site.export.cards`; edit the code, "
        "not this file._",
        card["summary"],
        "## Intended use",
        "Teaching and play: watch an LSTM write pseudo-Shakespeare one character at a time, and "
        "look inside it (hidden states, cell states, gates). It is not a general language model: "
        "it knows only the characters of its vocabulary and the style of its training text.",
        "## Files",
        f"- `{card['files']['step']}`: one step, for generation (constant cost per character).\n"
        f"- `{card['files']['sequence']}`: a whole sequence with per-step states and gates, "
        "for visualisation and scoring.\n"
        f"- `{card['files']['torch']}`: the PyTorch checkpoint the graphs were exported from.\n"
        "- `metrics.json`: the training log. `card.json`: this card as data.",
        "## Preprocessing: text to token ids",
        f"The vocabulary has {len(card['vocab'])} characters; a character's token id is its "
        "position in the vocabulary string (in `card.json` under `vocab`, and in each ONNX "
        "file's metadata). Any other character must be dropped or replaced before encoding. "
        f"The vocabulary, in id order, as a JSON string:\n\n```\n{vocab_shown}\n```",
        "## Input / output contract",
        f"ONNX opset {card['io'].get('opset', 17)}, float32, native `LSTM` node. `batch` and "
        f"`time` are dynamic; layers = {config['num_layers']}, hidden = "
        f"{config['hidden_size']}, vocab = {config['vocab_size']}. "
        "Start a text with zero states; pass `h_out`/`c_out` back in to continue it.",
        "### step.onnx",
        io_table(card["io"]["step"]),
        "### sequence.onnx",
        io_table(card["io"]["sequence"])
        + "\n\nPer-step outputs are [batch, time, layers, hidden]: `h_seq[:, t]` is the hidden "
        "state after reading character t; the gates are after their activations "
        "(sigmoid for i, f, o; tanh for the candidate g).",
        "## Training data",
        f"{data.get('name', 'unknown')}. Source: {data.get('source_package', 'unknown')}. "
        f"Licence: {data.get('licence', 'unknown')}.\n\n"
        f"Split by {split.get('by', '?')}: validation = {', '.join(split.get('val', []))}; "
        f"test = {', '.join(split.get('test', []))}; training = {split.get('train', '?')}.",
        "## Metrics",
        "Bits per character on held-out plays (lower is better), against n-gram baselines:\n\n"
        + scores_table(card),
        "## Performance",
        performance_table(card),
        "## Example",
        "Greedy decoding (argmax of the logits, ties → lowest id) after feeding "
        f"{json.dumps(example.get('prompt', ''))} through the step graph from zero state, "
        f"{example.get('n', 0)} characters:\n\n```text\n{example.get('output', '')}\n```",
        "## Use it",
        f"Python (needs only `numpy` and `onnxruntime`):\n\n```python\n{usage_example(card)}\n```"
        "\n\nJavaScript: the site's demos load these files with onnxruntime-web; see "
        "`docs/assets/demos/` and the shared loader there.",
        "## Limits",
        baseline_warning(card)
        + "- Unknown characters (anything outside the vocabulary) cannot be encoded.\n"
        "- It imitates spelling and layout, not meaning: the text is locally plausible and "
        "globally nonsense.\n"
        "- Trained on early modern English plays only; it reflects their language and views.\n"
        "- Sampling with temperature > 1 quickly degrades into noise.",
        "## Licence",
        f"Model weights and code: {card['licence']}. Training text: {data.get('licence', '?')}.",
        f"Source commit: `{card.get('source_commit', 'unknown')}`.",
    ]
    return "\n\n".join(sections) + "\n"


def write_card_and_readme(model_dir: str | Path, card: dict[str, Any]) -> dict[str, Path]:
    """Write card.json and README.md into `model_dir` atomically → {"card", "readme"} paths."""
    model_dir = Path(model_dir)
    paths = {"card": model_dir / "card.json", "readme": model_dir / "README.md"}
    text = json.dumps(card, indent=2, ensure_ascii=False, allow_nan=False) + "\n"
    with atomic_path(paths["card"]) as tmp:
        tmp.write_text(text, encoding="utf-8")
    with atomic_path(paths["readme"]) as tmp:
        tmp.write_text(render_readme(card), encoding="utf-8")
    return paths


def read_card(model_dir: str | Path) -> dict[str, Any]:
    """Load `model_dir`/card.json."""
    return json.loads((Path(model_dir) / "card.json").read_text("utf-8"))


def update_card(model_dir: str | Path, **changes: Any) -> dict[str, Path]:
    """Replace top-level card fields (e.g. performance=...) and regenerate README.md."""
    card = read_card(model_dir)
    card.update(changes)
    return write_card_and_readme(model_dir, card)
