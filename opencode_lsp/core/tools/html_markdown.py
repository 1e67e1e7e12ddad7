"""A small HTML to Markdown (or plain text) converter for ``webfetch``, on ``html.parser``.

It covers what matters to a model reading a web page: headings, paragraphs, links, lists,
code (inline and blocks), emphasis, quotes, images and simple tables. Scripts, styles and other
invisible content are dropped. Pages are messy; the aim is readable, not lossless.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

SKIP = frozenset({"script", "style", "noscript", "template", "head", "svg", "iframe", "object", "canvas"})
VOID = frozenset({"br", "hr", "img", "input", "meta", "link", "area", "base", "col", "embed", "source", "wbr"})
BLOCKS = frozenset({
    "p", "div", "section", "article", "header", "footer", "main", "nav", "aside", "figure",
    "figcaption", "form", "fieldset", "details", "summary", "address", "dl", "dt", "dd", "table",
    "thead", "tbody", "tfoot", "body", "html",
})
HEADINGS = {f"h{n}": n for n in range(1, 7)}


class _Converter(HTMLParser):
    def __init__(self, markdown: bool):
        super().__init__(convert_charrefs=True)
        self.md = markdown
        # Each frame collects the output of one open element that rewrites its content.
        self.frames: list[tuple[str, dict[str, str | None], list[str]]] = [("root", {}, [])]
        self.skip_depth = 0
        self.pre_depth = 0
        self.lists: list[list[int | None]] = []  # [counter] per open list; None for bullets

    @property
    def out(self) -> list[str]:
        return self.frames[-1][2]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.skip_depth:
            if tag in SKIP:
                self.skip_depth += 1
            return
        if tag in SKIP:
            self.skip_depth = 1
            return
        a = dict(attrs)
        if tag in BLOCKS:
            self.out.append("\n\n")
        elif tag in HEADINGS or tag in ("a", "blockquote", "pre", "code", "li", "td", "th"):
            if tag == "pre":
                self.pre_depth += 1
            if tag == "code" and self.pre_depth:
                return  # <pre><code>: the pre makes the fence
            self.frames.append((tag, a, []))
        elif tag in ("ul", "ol"):
            if not self.lists:
                self.out.append("\n")
            self.lists.append([1 if tag == "ol" else None])
        elif tag == "br":
            self.out.append("\n")
        elif tag == "hr":
            self.out.append("\n\n---\n\n" if self.md else "\n\n")
        elif tag == "tr":
            self.out.append("\n")
        elif tag == "img" and self.md:
            alt, src = a.get("alt") or "", a.get("src") or ""
            if src:
                self.out.append(f"![{alt}]({src})")
        elif tag in ("strong", "b") and self.md:
            self.out.append("**")
        elif tag in ("em", "i") and self.md:
            self.out.append("*")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in VOID:
            self.handle_endtag(tag)

    def handle_endtag(self, tag: str) -> None:
        if self.skip_depth:
            if tag in SKIP:
                self.skip_depth -= 1
            return
        if tag in BLOCKS:
            self.out.append("\n\n")
        elif tag in ("ul", "ol"):
            if self.lists:
                self.lists.pop()
            if not self.lists:
                self.out.append("\n")
        elif tag == "tr" and self.md:
            self.out.append("|")
        elif tag in ("strong", "b") and self.md:
            self.out.append("**")
        elif tag in ("em", "i") and self.md:
            self.out.append("*")
        elif tag == "code" and self.pre_depth:
            return
        elif any(f[0] == tag for f in self.frames[1:]):
            while self.frames[-1][0] != tag:  # close elements the page forgot to close
                self._close_frame()
            self._close_frame()

    def _close_frame(self) -> None:
        tag, attrs, parts = self.frames.pop()
        raw = "".join(parts)
        text = raw if tag == "pre" else _squash(raw)
        if tag in HEADINGS:
            self.out.append(f"\n\n{'#' * HEADINGS[tag] + ' ' if self.md else ''}{text.strip()}\n\n")
        elif tag == "a":
            href = attrs.get("href") or ""
            label = text.strip()
            if self.md and href and not href.startswith(("javascript:", "#")):
                self.out.append(f"[{label or href}]({href})")
            else:
                self.out.append(label)
        elif tag == "pre":
            self.pre_depth -= 1
            body = raw.strip("\n")
            self.out.append(f"\n\n```\n{body}\n```\n\n" if self.md else f"\n\n{body}\n\n")
        elif tag == "code":
            self.out.append(f"`{text}`" if self.md and text else text)
        elif tag == "blockquote":
            lines = _tidy(raw).split("\n")
            quoted = "\n".join(("> " + line if line else ">") for line in lines) if self.md else "\n".join(lines)
            self.out.append(f"\n\n{quoted}\n\n")
        elif tag == "li":
            counter = self.lists[-1] if self.lists else [None]
            if counter[0] is None:
                marker = "- " if self.md else "* "
            else:
                marker = f"{counter[0]}. "
                counter[0] += 1
            # Nested lists inside this item are indented by this item, one level per depth.
            body = _tidy(raw).replace("\n", "\n  ")
            self.out.append(f"\n{marker}{body}")
        elif tag in ("td", "th"):
            self.out.append(f"| {text.strip()} " if self.md else f"{text.strip()}\t")

    def handle_data(self, data: str) -> None:
        if self.skip_depth:
            return
        self.out.append(data if self.pre_depth else re.sub(r"\s+", " ", data))

    def result(self) -> str:
        while len(self.frames) > 1:
            self._close_frame()
        return _tidy("".join(self.out))


def _squash(text: str) -> str:
    return re.sub(r"[ \t]+", " ", text)


def _tidy(text: str) -> str:
    lines, fenced = [], False
    for line in text.split("\n"):
        if line.strip().startswith("```"):
            fenced = not fenced
        elif not fenced and line.startswith(" ") and not line.startswith("  "):
            line = line[1:]  # a space left over from collapsed whitespace, not indentation
        lines.append(line.rstrip())
    joined = "\n".join(lines)
    return re.sub(r"\n{3,}", "\n\n", joined).strip()


def html_to_markdown(html: str) -> str:
    converter = _Converter(markdown=True)
    converter.feed(html)
    converter.close()
    return converter.result()


def html_to_text(html: str) -> str:
    converter = _Converter(markdown=False)
    converter.feed(html)
    converter.close()
    return converter.result()
