"""A character model exported as one self-contained folder a reader can carry anywhere.

    rnn-site export char-lm --checkpoint runs/my-text/char-lm.pt --out my-model

writes ``my-model/`` with ``step.onnx``, ``sequence.onnx``, ``card.json``, ``README.md``,
``metrics.json`` (the training log) and its own ``manifest.json``. Unlike the site's models,
whose manifest sits one level up in ``models/``, this folder checks itself: every path in its
manifest is relative to the folder, so `CharLanguageModel.load("my-model")`, ``rnn-site
generate my-model`` and the site's *Use your own model* control all verify the same SHA-256s.

The folder is built in a temporary sibling and renamed into place, so an interrupted export
leaves no half-written model behind. An existing folder is refused unless ``force``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from rnn_site.card import DataRecord, GreedyText, TextGenerationCard
from rnn_site.data.user_text import UNKNOWN
from rnn_site.export import char_lm
from rnn_site.export.card_text import CardProse, card_text
from rnn_site.export.cards import (
    LOG_FILE,
    example_snippet,
    read_log_file,
    stage_training_log,
    write_card_and_readme,
)
from rnn_site.export.steps import ExportRun
from rnn_site.files import (
    OutputExistsError,
    StagedFolder,
    atomic_path,
    check_output_dir,
    sha256_file,
    staged_folder,
)
from rnn_site.models.char_lm import CharLSTM
from rnn_site.provenance import git_commit
from rnn_site.train.char_lm import load_char_lm

MANIFEST = "manifest.json"
VERSION = "1.0.0"
#: The onnxruntime-web version the HTML example names (the site serves the same, see package.json).
ORT_WEB_VERSION = "1.30.0"
GREEDY_LENGTH = 200
PROSE = "char-lm-folder"

__all__ = ["OutputExistsError", "export_model_folder", "folder_manifest", "html_example"]


def model_name(folder: Path) -> str:
    """A card name from the folder's name: lowercase letters, digits and dashes ("my-model")."""
    slug = re.sub(r"[^a-z0-9]+", "-", folder.name.lower()).strip("-")
    return slug or "my-char-lm"


def folder_manifest(
    folder: str | Path, name: str, task: str, files: Mapping[str, Path] | None = None
) -> dict[str, Any]:
    """The folder's own manifest: schema 1, paths relative to the folder, itself left out.

    ``files``: name → where the file is now, for a folder about to be committed
    (`StagedFolder.merged_files`: the files written and those the commit keeps)."""
    if files is None:
        files = {p.name: p for p in Path(folder).iterdir()}
    entries = [
        {"path": file, "sha256": sha256_file(p), "bytes": p.stat().st_size}
        for file, p in sorted(files.items())
        if p.is_file() and not file.startswith(".") and file != MANIFEST
    ]
    return {
        "schema": 1,
        "models": [{"name": name, "task": task, "card": "card.json", "files": entries}],
    }


def write_folder_manifest(
    folder: str | Path, name: str, task: str, files: Mapping[str, Path] | None = None
) -> Path:
    """Write ``folder``/manifest.json (atomically) from the files on disk (or ``files``, see
    `folder_manifest`); return its path."""
    path = Path(folder) / MANIFEST
    text = json.dumps(folder_manifest(folder, name, task, files), indent=2) + "\n"
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return path


# --8<-- [start:html_example]
HTML_TEMPLATE = """\
<!doctype html>
<!-- Put this page in the model folder, next to card.json and step.onnx. Copy onnxruntime-web's
     ort.wasm.min.mjs, ort-wasm-simd-threaded.mjs and ort-wasm-simd-threaded.wasm
     (npm install onnxruntime-web@{ort_version}, folder node_modules/onnxruntime-web/dist/) into
     ./onnxruntime-web/, serve the folder (python -m http.server) and open the page. -->
<meta charset="utf-8">
<title>{title}</title>
<pre id="out">Loading…</pre>
<script type="module">
  import * as ort from "./onnxruntime-web/ort.wasm.min.mjs";
  ort.env.wasm.wasmPaths = new URL("./onnxruntime-web/", location.href).href;
  ort.env.wasm.numThreads = 1;

  const card = await (await fetch("card.json")).json();
  const options = {{ executionProviders: ["wasm"] }};
  const session = await ort.InferenceSession.create("step.onnx", options);
  const vocab = Array.from(card.vocab); // token id = position of the character in vocab
  const {{ num_layers: layers, hidden_size: hidden }} = card.config;
  const shape = [layers, 1, hidden];
  const zeros = () => new ort.Tensor("float32", new Float32Array(layers * hidden), shape);
  let state = {{ h: zeros(), c: zeros() }};
  let logits = null;
  const step = async (id) => {{
    const token = new ort.Tensor("int64", BigInt64Array.of(BigInt(id)), [1]);
    const out = await session.run({{ token, ...state }});
    state = {{ h: out.h_out, c: out.c_out }};
    logits = out.logits.data;
  }};
  // Feed the prompt from zero state, then take the likeliest next character (ties: lowest id).
  const prompt = card.example_greedy.prompt;
  for (const ch of prompt) await step(vocab.indexOf(ch));
  let text = "";
  for (let i = 0; i < {n}; i++) {{
    let best = 0;
    for (let j = 1; j < logits.length; j++) if (logits[j] > logits[best]) best = j;
    text += vocab[best];
    if (i + 1 < {n}) await step(best);
  }}
  document.getElementById("out").textContent = prompt + text;
</script>
"""
# --8<-- [end:html_example]


def html_example(title: str, n: int = GREEDY_LENGTH) -> str:
    """The plain-HTML page of the card's README: greedy text from step.onnx with onnxruntime-web.

    It writes the same characters as the card's ``example_greedy`` (a browser test checks it).
    """
    return HTML_TEMPLATE.format(title=title, n=n, ort_version=ORT_WEB_VERSION)


def user_text_data(log: dict[str, Any]) -> DataRecord:
    """The card's "data" for a model trained on a reader's own text (`rnn_site.data.user_text`)."""
    data = log.get("data") or {}
    chars = data.get("characters", {})
    unknown = data.get("unknown_chars", {})
    text = card_text(PROSE)
    some = text.text(
        "_unknown_chars.some",
        min_count=str(data.get("min_count", 2)),
        symbol=repr(UNKNOWN),
        shown=", ".join(f"{ch!r} ×{n}" for ch, n in list(unknown.items())[:10]),
        more=" …" if len(unknown) > 10 else "",
    )
    return {
        "name": data.get("file", "your text"),
        "description": text.text("_data.description"),
        "source_package": text.text(
            "_data.source_package",
            file=str(data.get("file", "?")),
            bytes=f"{data.get('bytes', 0):,}",
        ),
        "licence": text.text("_data.licence"),
        "characters": chars,
        "unknown_symbol": UNKNOWN,
        "unknown_chars": unknown,
        "split": {"by": "position", "train": "first 90%", "val": "next 5%", "test": "last 5%"},
        "split_note": text.text(
            "_data.split_note",
            **{k: f"{chars.get(k, 0):,}" for k in ("train", "val", "test")},
            unknown_chars=some if unknown else text.text("_unknown_chars.none"),
        ),
    }


def folder_prose(vocab: str, config: dict[str, Any], source: str) -> CardProse:
    """The folder card's prose, from ``prose/char-lm-folder.md``."""
    text = card_text(PROSE)
    unknown = (
        text.text("_unknown.mapped", symbol=repr(UNKNOWN), id=str(vocab.index(UNKNOWN)))
        if UNKNOWN in vocab
        else text.text("_unknown.dropped")
    )
    return text.prose(**char_lm.vocab_values(vocab, config), source=source, unknown=unknown)


def folder_usage(folder: str, prompt: str) -> str:
    """char-lm's runnable example (``rnn_site/examples/use_char_lm.py``), pointed at this
    folder and started from its prompt."""
    snippet = example_snippet(char_lm.NAME) or ""
    load, start = f'load("{char_lm.NAME}")', json.dumps(char_lm.GREEDY_PROMPT)
    if load not in snippet or start not in snippet:
        raise ValueError(f"the char-lm example no longer has {load} and {start}: {snippet!r}")
    here = f"load({json.dumps(folder)})  # the path of this folder"
    return snippet.replace(load, here).replace(start, json.dumps(prompt))


def folder_card(
    model: CharLSTM,
    vocab: str,
    log: dict[str, Any],
    run: ExportRun,
    greedy: GreedyText,
    folder: str = "",
) -> TextGenerationCard:
    """The card of a self-contained folder: the char-lm contract, with the reader's data."""
    user = (log.get("data") or {}).get("name") == "user-text"
    card_data = user_text_data(log) if user else char_lm.data_info(log)
    config = model.config
    card = char_lm.char_card(
        run,
        folder_prose(vocab, config.to_dict(), card_data["name"] if user else "Shakespeare"),
        vocab,
        config.to_dict(),
        {"step": "step.onnx", "sequence": "sequence.onnx"},
        {
            "step": char_lm.step_io(config).to_json(),
            "sequence": char_lm.sequence_io(config).to_json(),
            "opset": 17,
            **char_lm.CHAR_IO_NOTES,
        },
        card_data,
        char_lm.scores_from_log(log, run.name),
        greedy,
    )
    if UNKNOWN in vocab:
        card["unknown"] = UNKNOWN
    card["usage"] = {
        "python": folder_usage(folder or run.name, greedy["prompt"]),
        "html": html_example(f"{run.name}: greedy text with onnxruntime-web", greedy["n"]),
    }
    return card


def _export_into(
    staging: StagedFolder, model: CharLSTM, vocab: str, run: ExportRun, n: int
) -> None:
    """Write every file of the folder into ``staging``; ``run.out_dir`` is the folder readers
    see. metrics.json is the log the card was built from (`stage_training_log`)."""
    target, log = staging.folder, run.log
    metadata = char_lm.onnx_metadata(
        vocab,
        char_lm.data_info(log) if (log.get("data") or {}).get("name") != "user-text" else {},
        char_lm.scores_from_log(log, run.name),
        run.commit,
        name=run.name,
        version=VERSION,
    )
    char_lm.export_step(model, target / "step.onnx", metadata)
    char_lm.export_sequence(model, target / "sequence.onnx", metadata)
    greedy = char_lm.greedy_record(target / "step.onnx", vocab, default_prompt(log, vocab), n)
    card = folder_card(model, vocab, log, run, greedy, run.out_dir.name)
    write_card_and_readme(target, card)
    stage_training_log(staging, log, run.log_bytes)
    write_folder_manifest(target, run.name, "text-generation", staging.merged_files())


def default_prompt(log: dict[str, Any], vocab: str) -> str:
    """The card's example prompt: the training log's (the start of the text), else ROMEO:."""
    prompt = (log.get("data") or {}).get("prompt") or char_lm.GREEDY_PROMPT
    return "".join(ch for ch in prompt if ch in vocab) or vocab[0]


def export_model_folder(
    checkpoint: str | Path,
    out_dir: str | Path,
    *,
    force: bool = False,
    name: str | None = None,
    n: int = GREEDY_LENGTH,
) -> dict[str, Path]:
    """Export a char-lm checkpoint (and the metrics.json beside it) as a self-contained folder.

    Raises `OutputExistsError` if ``out_dir`` exists and ``force`` is false. Returns the paths
    written: {"step", "sequence", "card", "readme", "manifest"} (and "metrics" with a log).
    """
    out = Path(out_dir)
    check_output_dir(out, force)
    model, vocab = load_char_lm(checkpoint)
    log, log_bytes = read_log_file(Path(checkpoint).with_name(LOG_FILE))  # read once, here
    name = name or model_name(out.resolve())
    with staged_folder(out) as staging:
        run = ExportRun(name, out, log or {}, git_commit(), VERSION, log_bytes=log_bytes)
        _export_into(staging, model, vocab, run, n)
        staging.commit()
    paths = {
        "step": out / "step.onnx",
        "sequence": out / "sequence.onnx",
        "card": out / "card.json",
        "readme": out / "README.md",
        "manifest": out / MANIFEST,
    }
    if log:
        paths["metrics"] = out / LOG_FILE
    return paths
