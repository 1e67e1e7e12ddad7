import asyncio
from pathlib import Path

import pytest

from opencode_lsp.core.tools.base import ToolError
from opencode_lsp.core.tools.bash import tool as bash
from opencode_lsp.core.tools.bash_arity import arity_prefix, bash_patterns
from opencode_lsp.core.tools.shell_parse import parse_shell


def alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat[stat.rfind(")") + 2] not in "ZX"


async def wait_for(predicate, limit: float = 10.0) -> None:
    """Poll until ``predicate()`` holds; the limit only stops a broken test from hanging."""
    loop = asyncio.get_running_loop()
    end = loop.time() + limit
    while not predicate():
        assert loop.time() < end, "condition never became true"
        await asyncio.sleep(0.02)


# --- permission patterns ------------------------------------------------------------------

@pytest.mark.parametrize("command,prefix", [
    ("git checkout main", "git checkout"),
    ("npm run build", "npm run"),
    ("ls -la", "ls"),
    ("docker compose up -d", "docker compose"),
    ("cargo test --release", "cargo test"),
    ("go test ./...", "go test"),
    ("go mod tidy", "go mod tidy"),
    ("kubectl get pods -A", "kubectl get"),
    ("pip install requests", "pip install"),
    ("python -m pytest -q", "python -m pytest"),
    ("python script.py", "python"),
    ("make build", "make build"),
    ("yarn add left-pad", "yarn add"),
    ("pnpm install", "pnpm install"),
    ("bun test", "bun test"),
    ("FOO=1 BAR=2 npm test", "FOO=1 BAR=2 npm test"),
    ("sudo apt-get install -y jq", "sudo apt-get install"),
    ("unknowncmd --flag x", "unknowncmd"),
])
def test_arity_prefix(command, prefix):
    (parsed,) = parse_shell(command).commands
    assert " ".join([*parsed.assignments, arity_prefix(parsed.words)]) == prefix


def test_parser_respects_quotes_and_redirections():
    line = 'echo "a && b; c" && ls -la | grep x; git status || true\nmake test 2>&1 &\necho \'|\''
    assert [c.text for c in parse_shell(line).commands] == [
        'echo "a && b; c"', "ls -la", "grep x", "git status", "true", "make test 2>&1", "echo '|'",
    ]


def test_bash_patterns():
    patterns, always = bash_patterns(parse_shell("git checkout main && npm run build | tee log"))
    assert patterns == ["git checkout main", "npm run build", "tee log"]
    assert always == ["git checkout *", "npm run *", "tee *"]


# --- running ------------------------------------------------------------------------------

async def test_runs_in_root_with_merged_output(root, ctx, rec):
    result = await bash.execute({"command": "pwd; echo out; echo err >&2; exit 3"}, ctx)
    assert result.output.startswith(f"{root}\nout\nerr\n")
    assert "Exit code: 3" in result.output
    assert result.metadata["exit"] == 3 and result.metadata["description"] == "pwd; echo out; echo err >&2; exit 3"
    assert "out\nerr" in result.metadata["output"]
    [ask] = rec.of("bash")
    assert ask["patterns"] == ["pwd", "echo out", "echo err >&2", "exit 3"]
    assert ask["always"] == ["pwd *", "echo *", "exit *"]


async def test_workdir_inside_and_outside(root, tmp_path, ctx, rec):
    (root / "sub").mkdir()
    result = await bash.execute({"command": "pwd", "workdir": "sub"}, ctx)
    assert result.output.strip() == str(root / "sub") and rec.of("external_directory") == []
    await bash.execute({"command": "pwd", "workdir": str(tmp_path)}, ctx)
    assert rec.of("external_directory")[0]["patterns"] == [f"{tmp_path}/*"]
    with pytest.raises(ToolError, match="not a directory"):
        await bash.execute({"command": "pwd", "workdir": "nope"}, ctx)


async def test_absolute_paths_outside_ask_external_directory(root, tmp_path, ctx, rec):
    (tmp_path / "outside.txt").write_text("o\n")
    await bash.execute({"command": f"cat {tmp_path}/outside.txt > /dev/null && ls {root}"}, ctx)
    assert [a["patterns"] for a in rec.of("external_directory")] == [[f"{tmp_path}/*"]]
    assert rec.asks[-1]["permission"] == "bash"


async def test_refused_bash_runs_nothing(root, ctx, rec):
    from tests.tools.conftest import Refused
    rec.refuse.add("bash")
    with pytest.raises(Refused):
        await bash.execute({"command": "touch made"}, ctx)
    assert not (root / "made").exists()


async def test_timeout_kills_the_whole_process_group(root, ctx):
    command = "sleep 1000 & echo $! > child.pid; echo started; wait"
    result = await bash.execute({"command": command, "timeout": 500}, ctx)
    child = int((root / "child.pid").read_text())
    await wait_for(lambda: not alive(child))
    assert "started" in result.output and "timeout of 500 ms" in result.output
    assert result.metadata["exit"] != 0


async def test_abort_kills_the_whole_process_group(root, ctx):
    task = asyncio.ensure_future(bash.execute({"command": "sleep 1000 & echo $! > child.pid; wait"}, ctx))
    await wait_for(lambda: (root / "child.pid").exists() and (root / "child.pid").read_text().strip() != "")
    child = int((root / "child.pid").read_text())
    assert alive(child)
    ctx.abort.set()
    result = await task
    await wait_for(lambda: not alive(child))
    assert "aborted" in result.output


async def test_cancelled_call_kills_the_process_group(root, ctx):
    task = asyncio.ensure_future(bash.execute({"command": "sleep 1000 & echo $! > child.pid; wait"}, ctx))
    await wait_for(lambda: (root / "child.pid").exists() and (root / "child.pid").read_text().strip() != "")
    child = int((root / "child.pid").read_text())
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await wait_for(lambda: not alive(child))


async def test_output_streams_through_update_while_running(root, ctx, rec):
    command = "echo first; while [ ! -f go ]; do sleep 0.02; done; echo second"
    task = asyncio.ensure_future(bash.execute({"command": command}, ctx))
    await wait_for(lambda: any("first" in m.get("output", "") for _, m in rec.updates))
    streamed = next(m for _, m in rec.updates if "first" in m.get("output", ""))
    assert "second" not in streamed["output"] and streamed["description"] == command
    (root / "go").write_text("")
    result = await task
    assert result.output == "first\nsecond\n"
    assert rec.updates[-1][1]["output"] == "first\nsecond\n"
    assert all(title == command for title, _ in rec.updates)


async def test_long_output_is_truncated_and_saved(root, ctx, data_dir):
    result = await bash.execute({"command": "seq 1 5000"}, ctx)
    assert result.metadata["truncated"] is True
    saved = Path(result.metadata["outputPath"])
    assert saved.parent == data_dir / "tool-output"
    assert saved.read_text() == "".join(f"{i}\n" for i in range(1, 5001))
    assert "\n5000" in result.output and "\n1\n" not in result.output  # the end is kept
    assert str(saved) in result.output


async def test_no_output(root, ctx):
    result = await bash.execute({"command": "true"}, ctx)
    assert result.output == "(no output)" and result.metadata["exit"] == 0


async def test_path_at_filesystem_root_gives_a_clean_pattern(root, ctx, rec):
    await bash.execute({"command": "echo /no_such_top_level_thing"}, ctx)
    assert rec.of("external_directory")[0]["patterns"] == ["/*"]
