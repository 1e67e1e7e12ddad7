"""Inputs for the differential edit test: OpenCode's own edit test tables, re-expressed as data,
plus generated inputs aimed at the fuzzy matchers' edges (block anchors with differing middles,
large spans, whitespace, CRLF, BOM). Deterministic: the same list every time.

``bench/opencode_edit_fixtures.py`` runs these through real OpenCode 1.18.33 and stores its
results in tests/tools/fixtures/opencode_edit_results.json; the test compares ours with them.
A case is ``{"id", "content" (None: the file does not exist; "<dir>": a directory),
"oldString", "newString", "replaceAll"?}``.
"""

from __future__ import annotations

import random
from typing import Any

Case = dict[str, Any]


def _case(cases: list[Case], prefix: str, content: str | None, old: str, new: str,
          replace_all: bool | None = None) -> None:
    case: Case = {"id": f"{prefix}-{len(cases):03d}", "content": content, "oldString": old, "newString": new}
    if replace_all is not None:
        case["replaceAll"] = replace_all
    cases.append(case)


def opencode_table(cases: list[Case]) -> None:
    """The situations OpenCode's edit and replacer tests exercise, in our own data form."""
    t = "table"
    _case(cases, t, None, "", "new content")
    _case(cases, t, "\ufeffusing System;\n", "", "using Up;\n")
    _case(cases, t, "old content here", "old content", "new content")
    _case(cases, t, "\ufeffusing System;\nclass Test {}\n", "using System;", "using Up;")
    _case(cases, t, None, "old", "new")
    _case(cases, t, "content", "same", "same")
    _case(cases, t, "actual content", "not in file", "replacement")
    _case(cases, t, "foo bar foo baz foo", "foo", "qux", True)
    _case(cases, t, "line1\nline2\nline3", "line2", "new line 2\nextra line")
    _case(cases, t, "line1\r\nold\r\nline3", "old", "new")
    _case(cases, t, "content", "", "")
    _case(cases, t, "<dir>", "old", "new")
    old, nxt = "alpha\nbeta\ngamma", "alpha\nbeta-updated\ngamma"
    crlf = lambda s: s.replace("\n", "\r\n")  # noqa: E731
    for content_eol in (str, crlf):
        for old_eol in (str, crlf):
            for new_eol in (str, crlf):
                _case(cases, t, content_eol(old + "\n"), old_eol(old), new_eol(nxt))
    _case(cases, t, old + "\n", "alpha\nbeta\r\ngamma", "alpha\r\nbeta\nomega")
    _case(cases, t, crlf(old + "\n"), "alpha\r\nbeta\ngamma", "alpha\nbeta\r\nomega")
    block = "alpha\nbeta"
    _case(cases, t, block + "\n" + block + "\n", block, "alpha\nbeta-updated", True)
    _case(cases, t, crlf(block + "\n" + block + "\n"), crlf(block), crlf("alpha\nbeta-updated"), True)
    _case(cases, t, "top = 0\nmiddle = keep\nbottom = 0\n", "top = 0", "top = 1")
    _case(cases, t, "hello world", "hello", "goodbye")
    _case(cases, t, "hello world", "missing", "replacement")
    _case(cases, t, "hello", "hello", "hello")
    _case(cases, t, "hello", "", "new")
    _case(cases, t, "foo bar foo", "foo", "baz")
    _case(cases, t, "  hello  world  \n  foo  bar  ", "hello  world", "goodbye world")
    _case(cases, t, "  hello world  \n  foo bar  ", "hello world", "X")
    _case(cases, t, "  line1  \n  line2  \n  line3  ", "line1\nline2", "X")
    _case(cases, t, "a\nb", "a\nb\n", "X")
    _case(cases, t, "function foo() {\n  const x = 1\n  return x\n}", "function foo() {\n  const x = 1\n  return x\n}", "X")
    _case(cases, t, "function foo() {\n  deleteEverything()\n}", "function foo() {\n  const x = 1\n}", "X")
    _case(cases, t, "hello   world   here", "hello world here", "X")
    _case(cases, t, "    line1\n    line2", "  line1\n  line2", "X")
    _case(cases, t, "  foo", "  bar", "X")
    _case(cases, t, 'line with "quotes"', 'line with \\"quotes\\"', "X")
    _case(cases, t, "hello world", "  hello world  ", "X")
    _case(cases, t, "start\n  middle\nend\nother", "start\n  midle\nend", "X")
    _case(cases, t, "hello", "xyz", "X")
    _case(cases, t, "a\n  b  \nc\n", "b\n", "B\n")


FUNCTION = [
    "def compute_total(items, tax_rate):",
    "    subtotal = 0",
    "    for item in items:",
    "        subtotal += item.price * item.quantity",
    "    discount = apply_discounts(subtotal)",
    "    taxed = (subtotal - discount) * (1 + tax_rate)",
    "    log.debug('total %s', taxed)",
    "    if taxed < 0:",
    "        raise ValueError('negative total')",
    "    return round(taxed, 2)",
    "end_of_function_marker()",
]


def _mutate(line: str, share: float, rng: random.Random) -> str:
    """Replace about ``share`` of the non-space characters of ``line`` (indent kept)."""
    chars = list(line)
    spots = [i for i, ch in enumerate(chars) if not ch.isspace()]
    for i in rng.sample(spots, int(len(spots) * share)):
        chars[i] = rng.choice("xyzqjkw")
    return "".join(chars)


def block_anchors(cases: list[Case], rng: random.Random) -> None:
    """First/last lines agree; the middle differs by a chosen share; block sizes differ."""
    for size in (3, 4, 5, 7, 11):
        body = FUNCTION[:size - 1] + [FUNCTION[-1]]
        content = "import os\n\n" + "\n".join(body) + "\n\nprint('after')\n"
        for share in (0.05, 0.2, 0.35, 0.5, 0.7, 1.0):
            middle = [_mutate(line, share, rng) for line in body[1:-1]]
            old = "\n".join([body[0], *middle, body[-1]])
            _case(cases, "anchor", content, old, "def compute_total():\n    return 0")
        # oldString with fewer or more middle lines than the file's block
        for delta in (-3, -2, -1, 1, 2, 3):
            middle = body[1:-1]
            if delta < 0:
                middle = middle[:max(0, len(middle) + delta)]
            else:
                middle = middle + [f"    extra_{k} = {k}" for k in range(delta)]
            old = "\n".join([body[0], *middle, body[-1]])
            _case(cases, "anchor", content, old, "REPLACED")
    # Several anchored candidates: the most similar must win, or none when all are far.
    twin = ("if ready:\n    start_engine(fast=True)\n    warm_up(3)\nend\n"
            "if ready:\n    stop_engine(now=False)\n    cool_down(9)\nend\n")
    for old in ("if ready:\n    start_engine(fast=False)\n    warm_up(4)\nend",
                "if ready:\n    stop_engine(now=True)\n    cool_down(8)\nend",
                "if ready:\n    zzzz\n    qqqq\nend",
                "if ready:\n    start_engine(fast=True)\nend",
                "if ready:\n\nend"):
        _case(cases, "anchor", twin, old, "X")
    # Blank middle lines on either side, and non-BMP characters in the middle (UTF-16 lengths).
    _case(cases, "anchor", "head {\n\n\n}\n", "head {\n  body\n\n}", "X")
    _case(cases, "anchor", "head {\n  a😀😀😀b\n}\n", "head {\n  a😀😀xb\n}", "X")
    _case(cases, "anchor", "head {\n  ab😀😀😀😀😀cd\n}\n", "head {\n  abcd\n}", "X")
    _case(cases, "anchor", "head {\n  héllo wörld\n  ok\n}\n", "head {\n  hello world\n  ok\n}", "X")


def spans(cases: list[Case]) -> None:
    """Loose matches over far more text than oldString: refused, or fine when close in size."""
    long_fn = "\n".join(FUNCTION) + "\n"
    _case(cases, "span", long_fn, "def compute_total(items, tax_rate):\n    pass\nend_of_function_marker()", "X")
    _case(cases, "span", long_fn, "def compute_total(items, tax_rate):\n    subtotal = 0\nend_of_function_marker()", "X")
    _case(cases, "span", long_fn, "def compute_total(items, tax_rate):\n\n\nend_of_function_marker()", "X")
    big_line = "x = " + "1 + " * 300 + "1"
    _case(cases, "span", f"a\n{big_line}\nb\n", "a\nx = 1 + 1\nb", "X")
    _case(cases, "span", f"a\n{big_line}\nb\n", "  a\n" + big_line + "\n  b", "X")
    for gap in range(0, 8):
        content = "open {\n" + "".join(f"  line{k}\n" for k in range(gap)) + "}\n"
        _case(cases, "span", content, "open {\n  line0\n}", "open {}")
        _case(cases, "span", content, "open {\n  line0\n  line1\n  line2\n  line3\n}", "open {}")
    _case(cases, "span", "x\n  y  \n\n\n\nz", "  y  \n", "Y")
    _case(cases, "span", "x\n" + "  \n" * 5 + "z", "x\n \n \nz", "Q")


def whitespace(cases: list[Case]) -> None:
    w = "ws"
    _case(cases, w, "\tif x:\n\t\treturn 1\n", "if x:\n    return 1", "if y:\n    return 2")
    _case(cases, w, "value  =   compute( a,  b )\n", "value = compute( a, b )", "value = 0")
    _case(cases, w, "x = call(a,   b) + 1\n", "call(a, b)", "call(b)")
    _case(cases, w, "x = call(a,\tb) + call(a, b)\n", "call(a,  b)", "C")
    _case(cases, w, "a\u00a0=\u00a01\n", "a = 1", "a = 2")
    _case(cases, w, "a\u3000=\u30001\n", "a = 1", "a = 2")
    _case(cases, w, "a\x1c=\x1c1\n", "a = 1", "a = 2")
    _case(cases, w, "\ufeffx = 1\ny = 2\n", "x = 1\n", "x = 3\n")
    _case(cases, w, "keep   this\nand  that\n", "keep this\nand that", "K")
    _case(cases, w, "keep   this\nand  that\nkeep this\nand that\n", "keep this\nand that", "K")
    _case(cases, w, "    def m(self):\n        return 1\n", "def m(self):\n    return 1", "def m(self):\n    return 2")
    _case(cases, w, "class A:\n        def m(self):\n\n            return 1\n", "def m(self):\n\n    return 1", "Z")
    _case(cases, w, "  a\n    b\n  a\n    b\n", "a\n  b", "Z")
    _case(cases, w, "trailing   \nspaces\t\n", "trailing\nspaces", "T")
    _case(cases, w, "   \n   \n", "\n", "N")
    _case(cases, w, "a b c\n", "   ", "_")
    _case(cases, w, "a b c\n", " ", "_")
    _case(cases, w, "a b c\n", " ", "_", True)
    _case(cases, w, "abc\n", "b ", "B")
    _case(cases, w, "one two\n", "one  two three", "X")
    _case(cases, w, "x\n\ty\n", "x\n  y\n", "x\n  z\n")
    _case(cases, w, 'msg = "line1\\nline2"\n', 'msg = "line1\nline2"', 'msg = "x"')
    _case(cases, w, 'msg = "line1\nline2"\n', 'msg = \\"line1\\nline2\\"', 'msg = "x"')
    _case(cases, w, "path = 'C:\\\\dir'\n", "path = 'C:\\dir'", "P")
    _case(cases, w, "tab\there\n", "tab\\there", "T")
    _case(cases, w, "cost is $5\n", "cost is \\$5", "cost is $6")
    _case(cases, w, "q = `x`\n", "q = \\`x\\`", "Q")
    _case(cases, w, "alpha beta gamma", "  beta  ", "BETA")
    _case(cases, w, "alpha\n  beta\ngamma\n", "\n  beta\n", "\nB\n")
    _case(cases, w, "alpha\n  beta\ngamma\n", "  \n  beta  \n  ", "B")
    _case(cases, w, "if (a) {\n  b();\n  c();\n}\n", "if (a) {\n  b();\n  d();\n}", "X")
    _case(cases, w, "if (a) {\n  b();\n  c();\n  e();\n}\n", "if (a) {\n  b();\n  d();\n  f();\n}", "X")
    _case(cases, w, "if (a) {\n  b();\n  c();\n  e();\n}\n", "if (a) {\n  b();\n  c();\n  f();\n}", "X")
    _case(cases, w, "begin\n  x\nfinish\nbegin\n  y\nfinish\n", "begin\n  z\nfinish", "X")
    _case(cases, w, "begin\n  x\nfinish\nbegin\n  y\nfinish\n", "begin\n  x\nfinish", "X")


def line_endings_and_bom(cases: list[Case]) -> None:
    e = "eol"
    base = "first line\nsecond line\nthird line\n"
    crlf = base.replace("\n", "\r\n")
    mixed = "first line\r\nsecond line\nthird line\r\n"
    for content in (crlf, mixed, "\ufeff" + crlf, "\ufeff" + base):
        _case(cases, e, content, "second line", "2nd line")
        _case(cases, e, content, "first line\nsecond line", "1\n2")
        _case(cases, e, content, "second line\nthird line\n", "2\n3\n")
        _case(cases, e, content, "  second line  \n third line", "S\nT")
        _case(cases, e, content, "first line\nsecond lne\nthird line", "X")
        _case(cases, e, content, "line", "LINE", True)
        _case(cases, e, content, "\ufeffsecond line", "S")
        _case(cases, e, content, "second line", "\ufeffS")
        _case(cases, e, content, "first line", "\ufeffF")
    _case(cases, e, None, "", "\ufeffbrand new\r\nfile\n")
    _case(cases, e, None, "", "a\r\nb")
    _case(cases, e, "", "", "now filled")
    _case(cases, e, "", "x", "y")
    _case(cases, e, "\ufeff", "", "x")
    _case(cases, e, "a\r\r\nb\r\n", "a\r\nb", "X")
    _case(cases, e, "a\rb\rc\n", "b", "B")


WORDS = ["alpha", "beta", "gamma", "delta", "x", "y", "return", "if", "(", ")", "{", "}", "=", "+", "0", "1"]


def random_cases(cases: list[Case], rng: random.Random, count: int) -> None:
    """Small random files and an oldString taken from them, then disturbed in one of several ways."""
    for _ in range(count):
        lines = []
        for _ in range(rng.randint(3, 9)):
            indent = rng.choice(["", "  ", "    ", "\t"])
            lines.append(indent + " ".join(rng.choice(WORDS) for _ in range(rng.randint(0, 5))))
        content = "\n".join(lines) + rng.choice(["", "\n"])
        start = rng.randrange(len(lines))
        end = min(len(lines), start + rng.randint(1, 5))
        old_lines = lines[start:end]
        how = rng.choice(["exact", "reindent", "spaces", "mutate", "drop", "add", "trail", "crlf"])
        if how == "reindent":
            old_lines = [("  " + line.strip()) for line in old_lines]
        elif how == "spaces":
            old_lines = [line.replace(" ", "  ") for line in old_lines]
        elif how == "mutate" and len(old_lines) > 2:
            k = rng.randrange(1, len(old_lines) - 1)
            old_lines[k] = _mutate(old_lines[k], rng.choice([0.2, 0.5, 1.0]), rng)
        elif how == "drop" and len(old_lines) > 3:
            del old_lines[rng.randrange(1, len(old_lines) - 1)]
        elif how == "add" and len(old_lines) > 1:
            old_lines.insert(1, "  inserted line")
        old = "\n".join(old_lines)
        if how == "trail":
            old += "\n"
        if how == "crlf":
            content = content.replace("\n", "\r\n")
        if not old:
            old = rng.choice(WORDS)
        _case(cases, "rand", content, old, rng.choice(["NEW", "NEW\n", "a\nb", ""]), rng.choice([None, None, True]))


def all_cases() -> list[Case]:
    rng = random.Random(18)
    cases: list[Case] = []
    opencode_table(cases)
    block_anchors(cases, rng)
    spans(cases)
    whitespace(cases)
    line_endings_and_bom(cases)
    random_cases(cases, rng, 90)
    return cases
