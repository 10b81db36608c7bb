"""The steps every exporter shares, written once: start, the card's common fields, publish.

An exporter (``rnn_site/export/<name>.py``) writes its graphs and fills its card; what is the
same for every application lives here:

1. `start_export` (a ``with`` block): the refusals every export shares (an incomplete run),
   then the output folder, the training log (empty without one: tests export random weights
   that way) and the commit the files are traced to, as one `ExportRun`. The exporter writes
   every file into ``run.work_dir``, a hidden staging folder beside the output folder
   (`rnn_site.files.staged_folder`); nothing under the output folder changes before
   `ExportRun.publish`, so an export that fails anywhere (a refusal, a card its log cannot
   fill, Ctrl-C) leaves the folder as it was. The log is the one beside the checkpoint
   (`export_checkpoint`): scores, prose and training record all come from it, whatever
   metrics.json the output folder holds;
2. `card_head` and `card_common`: the card fields every task has, in one order, with the
   prose from the application's text file (`rnn_site.export.card_text`);
3. `ExportRun.publish`: card.json, README.md, metrics.json (the log the card was built from),
   the checkpoint the graphs were exported from (`export_checkpoint` reads it; the card's
   ``torch`` file, `rnn_site.export.cards.stage_checkpoint`) and the manifest entry
   (`rnn_site.export.cards.publish_card`) join the graphs in the staging folder; the complete
   new folder then replaces the output folder with two renames, and the manifest follows
   (`rnn_site.files.StagedFolder.commit`: the order, and what a crash leaves, are documented
   there).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypedDict, cast

from rnn_site.card import Better, Card, CardCommon, CardHead, DataRecord, Scores
from rnn_site.errors import RnnSiteError
from rnn_site.export.card_text import CardProse
from rnn_site.export.cards import LOG_FILE, complete_log, publish_card, read_log_file
from rnn_site.export.onnx_lstm import graph_metadata
from rnn_site.files import StagedFolder, staged_folder
from rnn_site.provenance import git_commit

VERSION = "1.0.0"


class CheckpointChangedError(RnnSiteError):
    """The checkpoint's bytes changed while the export loaded it: the folder would get
    other weights than its graphs (the CLI prints it as one ``error:`` line)."""


@dataclass(frozen=True)
class ExportRun:
    """One export of one model: its card name and version, folder, training log and commit.

    ``out_dir`` is the folder readers see; the export writes into `work_dir` (``staging``),
    which `publish` moves into ``out_dir``. ``log_bytes``: the bytes ``log`` was parsed from,
    read when the export started and written as the folder's metrics.json (None: ``log`` is
    written as JSON). ``checkpoint_bytes``: the checkpoint the model was loaded from, which
    `publish` writes into the folder (None: the folder keeps its own, `stage_checkpoint`).
    """

    name: str
    out_dir: Path
    log: dict[str, Any]
    commit: str
    version: str = VERSION
    staging: StagedFolder | None = None
    log_bytes: bytes | None = None
    checkpoint_bytes: bytes | None = None

    @property
    def work_dir(self) -> Path:
        """The folder this export writes its files into (moved into ``out_dir`` by `publish`)."""
        if self.staging is None:
            raise RuntimeError(f"the export of {self.name} writes nothing: use start_export")
        return self.staging.folder

    def metadata(self, *, licence: str, data: str, **extra: str) -> dict[str, str]:
        """The ONNX ``metadata_props`` every graph of this export carries."""
        return graph_metadata(
            self.name, self.version, licence=licence, data=data, commit=self.commit, **extra
        )

    def publish(self, paths: dict[str, Path], card: Card) -> dict[str, Path]:
        """Add the card, README, training log, checkpoint and manifest entry to the files
        written so far (``paths``), then move them all into ``out_dir``; return every path
        where it now is."""
        staging = self.staging
        if staging is None:
            raise RuntimeError(f"the export of {self.name} writes nothing: use start_export")
        published = publish_card(staging, card, self.log, self.log_bytes, self.checkpoint_bytes)
        written = {**paths, **published}
        staging.commit()
        return {role: staging.final(path) for role, path in written.items()}


class ExportOptions(TypedDict, total=False):
    """What every ``export_<name>_model`` takes besides the model: the training log
    (metrics.json; without it the card has no scores), the bytes it was parsed from
    (``log_bytes``, as `export_checkpoint` passes them) or the file to read them from at the
    start (``log_file``), the commit to record, and the bytes of the checkpoint the model was
    loaded from (``checkpoint_bytes``, which the folder gets: `stage_checkpoint`)."""

    log: dict[str, Any] | None
    log_bytes: bytes | None
    checkpoint_bytes: bytes | None
    log_file: Path | None
    commit: str | None


@contextmanager
def start_export(
    name: str,
    out_dir: str | Path,
    log: dict[str, Any] | None = None,
    commit: str | None = None,
    version: str = VERSION,
    log_file: Path | None = None,
    log_bytes: bytes | None = None,
    checkpoint_bytes: bytes | None = None,
) -> Iterator[ExportRun]:
    """Refuse an export that may not go ahead, then fix what the export records (the log, or
    {}, and the commit) and open its staging folder beside ``out_dir``.

    Every exporter writes inside this block and ends it with `ExportRun.publish`. The shared
    refusals live here once: an incomplete run (:class:`~rnn_site.export.cards.IncompleteRunError`)
    is refused before any graph is written. The run checked is ``log``'s, the log the export
    reads, not a metrics.json in ``out_dir``. Leaving the block without publishing (any
    exception) removes the staging folder: ``out_dir`` stays byte for byte as it was.

    The folder's metrics.json gets ``log_bytes``, else the bytes of ``log_file`` read here, at
    the start, not at publish (a refresh passes the folder's own log file)."""
    complete_log(log)
    commit = commit or git_commit()
    if log_bytes is None and log_file is not None and log:
        log_bytes = Path(log_file).read_bytes()
    with staged_folder(out_dir) as staging:
        yield ExportRun(
            name, Path(out_dir), log or {}, commit, version, staging, log_bytes, checkpoint_bytes
        )


@contextmanager
def start_refresh(name: str, out_dir: str | Path) -> Iterator[tuple[ExportRun, dict[str, Any]]]:
    """`start_export` for a refresh: the card of the model published in ``out_dir`` written
    again from the folder's training log (`LOG_FILE`) as it is now, its graphs untouched.

    Yields the run and the card as it was (whatever the refresh carries over, its config,
    files, samples). The run keeps the ``source_commit`` and the ``version`` that card
    records, so the refreshed card still names the commit and version its graphs were
    exported at, not this checkout's nor today's exporter's. FileNotFoundError without a
    card.json or a training log: there is nothing to refresh."""
    folder = Path(out_dir)
    old = json.loads((folder / "card.json").read_text("utf-8"))
    log, log_bytes = read_log_file(folder / LOG_FILE)
    if log is None:
        raise FileNotFoundError(f"no {LOG_FILE} in {folder}: a refresh writes the card from it")
    with start_export(
        name,
        folder,
        log=log,
        commit=old["source_commit"],
        version=old["version"],
        log_bytes=log_bytes,
    ) as run:
        yield run, old


def export_checkpoint(
    load: Callable[[Path], tuple[Any, ...]],
    export_model: Callable[..., dict[str, Path]],
    checkpoint: str | Path,
    out_dir: str | Path,
    **options: Any,
) -> dict[str, Path]:
    """Export a trained model: ``load(checkpoint)`` gives the leading arguments of
    ``export_model`` (the model, then what its card needs from the checkpoint: vocabulary,
    settings); the training log is the metrics.json that training wrote beside it, the one
    log of the export, which the output folder gets as its metrics.json. An incomplete run is
    refused before the checkpoint is even loaded (the forecaster's export computes its demo's
    SARIMA forecasts, minutes, before its first write).

    The folder also gets the checkpoint itself, under the card's ``torch`` name
    (`stage_checkpoint`): its bytes are read before ``load`` and checked unchanged after it,
    so the copy is the file the graphs came from even while a training rewrites it
    (`CheckpointChangedError` otherwise)."""
    checkpoint = Path(checkpoint)
    log_file = checkpoint.with_name(LOG_FILE)
    log, log_bytes = read_log_file(log_file)  # the only read: the folder gets these bytes
    complete_log(log, log_file)
    checkpoint_bytes = checkpoint.read_bytes()
    loaded = load(checkpoint)
    if checkpoint.read_bytes() != checkpoint_bytes:
        raise CheckpointChangedError(
            f"{checkpoint} changed while the export loaded it (is a training writing it?); "
            "export again once it is written"
        )
    return export_model(
        *loaded, out_dir, log=log, log_bytes=log_bytes, checkpoint_bytes=checkpoint_bytes, **options
    )


def card_head(run: ExportRun, prose: CardProse) -> CardHead:
    """name, version, title, summary."""
    return {
        "name": run.name,
        "version": run.version,
        "title": prose["title"],
        "summary": prose["summary"],
    }


def card_common(
    run: ExportRun,
    prose: CardProse,
    *,
    data: DataRecord,
    metrics: Scores,
    baselines: Scores,
    better: dict[str, Better],
    licence: str = "MIT",
) -> CardCommon:
    """Scores (a model row without figures is left out), provenance and the prose fields.

    ``performance`` starts empty: the benchmark fills it, and `publish_card` keeps figures an
    earlier card already had.
    """
    return {
        "data": data,
        "metrics": {row: figures for row, figures in metrics.items() if figures},
        "baselines": baselines,
        "better": better,
        "performance": {},
        "licence": licence,
        "source_commit": run.commit,
        "intended_use": prose["intended_use"],
        "file_notes": prose["file_notes"],
        "preprocessing": prose["preprocessing"],
        "io_notes": prose["io_notes"],
        "metrics_note": prose["metrics_note"],
        "limits": prose["limits"],
    }


_DATA_ORDER = ("name", "description", "source_package", "install", "licence")


def data_record(prose: CardProse, **figures: Any) -> DataRecord:
    """The card's ``data``: provenance first (the prose file's texts, or values in
    ``figures`` where they come from the log), then counts and splits, the split note last."""
    merged: dict[str, Any] = {**prose.get("data", {}), **figures}
    split_note = merged.pop("split_note")
    first = {k: merged.pop(k) for k in _DATA_ORDER if k in merged}
    return cast(DataRecord, {**first, **merged, "split_note": split_note})
