"""What every runtime class shares: `load()`, written once, and the sessions of its graphs.

    class SentimentModel(RuntimeModel[TextClassificationCard]):
        task = "text-classification"        # the card's "task" this class runs
        default_model = "sentiment"         # what load() opens without a name
        graphs = ("sequence",)              # roles in the card's "files", opened at load

        def read_card(self):
            self.vocab = self.card["vocab"]   # read the card; raise ModelMismatchError if off
            self._sequence = self.session("sequence")

`load()` finds the model (`rnn_site.runtime.registry.locate`), refuses a model made for another
task with a WrongTaskError that names the class that fits, checks card.json against the
manifest, then reads each graph's bytes *once*, hashes them and builds the onnxruntime session
from those same bytes: nothing can swap a file between its check and its use. A card that lacks
a field the class reads, or holds the wrong type there, becomes a ModelMismatchError naming
card.json rather than a bare KeyError or TypeError.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Callable, Iterator
from typing import Any, ClassVar, Generic, Self, TypeVar, cast

import onnxruntime as ort

from rnn_site.card import GraphContract
from rnn_site.runtime.errors import (
    InvalidArgumentError,
    ModelIntegrityError,
    ModelMismatchError,
    ModelNotFoundError,
    RnnSiteError,
    WrongTaskError,
)
from rnn_site.runtime.registry import ModelLocation, locate
from rnn_site.runtime.session import open_graph

#: card "task" → the runtime class that runs it, filled as the classes are defined.
TASK_CLASSES: dict[str, type[RuntimeModel[Any]]] = {}

#: The card type a runtime class reads (`rnn_site.card`'s TypedDict for its task), so mypy
#: checks every ``self.card[...]`` against the card's schema.
CardT = TypeVar("CardT")


class RuntimeModel(Generic[CardT]):
    """Base of the runtime classes: a located, verified model and its onnxruntime sessions.

    Subclasses set `task`, `default_model` and `graphs` (and `optional_graphs`, verified at
    load but opened on first use), and read their card in `read_card`, which ``__init__`` calls
    last, so no subclass repeats the constructor.
    """

    task: ClassVar[str] = ""
    default_model: ClassVar[str] = ""
    graphs: ClassVar[tuple[str, ...]] = ()
    optional_graphs: ClassVar[tuple[str, ...]] = ()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.task:
            TASK_CLASSES[cls.task] = cls

    def __init__(
        self, location: ModelLocation, graphs: dict[str, bytes], *, intra_op_threads: int = 1
    ) -> None:
        self.location = location
        # Typed, not checked here: read_card's reads are, and the exporters write to the schema.
        self.card: CardT = cast(CardT, location.card)
        self._graph_bytes = dict(graphs)
        self._sessions: dict[str, ort.InferenceSession] = {}
        self._threads = intra_op_threads
        #: Whether files were checked against the manifest at load; files read later (such as
        #: the forecaster's series.json) are checked the same way.
        self.verified = True
        self.read_card()

    def read_card(self) -> None:
        """Read what this class needs from `self.card` and open its sessions; raise a
        ModelMismatchError naming card.json if the card does not fit (subclasses)."""

    @classmethod
    def load(
        cls,
        name_or_path: str | os.PathLike[str] | None = None,
        *,
        models_dir: str | os.PathLike[str] | None = None,
        verify: bool = True,
        intra_op_threads: int = 1,
    ) -> Self:
        """Load a model by name (looked up in `models_dir`, else as
        `rnn_site.runtime.registry` describes) or from a directory holding its card.json.

        Without a name, the class's own published model (`default_model`). With `verify` (the
        default) card.json and every graph must match the manifest's sha256
        (ModelIntegrityError otherwise) and each graph's inputs and outputs the card's contract
        (ModelMismatchError). A model made for another task raises WrongTaskError.
        """
        if not isinstance(verify, bool):
            raise InvalidArgumentError(f"verify must be True or False, got {type(verify).__name__}")
        if isinstance(intra_op_threads, bool) or not isinstance(intra_op_threads, int):
            raise InvalidArgumentError(
                f"intra_op_threads must be an integer, got {type(intra_op_threads).__name__}"
            )
        if not 1 <= intra_op_threads <= 256:
            raise InvalidArgumentError(
                f"intra_op_threads must be between 1 and 256, got {intra_op_threads}"
            )
        if name_or_path is None:
            name_or_path = cls.default_model
        if not isinstance(name_or_path, str | os.PathLike):
            raise ModelNotFoundError(
                f"a model is named by a str or a path, got {type(name_or_path).__name__}"
            )
        location = locate(name_or_path, models_dir)
        cls.check_task(location)
        if verify:
            location.verify(["card.json"])
        files = location.card["files"]
        graphs: dict[str, bytes] = {}
        for role in (*cls.graphs, *cls.optional_graphs):
            if role not in files:
                if role in cls.graphs:
                    raise ModelMismatchError(
                        f'{location.path("card.json")}: "files" has no {role!r} graph, which '
                        f"{cls.__name__} needs",
                        file="card.json",
                    )
                continue
            read = location.read_verified if verify else location.read_bytes
            graphs[role] = read(files[role])
        try:
            model = cls(location, graphs, intra_op_threads=intra_op_threads)
        except RnnSiteError:
            raise
        except (KeyError, TypeError, ValueError, IndexError, AttributeError) as exc:
            # The card parsed as JSON but lacks a field this class reads, or holds another type.
            raise ModelMismatchError(
                f"{location.path('card.json')} does not describe a {cls.__name__} model "
                f"(missing or malformed field: {type(exc).__name__}: {exc})",
                file="card.json",
            ) from None
        model.verified = verify
        return model

    @classmethod
    def check_task(cls, location: ModelLocation) -> None:
        """Refuse a model whose card names another task (a card without a task may pass)."""
        found = location.card.get("task")
        if not cls.task or found is None or found == cls.task:
            return
        fits = TASK_CLASSES.get(found) if isinstance(found, str) else None
        hint = (
            f"load it with {fits.__name__}.load({location.name!r})"
            if fits is not None
            else "no runtime class runs that task"
        )
        raise WrongTaskError(
            f"model {location.name!r} is a {found} model and {cls.__name__} runs "
            f"{cls.task} models; {hint}",
            task=str(found),
            fits=fits.__name__ if fits is not None else "",
        )

    def session(self, role: str) -> ort.InferenceSession:
        """The session of the graph with this role ("step", "encoder"...), created on first use
        from the bytes checked at load, its inputs and outputs checked against the card."""
        if role not in self._sessions:
            if role not in self._graph_bytes:
                raise InvalidArgumentError(
                    f"model {self.location.name!r} has no {role!r} graph "
                    f"(its card lists {', '.join(self.location.card['files'])})"
                )
            data = self._graph_bytes.pop(role)  # the session keeps what it needs
            self._sessions[role] = open_graph(
                self.location, role, intra_op_threads=self._threads, data=data
            )
        return self._sessions[role]

    def contract(self, role: str) -> GraphContract:
        """The card's declared inputs and outputs of the graph with this role."""
        graph = self.location.card["io"][role]
        if not isinstance(graph, dict):
            raise ModelMismatchError(
                f"{self.location.path('card.json')}: io[{role!r}] is not a graph contract",
                file="card.json",
            )
        return cast(GraphContract, graph)

    def has_graph(self, role: str) -> bool:
        """Whether the model has a graph with this role (opened or not yet)."""
        return role in self._sessions or role in self._graph_bytes

    def _data_file(self, role: str, pick: Callable[[Any], Any]) -> Any:
        """``pick`` applied to the parsed JSON file the card names for ``role``, read once per
        call with its sha256 checked against the manifest (ModelIntegrityError otherwise, or
        when the file lacks what ``pick`` reads)."""
        file = self.location.card["files"].get(role)
        if not isinstance(file, str):
            raise ModelIntegrityError(
                f"{self.location.path('card.json')} lists no {role} file", file="card.json"
            )
        location = self.location
        data = location.read_verified(file) if self.verified else location.read_bytes(file)
        try:
            return pick(json.loads(data.decode("utf-8")))
        except (UnicodeDecodeError, ValueError, KeyError, TypeError, RecursionError) as exc:
            raise ModelIntegrityError(
                f"{location.path(file)} does not hold what {role} needs: {exc}", file=file
            ) from None


@contextlib.contextmanager
def raw_inputs(what: str) -> Iterator[None]:
    """Around a raw graph call (``step``, ``run``): numpy's or onnxruntime's refusal of the
    arrays a caller passed (wrong shape, dtype, batch) becomes an InvalidArgumentError.

    The checked methods never reach this with bad inputs; the raw ones promise no checks, but
    their failures should still be ours to name.
    """
    try:
        yield
    except (RnnSiteError, MemoryError):
        raise
    except Exception as exc:  # onnxruntime raises private types (InvalidArgument, Fail...)
        lines = str(exc).strip().splitlines() or [type(exc).__name__]
        raise InvalidArgumentError(
            f"{what}: the graph refused its inputs ({type(exc).__name__}: {lines[-1][:300]})"
        ) from exc
