"""One redaction rule for --verbose logs and opencode/config/get."""

from __future__ import annotations

import logging

import pytest

from opencode_lsp.cli import RedactSecrets
from opencode_lsp.core.config import Config

SECRETS = {"apiKey": "sk-AAA111", "X-Custom-Token": "tok-BBB222", "client_secret": "sec-CCC333",
           "Authorization": "Bearer DDD444", "password": "pw-EEE555", "X-Org-Id": "org-FFF666"}


def logged(text: str) -> str:
    record = logging.LogRecord("pygls", logging.DEBUG, __file__, 1, "%s", (text,), None)
    RedactSecrets().filter(record)
    return record.getMessage()


@pytest.mark.parametrize("shape", ["json", "repr", "http"])
def test_verbose_log_lines_lose_every_secret(shape):
    headers = {k: v for k, v in SECRETS.items() if k.startswith(("X-", "Auth"))}
    if shape == "json":
        import json
        text = json.dumps({"initializationOptions": {"providers": {"p": {"apiKey": SECRETS["apiKey"],
                          "headers": headers, "client_secret": SECRETS["client_secret"],
                          "password": SECRETS["password"]}}}})
    elif shape == "repr":
        text = repr({"apiKey": SECRETS["apiKey"], "headers": headers, "client_secret": SECRETS["client_secret"],
                     "password": SECRETS["password"]})
    else:
        text = "\n".join(f"{k}: {v}" for k, v in SECRETS.items() if k != "X-Org-Id")
    out = logged(text)
    for name, value in SECRETS.items():
        if name == "X-Org-Id" and shape == "http":
            continue
        assert value.split()[-1] not in out, (name, out)


def test_config_get_uses_the_same_rule():
    config = Config.model_validate({"provider": {"p": {"options": {
        "apiKey": SECRETS["apiKey"], "headers": {"X-Custom-Token": SECRETS["X-Custom-Token"], "X-Org-Id": "org-FFF666"},
        "client_secret": SECRETS["client_secret"]}}}})
    text = str(config.redacted())
    for value in (SECRETS["apiKey"], SECRETS["X-Custom-Token"], "org-FFF666", SECRETS["client_secret"]):
        assert value not in text
