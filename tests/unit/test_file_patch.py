"""``summary.diffs`` in OpenCode 1.18.33's form: a whole-file unified patch per file.

The fixture holds what real OpenCode 1.18.33 stored after one bash call changed five files (a
30-line file with a replaced, a removed and an added line; an added file without a final newline;
a deleted file; a file that lost and one that gained its final newline), with the texts before and
after; ours must produce the same patches. Entries in the older before/after form still import.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from opencode_lsp.core.file_patch import file_patch, legacy_to_patch
from opencode_lsp.core.message import FileDiff, UserSummary

FIXTURE = Path(__file__).parent / "fixtures" / "opencode_summary_diffs.json"
CASES = json.loads(FIXTURE.read_text())["cases"]


@pytest.mark.parametrize("case", CASES, ids=[c["file"] for c in CASES])
def test_patch_matches_opencode(case):
    assert file_patch(case["file"], case["before"], case["after"]) == case["recorded"]["patch"]


def test_patch_of_a_change_in_a_long_file_keeps_every_line_as_context():
    before = "".join(f"{i}\n" for i in range(100))
    patch = file_patch("f", before, before.replace("50\n", "fifty\n"))
    assert "@@ -1,100 +1,100 @@\n" in patch and " 0\n" in patch and " 99\n" in patch
    assert "-50\n+fifty\n" in patch


def test_legacy_before_after_entry_becomes_a_patch():
    old = {"file": "hello.py", "before": 'print("hi")\n', "after": 'print("hello")\n',
           "additions": 1, "deletions": 1, "status": "modified"}
    diff = FileDiff.model_validate(old).dump()
    assert diff == {"file": "hello.py", "patch": file_patch("hello.py", 'print("hi")\n', 'print("hello")\n'),
                    "additions": 1, "deletions": 1, "status": "modified"}
    # An entry already in the patch form, and anything else, is left alone.
    assert legacy_to_patch(diff) is diff and legacy_to_patch("x") == "x"
    assert UserSummary.model_validate({"diffs": [old]}).dump()["diffs"] == [diff]
