"""`list_models` lists model folders only: an export's hidden staging folder (or the old
folder a commit moves aside) holds a card.json too, and was once listed as a model named
after the card inside it, at the path '.sentiment.<random>.partial'."""

from __future__ import annotations

import shutil
from pathlib import Path

from shipped import MODELS

from rnn_site.export.manifest import build_manifest
from rnn_site.runtime.registry import list_models


def test_list_models_skips_an_exports_hidden_folders(tmp_path: Path) -> None:
    models = tmp_path / "models"
    models.mkdir()
    card = MODELS / "sentiment" / "card.json"
    for folder in ("sentiment", ".sentiment.0123abcd.partial", ".sentiment.4567cdef.old"):
        (models / folder).mkdir()
        shutil.copyfile(card, models / folder / "card.json")
    found = list_models(models)
    assert [(m.name, m.model_dir.name) for m in found] == [("sentiment", "sentiment")]
    # the manifest uses the same rule (rnn_site.files.model_folders)
    assert [m["card"] for m in build_manifest(models)["models"]] == ["sentiment/card.json"]
