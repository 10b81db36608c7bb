"""Numbers from models reach pages through one placeholder, never typed by hand.

``<!-- data:NAME:KEY[:SPEC] -->`` is the only placeholder a page may hold; it is resolved by
`rnn_site.sitebuild.page_data.render_data`, from a card or training log (``card.``/``metrics.``
keys) or by a registered generator (tables, figures, derived numbers).
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import Any

import pytest

from rnn_site.sitebuild.page_data import (
    GENERATORS,
    PLACEHOLDER,
    PageDataError,
    cpu_name,
    generator,
    load_generators,
    lookup,
    render_data,
)

ROOT = Path(__file__).resolve().parents[1]
PAGES = sorted((ROOT / "docs").rglob("*.md"))


@pytest.fixture()
def models(tmp_path: Path) -> Path:
    (tmp_path / "char-lm").mkdir()
    card = {"metrics": {"char-lm": {"test_bpc": 1.98765}}, "config": {"hidden_size": 288}}
    (tmp_path / "char-lm" / "card.json").write_text(json.dumps(card))
    log = {"history": [{"step": 2000, "val_bpc": 2.2312}], "parameters": 430321}
    (tmp_path / "char-lm" / "metrics.json").write_text(json.dumps(log))
    return tmp_path


def test_placeholders_become_formatted_values(models: Path) -> None:
    page = (
        "LSTM <!-- data:char-lm:card.metrics.char-lm.test_bpc:.3f --> bits, "
        "<!-- data:char-lm:card.config.hidden_size --> units, "
        "<!-- data:char-lm:metrics.parameters:, --> parameters, "
        "<!-- data:char-lm:metrics.history.0.val_bpc:.1% -->."
    )
    assert render_data(page, models) == "LSTM 1.988 bits, 288 units, 430,321 parameters, 223.1%."


@pytest.mark.parametrize(
    ("placeholder", "message"),
    [
        ("<!-- data:char-lm:card.metrics.lstm.test_bpc -->", "char-lm/card.json has no"),
        ("<!-- data:melody:card.name -->", "no card.json for model 'melody'"),
        ("<!-- data:char-lm:card.config:.3f -->", "cannot format"),
        ("<!-- data:char-lm:no-such-table -->", "neither card.PATH, metrics.PATH nor a generator"),
        ("<!-- data:speech:table.results:extra -->", "data:speech:table.results: takes none"),
        ("<!-- data:sentiment:table.examples -->", "needs an argument"),
    ],
)
def test_a_wrong_placeholder_fails_the_build_naming_it(
    models: Path, placeholder: str, message: str
) -> None:
    with pytest.raises(PageDataError, match=message):
        render_data(placeholder, models)


def test_lookup_reads_the_published_cards() -> None:
    assert lookup("char-lm", "card", "name") == "char-lm"


def test_a_generator_checks_its_argument() -> None:
    with pytest.raises(PageDataError, match="name rows 0-5 of 'word_order'"):
        render_data("<!-- data:sentiment:table.examples:word_order.99 -->")
    with pytest.raises(PageDataError, match="has no examples 'best'; it has"):
        render_data("<!-- data:translator:table.examples:best -->")


@pytest.fixture()
def registry() -> Any:
    """The real registry, with whatever a test registers removed afterwards."""
    before = dict(load_generators())
    yield GENERATORS
    GENERATORS.clear()
    GENERATORS.update(before)


def test_a_generator_writes_a_table_from_the_models_folder(models: Path, registry: Any) -> None:
    @generator("char-lm", "table.test")
    def table(models_dir: Path) -> str:
        return f"| bits |\n|---|\n| {lookup('char-lm', 'card', 'config.hidden_size', models_dir)} |"

    @generator("char-lm", "times", argument=True)
    def times(models_dir: Path, factor: str) -> str:
        return str(int(factor) * 2)

    page = "A\n\n<!-- data:char-lm:table.test -->\n\n<!-- data:char-lm:times:21 --> B"
    assert render_data(page, models) == "A\n\n| bits |\n|---|\n| 288 |\n\n42 B"
    with pytest.raises(ValueError, match="two generators"):
        generator("char-lm", "times")(times)
    with pytest.raises(ValueError, match="shadow the card source"):
        generator("char-lm", "card.x")(times)


def test_every_page_placeholder_resolves_and_every_generator_is_used() -> None:
    """One syntax on every page, nothing left unresolved, no generator without a page."""
    used = set()
    other = re.compile(r"<!-- (?!data:)[a-z-]+:[a-z]")
    for page in PAGES:
        text = page.read_text("utf-8")
        assert not other.search(text), f"{page.name}: a placeholder other than <!-- data:... -->"
        used |= {(m["name"], m["key"]) for m in PLACEHOLDER.finditer(text)}
        assert "<!-- data:" not in render_data(text), page
    assert set(load_generators()) <= used, set(load_generators()) - used


def test_a_cpu_is_named_one_way_on_every_page() -> None:
    """Logs spell a CPU as the system does ("Intel(R) Xeon(R) Processor"); every generator
    that prints one goes through `cpu_name`, so no rendered page shows the trademark signs or
    the trailing "Processor" (the recipe tables, the rerun check and the precision benchmark
    once did)."""
    assert cpu_name("Intel(R) Xeon(R) Processor") == "Intel Xeon"
    core = "Intel(R) Core(TM) i7-8650U CPU @ 1.90GHz"
    assert cpu_name(core) == "Intel Core i7-8650U CPU @ 1.90GHz"
    assert cpu_name("AMD EPYC 7B13 64-Core Processor") == "AMD EPYC 7B13 64-Core"
    assert cpu_name("AMD EPYC") == "AMD EPYC"
    assert cpu_name(None) == cpu_name("") == "not recorded"
    logs = [json.loads(p.read_text("utf-8")) for p in _published_json()]
    assert any("Intel(R) Xeon(R) Processor" in json.dumps(log) for log in logs)  # not vacuous
    shown = [
        page.name
        for page in PAGES
        if re.search(r"\((R|TM)\)|Xeon Processor", render_data(page.read_text("utf-8")))
    ]
    assert shown == []


def _numbers(tree: Any) -> list[float]:
    if isinstance(tree, dict):
        return [x for v in tree.values() for x in _numbers(v)]
    if isinstance(tree, list):
        return [x for v in tree for x in _numbers(v)]
    return [tree] if isinstance(tree, float) else []


#: Typed numbers that equal a measured value by more than chance, each with its reason.
NOT_MEASUREMENTS = {
    ("training.md", "0.167"): "1/6, the adding problem's predict-the-mean error, is arithmetic",
}


def _published_json() -> list[Path]:
    """Every file a page's numbers come from: cards, training logs, experiments' results."""
    return [
        *(ROOT / "models").glob("*/card.json"),
        *(ROOT / "models").glob("*/metrics.json"),
        *(ROOT / "rnn_site" / "experiments" / "results").glob("*.json"),
    ]


def test_no_page_types_a_published_models_score() -> None:
    """Every measured value of every card, training log and experiment result, as a page would
    print it (0.766, 2.16, 41.8%), must not appear in a page's source: it has to come from a
    placeholder, so it follows the next export. Tables count too: they are generators."""
    forms: dict[str, str] = {}
    for path in _published_json():
        for value in _numbers(json.loads(path.read_text("utf-8"))):
            for text in (f"{value:.3f}", f"{value:.2f}", f"{100 * value:.1f}%"):
                if len(text.strip("0.%")) >= 3:  # "0.00" or "5%" would match anything
                    forms.setdefault(text, str(path.relative_to(ROOT)))
    for path in (ROOT / "models").glob("*/card.json"):  # headline scores, also as 22.1 (chrF)
        card = json.loads(path.read_text("utf-8"))
        for value in _numbers([card.get(k, {}) for k in ("metrics", "baselines", "results")]):
            if len(f"{value:.1f}".strip("-0.").replace(".", "")) >= 3:
                forms.setdefault(f"{value:.1f}", str(path.relative_to(ROOT)))
    assert len(forms) > 1000, "the published files hold thousands of measured values"
    typed = []
    for page in PAGES:
        # Every decimal number of the page, whole (not the tail of a longer one).
        for match in re.finditer(r"(?<![\d.])(-?)(\d+\.\d+)(%?)", page.read_text("utf-8")):
            sign, number, percent = match.groups()
            for form in {sign + number + percent, number + percent, sign + number, number}:
                if form in forms and (page.name, form) not in NOT_MEASUREMENTS:
                    typed.append(f"{page.relative_to(ROOT)}: {form} ({forms[form]})")
    assert typed == []


def test_the_scan_sees_a_typed_table_row() -> None:
    """The check above is not vacuous: the speech table, typed, would be caught."""
    card = json.loads((ROOT / "models" / "speech" / "card.json").read_text("utf-8"))
    cer = card["results"]["lstm"]["real_en"]["greedy"]["cer"]
    assert f"{100 * cer:.1f}%" in render_data("<!-- data:speech:table.results -->")
    assert len(f"{100 * cer:.1f}%".strip("0.%")) >= 3


def test_example_sentences_come_from_the_cards() -> None:
    """The example tables are generated: no card's example sentence is typed into a table."""
    rows = []
    for card_path in (ROOT / "models").glob("*/card.json"):
        examples = json.loads(card_path.read_text("utf-8")).get("examples", {})
        if isinstance(examples, dict):
            for group in examples.values():
                if isinstance(group, list):
                    rows += [e.get("text") or e.get("en") for e in group if isinstance(e, dict)]
    assert len(rows) >= 12
    for page in PAGES:
        table_rows = [ln for ln in page.read_text("utf-8").splitlines() if ln.startswith("| ")]
        for row in table_rows:
            assert not any(text and f"| {text} |" in row for text in rows), (page.name, row)


#: Typed counts that equal one on the card by coincidence, each with its reason.
NOT_FROM_THE_CARD = {
    ("translator", "4,000"): "the BPE variant's 3,950 merges give about 4,000 pieces",
}


def _integers(tree: Any) -> list[int]:
    if isinstance(tree, dict):
        return [x for v in tree.values() for x in _integers(v)]
    if isinstance(tree, list):
        return [x for v in tree for x in _integers(v)]
    return [tree] if isinstance(tree, int) and not isinstance(tree, bool) else []


def test_no_application_page_types_its_cards_data_sizes() -> None:
    """Counts of the card's data and configuration (11,578 pairs, 6,000 words) reach the
    application's page through placeholders too: a retrained model changes them."""
    from rnn_site.applications import APPLICATIONS

    typed = []
    for app in APPLICATIONS:
        card = json.loads((ROOT / "models" / app.name / "card.json").read_text("utf-8"))
        sizes = _integers([card.get("data", {}), card.get("config", {})])
        forms = {f"{n:,}" for n in sizes if n >= 1000} - {
            form for name, form in NOT_FROM_THE_CARD if name == app.name
        }
        text = (ROOT / "docs" / app.page).read_text("utf-8")
        for match in re.finditer(r"(?<![\d.,])\d{1,3}(?:,\d{3})+(?![\d,])", text):
            if match[0] in forms:
                typed.append(f"{app.page}: {match[0]} ({app.name}/card.json)")
    assert typed == []


#: Typed recipe numbers that are not the model's, each with its reason.
NOT_FROM_THE_RECIPE: dict[tuple[str, str], str] = {}
#: A number followed by one of these words is a recipe's length or a network's size.
RECIPE_WORDS = "steps|epochs|minutes|units|networks|logits|tokens"


def _recipe_forms(name: str) -> set[str]:
    """Every integer of model ``name``'s recipe as a page would print it: the card's config
    and training record, the log's hyperparameters, recipe, steps and epochs, the ``--quick``
    preset, and the published wall time in minutes."""
    from rnn_site.sitebuild.recipes import quick_preset

    card = json.loads((ROOT / "models" / name / "card.json").read_text("utf-8"))
    log = json.loads((ROOT / "models" / name / "metrics.json").read_text("utf-8"))
    numbers = _integers(
        [card.get("config", {}), card.get("training", {}), quick_preset(name)]
        + [log.get(key) for key in ("hparams", "recipe", "steps", "epochs")]
    )
    if log.get("wall_time_s"):
        numbers.append(round(log["wall_time_s"] / 60))
    return {f"{n:,}" for n in numbers if n >= 2}


#: The log fields of an earlier run whose numbers a page names it by ("the 40-epoch model").
HYPHENED = ("epochs", "steps")


def _earlier_forms(name: str) -> set[str]:
    """The epochs and steps of model ``name``'s earlier published runs (their logs kept in
    rnn_site/experiments/results/recipes/NAME-earlier-*.json), as a page would print them."""
    logs = (ROOT / "rnn_site" / "experiments" / "results" / "recipes").glob(f"{name}-earlier-*")
    numbers = _integers([json.loads(p.read_text("utf-8")).get(k) for p in logs for k in HYPHENED])
    return {f"{n:,}" for n in numbers if n >= 2}


def _typed_recipe_numbers(text: str, forms: set[str]) -> list[str]:
    """Each "<number> <recipe word>" or "<number>-epoch|step" of ``text`` whose number is one
    of ``forms`` (placeholders' own keys, such as ``none-40-epochs``, are not page text)."""
    text = re.sub(r"<!--.*?-->", "", text, flags=re.S)
    number = r"(\d{1,3}(?:,\d{3})+|\d+)"
    spaced = rf"(?<![\d.,]){number} ({RECIPE_WORDS})\b"
    hyphened = rf"(?<![\w.,-]){number}-(epoch|step)\b"
    return [m[0] for p in (spaced, hyphened) for m in re.finditer(p, text) if m[1] in forms]


def test_no_application_page_types_its_recipe_or_network_size() -> None:
    """ "600 steps", "3 epochs", "128 units", "about 20 minutes" on an application's page are
    the recipe's or the card's: typed by hand they go stale at the next retraining, so they
    come through placeholders (data:recipes:quick:MODEL.KEY, data:recipes:minutes:MODEL,
    card.config...)."""
    from rnn_site.applications import APPLICATIONS

    typed = []
    for app in APPLICATIONS:
        forms = (_recipe_forms(app.name) | _earlier_forms(app.name)) - {
            f for n, f in NOT_FROM_THE_RECIPE if n == app.name
        }
        text = (ROOT / "docs" / app.page).read_text("utf-8")
        typed += [f"{app.page}: {t} ({app.name})" for t in _typed_recipe_numbers(text, forms)]
    assert typed == []


def test_the_recipe_scan_sees_typed_recipe_numbers() -> None:
    """The check above is not vacuous: the sentences these placeholders replaced, typed with
    today's values, are caught."""
    from rnn_site.sitebuild.recipes import quick_preset

    log = json.loads((ROOT / "models" / "ts-forecaster" / "metrics.json").read_text("utf-8"))
    typed = (
        f"`--quick` runs {quick_preset('speech')['max_epochs']} epochs; "
        f"up to {log['hparams']['max_steps']:,} steps per network, "
        f"{log['hparams']['electricity_steps']:,} for electricity; "
        f"about {round(log['wall_time_s'] / 60)} minutes"
    )
    found = _typed_recipe_numbers(typed, _recipe_forms("speech") | _recipe_forms("ts-forecaster"))
    assert len(found) == 3  # "1,500 for electricity" has no recipe word after it
    # an earlier run named by its length, typed: caught; through a placeholder, or a
    # placeholder's own key, not
    speech = _recipe_forms("speech") | _earlier_forms("speech")
    translator = _recipe_forms("translator") | _earlier_forms("translator")
    assert _typed_recipe_numbers("than the 40-epoch model published before", speech) == ["40-epoch"]
    assert _typed_recipe_numbers("the 6,000-step model", translator) == ["6,000-step"]
    placeholders = (
        "the <!-- data:speech:earlier:epochs -->-epoch model, "
        "<!-- data:speech:ablation:none-40-epochs.real -->"
    )
    assert _typed_recipe_numbers(placeholders, speech) == []


def test_graphs_size_is_the_manifests_onnx_files() -> None:
    """A page's "the model is about 3.1 MB" is the sum of the graphs the manifest lists."""
    manifest = json.loads((ROOT / "models" / "manifest.json").read_text("utf-8"))
    entry = next(m for m in manifest["models"] if m["name"] == "translator")
    total = sum(f["bytes"] for f in entry["files"] if f["path"].endswith(".onnx"))
    assert total > 1e6
    assert render_data("<!-- data:models:graphs-size:translator -->") == f"{total / 1e6:.1f} MB"
    with pytest.raises(PageDataError, match="graphs-size:nothing: no "):
        render_data("<!-- data:models:graphs-size:nothing -->")


def test_the_melody_pages_likelihood_ratio_is_e_to_the_cards_gap() -> None:
    """ "about 2.0 times the n-gram's (e^0.69)" follows the card's two test NLLs."""
    card = json.loads((ROOT / "models" / "melody" / "card.json").read_text("utf-8"))
    lstm = card["metrics"]["melody"]["test_nll_per_event"]
    ngram = card["baselines"]["token-10gram"]["test_nll_per_event"]
    assert ngram > lstm
    page = "<!-- data:melody:likelihood-ratio --> (e^<!-- data:melody:likelihood-gap -->)"
    assert render_data(page) == f"{math.exp(ngram - lstm):.1f} (e^{ngram - lstm:.2f})"
