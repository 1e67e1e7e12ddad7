"""Command line: serve the LSP over stdio or TCP, serve ACP, run a prompt headless, or manage
sessions (the session commands live in ``opencode_lsp.subcommands``)."""

from __future__ import annotations

import argparse
import logging
import os
import sys

from . import __version__
from .process_exit import leave


class RedactSecrets(logging.Filter):
    """Blank out API keys and tokens in log lines.

    With ``--verbose`` pygls logs every message, ``initialize``'s options (and their inline
    ``apiKey``) included; our own code never logs a key, but a log file must be safe to share."""

    def filter(self, record: logging.LogRecord) -> bool:
        from .core.redact import redact_text

        try:
            text = record.getMessage()
        except Exception:  # a malformed record: let the handler report it as usual
            return True
        clean = redact_text(text)
        if clean != text:
            record.msg, record.args = clean, None
        return True


def _setup_logging(log_file: str | None, verbose: bool) -> None:
    # stdout carries JSON-RPC only: logs go to a file or stderr.
    handler: logging.Handler = logging.FileHandler(log_file) if log_file else logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactSecrets())
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(logging.DEBUG if verbose else logging.INFO)
    # pygls logs every message at INFO/DEBUG; keep it to warnings unless asked.
    if not verbose:
        logging.getLogger("pygls").setLevel(logging.WARNING)
        # pygls logs every failed request with a traceback; ours are answered with a clear
        # JSON-RPC error, and unexpected ones are logged by opencode_lsp.lsp.rpc.
        logging.getLogger("pygls.protocol.json_rpc").setLevel(logging.CRITICAL)


def _serve(args: argparse.Namespace) -> int:
    from .lsp.server import create_server

    server = create_server()
    try:
        if args.tcp:
            server.start_tcp(args.host, args.port)
        else:
            server.start_io()
    except Exception:  # still no interpreter teardown (process_exit), on any path out
        logging.getLogger(__name__).exception("the server stopped on an unexpected error")
        leave(1)
    leave(server.exit_status)


def model_name(text: str) -> str:
    """``--model``: "provider/model", checked before anything starts."""
    from .core.message import ModelRef

    try:
        ModelRef.parse(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{exc} (for example anthropic/claude-sonnet-4-5)") from None
    return text


class OneLineErrors(argparse.ArgumentParser):
    """Bad input: one line on stderr naming the command and the problem, exit status 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineErrors(prog="opencode-lsp", description="OpenCode's agent core as a language server")
    parser.add_argument("--version", action="version", version=f"opencode-lsp {__version__}")
    parser.add_argument("--stdio", action="store_true", help="serve over stdio (default)")
    parser.add_argument("--tcp", action="store_true", help="serve over TCP")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=2087)
    parser.add_argument("--log-file", default=os.environ.get("OPENCODE_LSP_LOG_FILE"))
    parser.add_argument("-v", "--verbose", action="store_true")
    sub = parser.add_subparsers(dest="command", parser_class=OneLineErrors)
    run = sub.add_parser("run", help="run a prompt on the current directory and print the answer")
    run.add_argument("message", nargs="+")
    run.add_argument("-m", "--model", type=model_name)
    run.add_argument("--agent")
    run.add_argument("-s", "--session")
    run.add_argument("-c", "--continue", dest="continue_", action="store_true")
    run.add_argument("--format", choices=("default", "json"), default="default")
    sub.add_parser("serve", help="serve the language server (same as no command)")
    sub.add_parser("acp", help="serve the Agent Client Protocol on stdio (Zed, CodeCompanion, ...)",
                   description="Serve OpenCode's agent over the Agent Client Protocol (v1) on stdin/stdout. "
                               "Logs go to stderr or --log-file.")
    from .subcommands import add_parsers

    add_parsers(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    _setup_logging(args.log_file, args.verbose)
    if args.command == "run":
        from .headless import run_headless

        return run_headless(args)
    if args.command == "acp":
        from .acp.server import run_acp

        return run_acp()
    handler = getattr(args, "handler", None)
    if handler is not None:
        from .subcommands import run

        return run(handler, args)
    return _serve(args)
