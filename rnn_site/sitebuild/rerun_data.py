"""Whether a published recipe, run twice on one machine, gave the same model: from committed
rerun checks (`rnn_site.experiments.rerun_check`, ``results/<model>_rerun_check.json``).

``<!-- data:rerun:check:MODEL -->`` is a sentence fragment such as "all 23 weight tensors and
every logged figure but the timings were equal (total wall times of 35 and 33 minutes, AMD
EPYC; the second run's working tree had uncommitted edits)": the minutes are each run's
whole ``wall_time_s`` (synthesis and scoring included), not its training time, and the last
clause is there when a run's commit carries the ``-dirty`` mark (``dirty``), which
``identical`` ignores. It is refused when the check is not about the shipped log (its
fingerprint differs from ``models/MODEL/metrics.json``'s: the model was retrained since) or
when the runs differed, so a page never claims a reproduction that the files do not show.
"""

from __future__ import annotations

from pathlib import Path

from rnn_site.experiments.rerun_check import log_fingerprint
from rnn_site.sitebuild.page_data import (
    PageDataError,
    cpu_name,
    generator,
    model_file,
    results_file,
)

RESULTS = Path(__file__).resolve().parents[1] / "experiments" / "results"
MODULE = "rnn_site.experiments.rerun_check"


@generator("rerun", "check", argument=True)
def rerun_check(models_dir: Path, model: str, results_dir: Path = RESULTS) -> str:
    check = results_file(results_dir / f"{model}_rerun_check.json", MODULE)
    shipped = log_fingerprint(model_file(model, "metrics", models_dir))
    if shipped not in check["log_sha256"]:
        raise PageDataError(
            f"data:rerun:check:{model}: the rerun check is not about the shipped training log "
            f"(retrained since?); run the recipe twice and python -m {MODULE} again"
        )
    if not check["identical"]:
        raise PageDataError(f"data:rerun:check:{model}: the two runs differ; the page says not")
    minutes = " and ".join(f"{s / 60:.0f}" for s in check["wall_time_s"])
    return (
        f"all {check['weights']['tensors']} weight tensors and every logged figure but the "
        "timings were equal "
        f"(total wall times of {minutes} minutes, {cpu_name(check['machine']['cpu'])}"
        f"{dirty_clause(check['dirty'])})"
    )


#: Which run of a check, by its place.
ORDINALS = ("first", "second")


def dirty_clause(dirty: list[bool]) -> str:
    """ "; the second run's working tree had uncommitted edits" (or the first's, or both), or
    "" when neither run's commit has the ``-dirty`` mark."""
    if all(dirty):
        return "; both runs' working trees had uncommitted edits"
    marked = [ORDINALS[i] for i, d in enumerate(dirty) if d]
    return f"; the {marked[0]} run's working tree had uncommitted edits" if marked else ""
