"""Did the same command give the same model twice? Compare two training runs' folders.

"Same command, same weights" is pinned by tiny-config tests; this checks it on a published
recipe at full size. Each folder holds a checkpoint (``save_checkpoint``'s payload) and the
run's ``metrics.json``. The checkpoints' bytes may differ (the serialiser's own layout) while
every tensor is equal, so tensors are compared one by one; the logs are compared without
what measures the machine rather than the model (wall and CPU times, the commit's
``-dirty`` mark). ``identical`` means every tensor and every untimed log figure equal, from
the same commit ignoring that mark; ``dirty`` says which run's commit had it (its working
tree had uncommitted edits), so a page that quotes the check can say so. Run::

    python -m rnn_site.experiments.rerun_check RUN_A RUN_B --checkpoint speech.pt \
        --json rnn_site/experiments/results/speech_rerun_check.json
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from rnn_site.files import atomic_path

#: Log fields that time or describe the run rather than the model it trained.
TIMING = frozenset({"elapsed_s", "process_cpu_s", "synthesis_s", "train_wall_time_s",
                    "wall_time_s", "ngram_wall_time_s"})  # fmt: skip


def without_timing(value: Any) -> Any:
    """``value`` with every `TIMING` field dropped, at any depth."""
    if isinstance(value, dict):
        return {k: without_timing(v) for k, v in value.items() if k not in TIMING}
    if isinstance(value, list):
        return [without_timing(v) for v in value]
    return value


def log_fingerprint(log: dict[str, Any]) -> str:
    """sha256 of a training log without its timing and versions: a page checks with it that a
    rerun check is about the log it ships (`rnn_site.sitebuild.rerun_data`)."""
    bare = without_timing({k: v for k, v in log.items() if k != "versions"})
    return hashlib.sha256(json.dumps(bare, sort_keys=True).encode()).hexdigest()


def compare_tensors(a: Path, b: Path) -> dict[str, Any]:
    """How many tensors the two checkpoints hold, and which differ (names)."""
    import torch

    first = torch.load(a, map_location="cpu", weights_only=True)["state_dict"]
    second = torch.load(b, map_location="cpu", weights_only=True)["state_dict"]
    names = sorted(set(first) | set(second))
    differ = [
        n
        for n in names
        if n not in first or n not in second or not torch.equal(first[n], second[n])
    ]
    return {
        "tensors": len(names),
        "differ": differ,
        "bytes_equal": a.read_bytes() == b.read_bytes(),
    }


def compare_runs(a: Path, b: Path, checkpoint: str) -> dict[str, Any]:
    """The comparison of run folders ``a`` and ``b`` (see the module docstring)."""
    logs = [json.loads((d / "metrics.json").read_text("utf-8")) for d in (a, b)]
    commits = [log.get("versions", {}).get("git_commit", "") for log in logs]
    bare = [without_timing({k: v for k, v in log.items() if k != "versions"}) for log in logs]
    fields = sorted(set(bare[0]) | set(bare[1]))
    same_commit = commits[0].removesuffix("-dirty") == commits[1].removesuffix("-dirty")
    weights = compare_tensors(a / checkpoint, b / checkpoint)
    differ = [f for f in fields if bare[0].get(f) != bare[1].get(f)]
    return {
        "runs": [str(a), str(b)],
        "command": (logs[0].get("recipe") or {}).get("command"),
        "machine": logs[0].get("machine"),
        "commits": commits,
        # per run: its working tree had uncommitted edits (same_commit ignores the mark)
        "dirty": [commit.endswith("-dirty") for commit in commits],
        "log_sha256": [log_fingerprint(log) for log in logs],
        "same_commit": same_commit,
        "weights": weights,
        "log_fields_differ": differ,
        # each run's whole wall time (synthesis, training, scoring), not its training time
        "wall_time_s": [log.get("wall_time_s") for log in logs],
        # every tensor and every untimed log field equal, from one commit (dirty or not)
        "identical": same_commit and not weights["differ"] and not differ,
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run_a", type=Path)
    parser.add_argument("run_b", type=Path)
    parser.add_argument("--checkpoint", required=True, help="checkpoint file name in each run")
    parser.add_argument("--json", type=Path, help="write the comparison here")
    args = parser.parse_args(argv)
    for folder in (args.run_a, args.run_b):
        for name in ("metrics.json", args.checkpoint):
            if not (folder / name).is_file():
                print(f"error: no {name} in {folder}", file=sys.stderr)
                return 2
    result = compare_runs(args.run_a, args.run_b, args.checkpoint)
    text = json.dumps(result, indent=1) + "\n"
    if args.json:
        with atomic_path(args.json) as tmp:
            tmp.write_text(text, "utf-8")
    print(text, end="")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
