"""Checked text input for the models that read words (sentiment, translator).

Every such model refuses the same kinds of input with the same typed errors, so that a caller
can catch ``InvalidTextError`` once for all of them: something that is not a ``str``, a text
too long to be meant for this model, a text without a single word. Only the tokenizer and the
limits differ, and those are the model's own.
"""

from __future__ import annotations

from collections.abc import Callable

from rnn_site.runtime.errors import EmptyTextError, InvalidTextError, TextTooLongError


def checked_tokens(
    text: object,
    tokenize: Callable[[str], list[str]],
    *,
    max_chars: int,
    max_tokens: int,
    too_long_hint: str,
    is_word: Callable[[str], bool] = lambda token: True,
) -> list[str]:
    """The tokens of `text`, or a typed error that says what is wrong and what is accepted.

    The character limit is checked before tokenizing, so an absurd input costs nothing.
    ``is_word`` tells words from tokens that carry no content on their own (a tokenizer that
    keeps punctuation passes ``lambda t: t not in PUNCTUATION``): a text of those only is empty.
    ``too_long_hint`` ends the too-many-characters message, e.g. "(split long documents into
    sentences)".
    """
    if not isinstance(text, str):
        raise InvalidTextError(f"text must be a str, got {type(text).__name__}; decode bytes first")
    if len(text) > max_chars:
        raise TextTooLongError(
            f"text has {len(text):,} characters; at most {max_chars:,} are accepted {too_long_hint}"
        )
    tokens = tokenize(text)
    if not any(is_word(t) for t in tokens):
        raise EmptyTextError(
            f"text has no words: give at least one word of letters or digits (got {text[:40]!r})"
        )
    if len(tokens) > max_tokens:
        raise TextTooLongError(f"text has {len(tokens)} words; at most {max_tokens} accepted")
    return tokens
