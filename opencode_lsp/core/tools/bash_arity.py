"""What a shell command line asks permission for.

Each command of a line (split on ``&&``, ``||``, ``;``, ``|``, ``&`` and newlines outside quotes)
is one pattern the rules are matched against. When the user answers "always", what gets
remembered is broader: the command's *arity prefix* plus `` *``, the words that name what the
command does (``git checkout``, ``npm run``, ``ls``) without the arguments that vary from call
to call. The arity table says how many leading words form that prefix.
"""

from __future__ import annotations

import shlex

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

SEPARATORS = ("&&", "||", ";", "|", "&", "\n")


def split_commands(line: str) -> list[str]:
    """The separate commands of a command line, quotes and escapes respected."""
    commands: list[str] = []
    current: list[str] = []
    quote: str | None = None
    i = 0
    while i < len(line):
        ch = line[i]
        if quote:
            current.append(ch)
            if ch == "\\" and quote == '"' and i + 1 < len(line):
                current.append(line[i + 1])
                i += 2
                continue
            if ch == quote:
                quote = None
            i += 1
            continue
        if ch == "\\" and i + 1 < len(line):
            if line[i + 1] == "\n":  # a continued line is one command
                current.append(" ")
            else:
                current.append(line[i:i + 2])
            i += 2
            continue
        if ch in ("'", '"'):
            quote = ch
            current.append(ch)
            i += 1
            continue
        if ch == "#" and (not current or current[-1].isspace()):
            while i < len(line) and line[i] != "\n":  # comment to the end of the line
                i += 1
            continue
        sep = next((s for s in SEPARATORS if line.startswith(s, i)), None)
        if sep:
            # ``2>&1`` and ``&>`` are redirections, not the background operator.
            if sep == "&" and ((current and current[-1] == ">") or line.startswith("&>", i)):
                current.append(ch)
                i += 1
                continue
            commands.append("".join(current))
            current = []
            i += len(sep)
            continue
        current.append(ch)
        i += 1
    commands.append("".join(current))
    return [c.strip() for c in commands if c.strip()]


def tokens(command: str) -> list[str]:
    try:
        return shlex.split(command, comments=False, posix=True)
    except ValueError:  # an unbalanced quote: fall back to whitespace words
        return command.split()


def arity_prefix(command: str) -> str:
    words = tokens(command)
    lead: list[str] = []
    # Environment assignments (FOO=1 cmd) and wrappers (sudo cmd) come before the real command.
    while words and ("=" in words[0] and not words[0].startswith("=") and words[0].split("=")[0].isidentifier()):
        words = words[1:]
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


def bash_patterns(command: str) -> tuple[list[str], list[str]]:
    """``(patterns, always)`` for a ``bash`` permission ask on ``command``."""
    commands = split_commands(command)
    patterns = list(dict.fromkeys(commands))
    always = list(dict.fromkeys(f"{arity_prefix(c)} *" for c in commands if arity_prefix(c)))
    return patterns, always
