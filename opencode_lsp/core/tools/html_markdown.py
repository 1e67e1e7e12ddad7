"""HTML to Markdown or plain text for ``webfetch``, on markdownify and BeautifulSoup.

OpenCode converts fetched pages with turndown (ATX headings, ``-`` bullets, fenced code, ``---``
rules); markdownify is the Python counterpart. What a model should never read is dropped first:
scripts, styles and other invisible or embedded content, and ``javascript:`` links keep only
their text.
"""

from __future__ import annotations

import re
from typing import Any

from bs4 import BeautifulSoup
from markdownify import MarkdownConverter

# Elements whose content is never visible page text.
INVISIBLE = ("script", "style", "noscript", "template", "head", "svg", "iframe", "object", "embed",
             "canvas", "meta", "link")


class _PageConverter(MarkdownConverter):
    def convert_a(self, el: Any, text: str, *args: Any, **kwargs: Any) -> str:
        href = (el.get("href") or "").strip().lower()
        if href.startswith(("javascript:", "data:", "vbscript:")):
            return text
        # markdownify's stub (__init__.pyi) leaves out the per-tag convert_* methods it defines,
        # so this one call into it is untyped.
        return str(super().convert_a(el, text, *args, **kwargs))  # pyright: ignore[reportAttributeAccessIssue, reportUnknownMemberType, reportUnknownArgumentType]


def _visible_soup(html: str) -> BeautifulSoup:
    soup = BeautifulSoup(html, "html.parser")
    for element in soup.find_all(INVISIBLE):
        element.decompose()
    return soup


def _tidy(text: str) -> str:
    lines = [line.rstrip() for line in text.split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def html_to_markdown(html: str) -> str:
    converter = _PageConverter(heading_style="ATX", bullets="-", code_language="", escape_misc=False)
    return _tidy(converter.convert_soup(_visible_soup(html)))


BLOCKS = ("p", "div", "section", "article", "header", "footer", "li", "tr", "h1", "h2", "h3", "h4",
          "h5", "h6", "pre", "blockquote", "table", "ul", "ol", "dl", "dt", "dd", "hr")


def html_to_text(html: str) -> str:
    soup = _visible_soup(html)
    # Inline text runs on; block ends become line breaks and table cells tabs, so rows stay rows.
    for br in soup.find_all("br"):
        br.replace_with("\n")
    for cell in soup.find_all(("td", "th")):
        if cell.find_next_sibling(("td", "th")) is not None:
            cell.append("\t")
    for block in soup.find_all(BLOCKS):
        block.append("\n")
    text = re.sub(r"[ \r\f\v]+", " ", soup.get_text())
    return _tidy(re.sub(r" *\n[ \n]*", "\n", text))
