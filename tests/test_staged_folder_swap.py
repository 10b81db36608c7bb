"""`rnn_site.files.staged_folder` replaces a folder whole: the commit builds the complete new
folder beside the old one and swaps it in with two renames. It once renamed the files one at a
time, so a crash (or a reader) between two renames met new graphs beside the old card."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from folder_snapshot import snapshot

from rnn_site.files import StagingConflictError, staged_folder


def old_folder(root: Path) -> Path:
    """models/m with a card, two graphs, a subfolder, and models/manifest.json."""
    folder = root / "models" / "m"
    (folder / "samples").mkdir(parents=True)
    (folder / "card.json").write_text("old card", "utf-8")
    (folder / "a.onnx").write_text("old a", "utf-8")
    (folder / "b.onnx").write_text("old b", "utf-8")
    (folder / "samples" / "x.wav").write_text("old clip", "utf-8")
    (root / "models" / "manifest.json").write_text("old manifest", "utf-8")
    return folder


def test_the_commit_swaps_in_the_complete_staged_folder(tmp_path: Path) -> None:
    """After the commit, models/m *is* the staging folder (its inode), holding the new files
    and hard links to the files it kept (same inodes, no bytes copied): nothing was renamed
    into the old folder one file at a time. The old folder and the staging are gone."""
    folder = old_folder(tmp_path)
    kept = {name: (folder / name).stat().st_ino for name in ("b.onnx", "card.json")}
    kept_clip = (folder / "samples" / "x.wav").stat().st_ino
    with staged_folder(folder) as staged:
        (staged.folder / "a.onnx").write_text("new a", "utf-8")
        staged.also(tmp_path / "models" / "manifest.json").write_text("new manifest", "utf-8")
        staged_inode = staged.folder.stat().st_ino
        staged.commit()
    assert folder.stat().st_ino == staged_inode
    assert {name: (folder / name).stat().st_ino for name in kept} == kept
    assert (folder / "samples" / "x.wav").stat().st_ino == kept_clip
    assert snapshot(tmp_path) == {
        "models": None,
        "models/m": None,
        "models/m/a.onnx": b"new a",
        "models/m/b.onnx": b"old b",
        "models/m/card.json": b"old card",
        "models/m/samples": None,
        "models/m/samples/x.wav": b"old clip",
        "models/manifest.json": b"new manifest",
    }


def test_a_first_commit_moves_the_staging_into_place(tmp_path: Path) -> None:
    """Without an old folder there is nothing to keep or move aside."""
    target = tmp_path / "models" / "m"
    with staged_folder(target) as staged:
        (staged.folder / "card.json").write_text("card", "utf-8")
        staged.commit()
    assert snapshot(tmp_path) == {"models": None, "models/m": None, "models/m/card.json": b"card"}
    assert oct(target.stat().st_mode & 0o777) == oct(0o777 & ~current_umask())


def current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def leftover(folder: Path, suffix: str) -> Path:
    """A sibling named as a commit names them: ``.NAME.<8 hex digits><suffix>``."""
    return folder.parent / f".{folder.name}.0123abcd{suffix}"


def test_a_crash_between_the_two_renames_is_rolled_back_at_the_next_start(
    tmp_path: Path,
) -> None:
    """What a commit killed between its renames leaves (models/m moved aside as .old, the
    complete new folder still staged, the manifest not replaced yet) becomes the old folder
    again as soon as the next staging of models/m starts, with no hidden folder left."""
    folder = old_folder(tmp_path)
    before = snapshot(tmp_path)
    staging = leftover(folder, ".partial")
    staging.mkdir()
    (staging / "a.onnx").write_text("new a", "utf-8")
    os.link(folder / "b.onnx", staging / "b.onnx")
    folder.rename(leftover(folder, ".old"))
    with staged_folder(folder):
        pass  # the next export's start; it fails before committing
    assert snapshot(tmp_path) == before


def test_the_next_start_removes_stale_siblings_of_its_own_kind_only(tmp_path: Path) -> None:
    """A staging folder, a staged manifest and an old folder of models/m that a crash left
    (after the swap: models/m is the new folder) are removed when models/m is staged again;
    another model's staging and other hidden files stay."""
    folder = old_folder(tmp_path)
    models = folder.parent
    leftover(folder, ".partial").mkdir()
    (leftover(folder, ".partial") / "a.onnx").write_text("new a", "utf-8")
    leftover(folder, ".old").mkdir()
    leftover(folder, ".manifest.json.partial").write_text("new manifest", "utf-8")
    (models / ".mm.4567cdef.partial").mkdir()  # another model's export, running
    (models / ".manifest.json.x1y2.tmp").write_text("someone's atomic write", "utf-8")
    before = snapshot(tmp_path)
    with staged_folder(folder) as staged:
        (staged.folder / "card.json").write_text("new card", "utf-8")
        staged.commit()
    after = snapshot(tmp_path)
    assert after.pop("models/m/card.json") == b"new card"
    assert {path: data for path, data in before.items() if "0123abcd" not in path} == {
        **after,
        "models/m/card.json": b"old card",
    }


def test_dropping_a_file_the_export_also_writes_is_refused(tmp_path: Path) -> None:
    """`drop("a.onnx")` beside a staged a.onnx once made the manifest list the new a.onnx
    (`merged_files`) while the commit deleted it. Either order is now an error before
    anything moves, and the folder and manifest keep their bytes."""
    folder = old_folder(tmp_path)
    before = snapshot(tmp_path)
    with staged_folder(folder) as staged:
        (staged.folder / "a.onnx").write_text("new a", "utf-8")
        with pytest.raises(StagingConflictError, match=r"a\.onnx: both written"):
            staged.drop("a.onnx")
    with pytest.raises(StagingConflictError), staged_folder(folder) as staged:
        staged.drop("a.onnx")
        (staged.folder / "a.onnx").write_text("new a", "utf-8")
        with pytest.raises(StagingConflictError):
            staged.merged_files()
        staged.commit()
    assert snapshot(tmp_path) == before
    with staged_folder(folder) as staged:  # dropping what nothing replaces still works
        staged.drop("a.onnx")
        assert sorted(staged.merged_files()) == ["b.onnx", "card.json"]
        staged.commit()
    assert sorted(p.name for p in folder.iterdir()) == ["b.onnx", "card.json", "samples"]
