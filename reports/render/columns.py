"""Balanced columns laid out in a few trials, not hundreds.

WeasyPrint balances a multi-column block by laying out all its columns again at a taller
height until the content fits, each time taller by the height the next box needs — or by 1 px
when it cannot tell (a box with ``widows``/``orphans`` or ``break-inside: avoid``, whose
first piece is not what keeps it out). The glossary of the atlas annexes (three columns of
definitions, none split) took 1 348 column layouts: 6 s of layout for its 5 pages, the
longest unit of the atlas after the annex lists.

:func:`install_column_search` replaces, in WeasyPrint's own ``columns_layout``, that 1 px
step by a galloping search (the step doubles while the content does not fit) followed by a
bisection to 1 px between the last height that did not fit and the first that did. Where
WeasyPrint's step is exact (2 px or more), the trials are the same as before; elsewhere the
columns found are the same (the shortest height, to 1 px, at which the content fits).

The change is applied to the source of the installed ``weasyprint.layout.column`` (70.0, the
locked version); if that source is not the one expected, WeasyPrint's function is kept as
it is (:func:`install_column_search` returns False, and a test fails).
"""

from __future__ import annotations

import inspect
from functools import cache

#: WeasyPrint 70.0, ``columns_layout``: the state of the search, set before its trials
_START = """\
        page_is_empty = stop_rendering = balancing = False
"""
_START_NEW = """\
        page_is_empty = stop_rendering = balancing = False
        fails_at = fits_at = None  # reports.render.columns: the search's bounds
        gallop, galloped = 1, False
"""
#: …and its step once the columns are being balanced
_STEP = """\
            if balancing:
                if column_skip_stack is None:
                    # We rendered the whole content, stop
                    break

                # Increase the column heights and render them again
                add_height = 1 if lost_space == inf else lost_space
                height += add_height

                if height > max_height:
                    # We reached max height, stop rendering
                    height = max_height
                    stop_rendering = True
                    break
"""
_STEP_NEW = """\
            if balancing:
                if column_skip_stack is None:  # fits: done, unless a gallop overshot
                    fits_at = height
                    if not galloped:
                        break
                else:
                    fails_at = height
                    if fits_at is None:  # still searching upwards
                        add_height = 1 if lost_space == inf else lost_space
                        step = add_height
                        if add_height < 2:  # WeasyPrint would crawl by 1 px: gallop
                            step = max(add_height, gallop)
                            galloped = galloped or step > add_height
                            gallop *= 2
                        height += step
                        if height <= max_height:
                            continue
                        if not galloped:
                            # We reached max height, stop rendering
                            height = max_height
                            stop_rendering = True
                            break
                        fits_at = max_height  # everything fits there: bisect below it
                # bisecting between fails_at and fits_at, to 1 px
                if fits_at - fails_at <= 1:
                    height = fits_at
                    break
                height = fails_at + max(1, floor((fits_at - fails_at) / 2))
                continue
"""


@cache
def install_column_search() -> bool:
    """Patch ``weasyprint.layout.column.columns_layout`` (and the name ``layout.block``
    imported). True if installed, False if WeasyPrint's source is not the expected one."""
    from weasyprint.layout import block, column

    original = column.columns_layout
    source = inspect.getsource(original)
    if source.count(_START) != 1 or source.count(_STEP) != 1:
        return False
    source = source.replace(_START, _START_NEW).replace(_STEP, _STEP_NEW)
    namespace = dict(vars(column))
    exec(compile(source, column.__file__, "exec"), namespace)  # noqa: S102 (WeasyPrint's code)
    patched = namespace["columns_layout"]
    patched.original = original  # type: ignore[attr-defined]  (for the tests)
    column.columns_layout = patched
    block.columns_layout = patched
    return True
