"""Figures still being drawn while a document is laid out: loaded when the layout needs them.

WeasyPrint loads every image while it builds the boxes, before the layout of the first page,
so a fiche whose figures are drawn meanwhile by other processes waited for the last figure
before it laid out a line (its layout then ran alone, ~1.3 s, after the drawing). Here an
image whose file does not exist yet is a :class:`PendingImage`: the boxes are built and the
layout goes on, and the image is loaded (waited for) the first time the layout asks for
anything of it — its intrinsic size, when its box is laid out. The text before a figure is
laid out while the figure is drawn; the bytes written are the same.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any

from reports.errors import RenderError


class PendingImage:
    """Stands for the WeasyPrint image of a figure being drawn: the real image is loaded
    (``load``, which waits for the file) at the first attribute asked of it."""

    def __init__(self, load: Callable[[], Any], url: str) -> None:
        self._load = load
        self._url = url
        self._image: Any = None

    def loaded(self) -> Any:
        if self._image is None:
            image = self._load()
            if image is None:  # WeasyPrint logged why ("Failed to load image at …")
                raise RenderError(
                    "a figure could not be loaded",
                    where=self._url.removeprefix("file://"),
                    hint="check ATLAS_CACHE, or delete the figure cache to draw the figures again",
                )
            self._image = image
        return self._image

    def __getattr__(self, name: str) -> Any:  # only for what the instance lacks
        return getattr(self.loaded(), name)


@cache
def install_pending_images() -> None:
    """WeasyPrint's image loader, for a fetcher that has ``is_pending(url)``: an image whose
    file is still being drawn is a :class:`PendingImage` (in WeasyPrint's image cache, so a
    figure placed twice is loaded once); any other image is loaded at once, as before."""
    from weasyprint import document

    original = document.original_get_image_from_uri

    def get_image_from_uri(cache, url_fetcher, options, url, *args: Any, **kwargs: Any) -> Any:
        def load() -> Any:
            cache.pop(url, None)  # the real image takes the placeholder's place in the cache
            return original(cache, url_fetcher, options, url, *args, **kwargs)

        is_pending = getattr(url_fetcher, "is_pending", None)
        if isinstance(cache, dict) and url not in cache and is_pending and is_pending(url):
            cache[url] = PendingImage(load, url)
            return cache[url]
        return original(cache, url_fetcher, options, url, *args, **kwargs)

    document.original_get_image_from_uri = get_image_from_uri
