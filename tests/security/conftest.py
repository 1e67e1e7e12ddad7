"""Counts of what the adversarial tests generated and what became of each case.

Each property test adds to ``OUTCOMES[kind][outcome]``; the totals are printed at the end of the
run (``asked``, ``denied``, ``refused`` for unparseable input, ``ran`` for cases the rules allowed
and that were harmless), so a report can quote them.
"""

from __future__ import annotations

from collections import Counter, defaultdict

OUTCOMES: defaultdict[str, Counter[str]] = defaultdict(Counter)


def record(kind: str, outcome: str) -> None:
    OUTCOMES[kind][outcome] += 1


def pytest_terminal_summary(terminalreporter, exitstatus, config):  # noqa: ARG001
    if not OUTCOMES:
        return
    terminalreporter.section("adversarial cases generated")
    for kind in sorted(OUTCOMES):
        counts = OUTCOMES[kind]
        detail = ", ".join(f"{name} {n}" for name, n in sorted(counts.items()))
        terminalreporter.write_line(f"{kind}: {sum(counts.values())} generated ({detail})")
