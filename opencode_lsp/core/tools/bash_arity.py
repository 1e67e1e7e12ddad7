"""What a shell command line asks permission for.

Each command the parser (``shell_parse``) finds in a line, nested ones included, is one pattern
the rules are matched against: its text as written. When the user answers "always", what gets
remembered is broader: the command's *arity prefix* plus `` *``, the words that name what the
command does (``git checkout``, ``npm run``, ``ls``) without the arguments that vary from call
to call. The arity table says how many leading words form that prefix.
"""

from __future__ import annotations

from .shell_parse import ShellCommand, ShellLine

# Leading words -> how many words name the action. Looked up longest first; unknown commands
# take one word (``ls -la`` -> ``ls *``).
ARITY: dict[str, int] = {
    # version control and forges
    "git": 2, "hg": 2, "svn": 2, "gh": 3, "glab": 3,
    # JavaScript
    "npm": 2, "npx": 2, "yarn": 2, "pnpm": 2, "pnpx": 2, "bun": 2, "bunx": 2, "deno": 2,
    "node": 1, "tsc": 1, "nx": 2, "turbo": 2,
    # Python
    "pip": 2, "pip3": 2, "pipx": 2, "uv": 2, "uv pip": 3, "uvx": 2, "poetry": 2, "pdm": 2,
    "hatch": 2, "conda": 2, "mamba": 2, "python -m": 3, "python3 -m": 3, "python": 1,
    "python3": 1, "pytest": 1, "ruff": 2, "mypy": 1, "black": 1, "tox": 1,
    # Rust, Go, JVM, .NET, Ruby, PHP, Elixir, Swift, Dart
    "cargo": 2, "rustup": 2, "rustc": 1, "go": 2, "go mod": 3, "mvn": 2, "gradle": 2,
    "./gradlew": 2, "dotnet": 2, "gem": 2, "bundle": 2, "rake": 2, "rails": 2, "composer": 2,
    "mix": 2, "swift": 2, "flutter": 2, "dart": 2,
    # containers, clusters, clouds, infrastructure
    "docker": 2, "podman": 2, "kubectl": 2, "helm": 2, "minikube": 2, "kind": 2,
    "terraform": 2, "tofu": 2, "pulumi": 2, "ansible-playbook": 1, "aws": 3, "gcloud": 3,
    "az": 3, "vercel": 2, "fly": 2, "heroku": 2,
    # build tools and system packages/services
    "make": 2, "cmake": 1, "ninja": 1, "just": 2, "brew": 2, "apt": 2, "apt-get": 2,
    "dnf": 2, "yum": 2, "pacman": 1, "apk": 2, "systemctl": 2, "service": 3, "journalctl": 1,
}

# Words that run the rest of the line as another command; they stay in the prefix.
WRAPPERS = frozenset({"sudo", "time", "nohup", "nice"})


def arity_prefix(words: list[str]) -> str:
    """The words naming what a command does (``git checkout``), wrappers like ``sudo`` kept."""
    lead: list[str] = []
    while words and words[0] in WRAPPERS:
        lead.append(words[0])
        words = words[1:]
    if not words:
        return " ".join(lead)
    size = 1
    for n in range(min(len(words), 3), 0, -1):
        key = " ".join(words[:n])
        if key in ARITY:
            size = ARITY[key]
            break
    return " ".join([*lead, *words[:size]])


def always_pattern(command: ShellCommand) -> str:
    """What "always" remembers for one command: its assignments and arity prefix, then `` *``.

    A statement without a command name (an assignment, ``export``, an arithmetic test) is
    remembered exactly as written: there is nothing safe to generalise."""
    prefix = arity_prefix(command.words)
    if not prefix:
        return command.text
    return " ".join([*command.assignments, prefix]) + " *"


def bash_patterns(line: ShellLine) -> tuple[list[str], list[str]]:
    """``(patterns, always)`` for a ``bash`` permission ask on a parsed command line."""
    patterns = [c.text for c in line.commands]
    always = list(dict.fromkeys(always_pattern(c) for c in line.commands))
    return patterns, always
