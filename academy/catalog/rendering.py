"""Markdown → safe HTML for lessons (preview and display use the same function)."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache

import nh3
from markdown_it import MarkdownIt

ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "dd", "del", "div", "dl", "dt", "em",
    "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "kbd", "li", "mark", "ol", "p",
    "pre", "s", "small", "span", "strong", "sub", "sup", "table", "tbody", "td", "tfoot",
    "th", "thead", "tr", "u", "ul",
}
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title", "width", "height"},
    "td": {"align", "colspan", "rowspan"},
    "th": {"align", "colspan", "rowspan"},
    "ol": {"start"},
    "span": {"class"},
    "div": {"class"},
    "code": {"class"},
}


@cache
def _markdown() -> MarkdownIt:
    # CommonMark plus tables and strikethrough; raw HTML in Markdown is not rendered.
    return MarkdownIt("commonmark", {"html": False, "linkify": False}).enable(
        ["table", "strikethrough"])


def render_markdown(text: str, image_url: Callable[[str], str | None] | None = None) -> str:
    """Render lesson Markdown to sanitised HTML.

    ``image_url`` maps a relative image reference (``images/x.png``) to a served URL;
    references it returns None for are dropped.
    """
    html = _markdown().render(text or "")

    def attribute_filter(tag: str, attr: str, value: str) -> str | None:
        if tag == "img" and attr == "src":
            if value.startswith(("http:", "https:", "//", "data:", "javascript:")):
                return None  # no remote or inline images: the app works offline
            return image_url(value) if image_url else value
        return value

    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer",
        attribute_filter=attribute_filter,
    )
