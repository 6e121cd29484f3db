"""Text that is kept or sent stays Chinese, whatever language the page is in.

The words for codes (an account's status, a business type, a dispute's state …) are
translatable (``gettext_lazy`` in the models' choices) so that a depositor who reads the
pages in English reads them in English. What the service writes down or sends — a journal
entry's description, a certificate, an SMS notice, a stored reason — is the record in the
centre's language: build it inside ``in_chinese()`` or pass a label through ``chinese()``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from django.conf import settings
from django.utils import translation


def chinese(text: object) -> str:
    """``text`` (a lazy label, or anything) as a plain string in the centre's language."""
    with translation.override(settings.LANGUAGE_CODE):
        return str(text)


@contextlib.contextmanager
def in_chinese() -> Iterator[None]:
    """Everything translated inside the block is in the centre's language."""
    with translation.override(settings.LANGUAGE_CODE):
        yield
