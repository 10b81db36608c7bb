"""A tiny character model trained on a short text and exported as a self-contained folder.

Shared by the Python and the browser tests of "train one on your own text". Real training (a
few dozen steps of a 16-unit LSTM, seconds on one core), real export, real files: the folder is
what a reader gets from `rnn-site train char-lm --text` and `rnn-site export --out`.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

#: A short public-domain text (the opening of Lewis Carroll's *Alice's Adventures in
#: Wonderland*, 1865), repeated past the 5,000-character minimum, with one rare character.
TEXT = (
    "Alice was beginning to get very tired of sitting by her sister on the bank, and of having "
    "nothing to do: once or twice she had peeped into the book her sister was reading, but it "
    "had no pictures or conversations in it, 'and what is the use of a book,' thought Alice "
    "'without pictures or conversations?'\n"
) * 20 + "Voilà.\n"


def write_text(folder: Path) -> Path:
    path = folder / "alice.txt"
    path.write_text(TEXT, encoding="utf-8")
    return path


def train_tiny(text_path: Path, run_dir: Path, steps: int = 40) -> Path:
    """Train a 16-unit char LSTM on `text_path` into `run_dir`; return its checkpoint."""
    import torch

    from rnn_site.train.char_lm import tiny_recipe, train_on_text

    torch.set_num_threads(1)
    train_on_text(text_path, run_dir, recipe=tiny_recipe(steps), progress=False, force=True)
    return run_dir / "char-lm.pt"


def export_folder(checkpoint: Path, out: Path) -> Path:
    from rnn_site.export.model_folder import export_model_folder

    export_model_folder(checkpoint, out, force=True)
    return out


def rehash(folder: Path) -> None:
    """Rewrite `folder`/manifest.json for the files as they are now (a consistent but edited
    folder, so the check that fires is the contract's, not the hash's)."""
    from rnn_site.export.model_folder import write_folder_manifest

    manifest = json.loads((folder / "manifest.json").read_text("utf-8"))
    entry = manifest["models"][0]
    write_folder_manifest(folder, entry["name"], entry["task"])


def broken_copies(folder: Path, dest: Path) -> dict[str, Path]:
    """Copies of a good model folder, each broken one way a reader could meet.

    - "tampered": step.onnx changed after export (one byte flipped), manifest untouched;
    - "partial": sequence.onnx missing (an incomplete copy or download);
    - "no-manifest": manifest.json missing;
    - "vocab": card.json's vocabulary one character short of the logits width (re-hashed);
    - "state": card.json's hidden size changed, so the state shapes disagree (re-hashed);
    - "task": card.json says it is a translation model (re-hashed).
    """
    made: dict[str, Path] = {}

    def copy(name: str) -> Path:
        target = dest / name
        if target.exists():
            shutil.rmtree(target)
        shutil.copytree(folder, target)
        made[name] = target
        return target

    target = copy("tampered")
    data = bytearray((target / "step.onnx").read_bytes())
    data[-10] ^= 0xFF
    (target / "step.onnx").write_bytes(bytes(data))

    (copy("partial") / "sequence.onnx").unlink()
    (copy("no-manifest") / "manifest.json").unlink()

    def edit_card(name: str, change) -> None:  # type: ignore[no-untyped-def]
        target = copy(name)
        card = json.loads((target / "card.json").read_text("utf-8"))
        change(card)
        (target / "card.json").write_text(json.dumps(card, ensure_ascii=False), "utf-8")
        rehash(target)

    edit_card("vocab", lambda card: card.update(vocab=card["vocab"][:-1]))

    def state(card: dict) -> None:
        card["config"]["hidden_size"] += 1
        for graph in ("step", "sequence"):
            for side in ("inputs", "outputs"):
                for spec in card["io"][graph][side].values():
                    spec["shape"] = [
                        d + 1 if d == card["config"]["hidden_size"] - 1 else d
                        for d in spec["shape"]
                    ]

    edit_card("state", state)
    edit_card("task", lambda card: card.update(task="translation"))
    return made
