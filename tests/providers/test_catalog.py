"""Routing of model refs to litellm, model info from litellm's bundled map, and config overrides."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from opencode_lsp.providers import LitellmProvider, parse_settings, route_for, split_ref
from opencode_lsp.providers.settings import NO_KEY

from .conftest import collect, of_type

KNOWN = {"openai", "anthropic", "ollama", "openrouter", "gemini"}


def test_split_ref_keeps_slashes_in_the_model_id():
    assert split_ref("openrouter/anthropic/claude-sonnet-4-5") == ("openrouter", "anthropic/claude-sonnet-4-5")
    with pytest.raises(ValueError):
        split_ref("no-slash")


def test_known_providers_pass_through():
    route = route_for("openrouter", "anthropic/claude-sonnet-4-5", None, KNOWN)
    assert route.litellm_model == "openrouter/anthropic/claude-sonnet-4-5"
    assert route.api_base is None and route.api_key is None and not route.openai_compatible
    assert route_for("google", "gemini-2.5-pro", None, KNOWN).litellm_model == "gemini/gemini-2.5-pro"


def test_unknown_provider_with_base_is_openai_compatible(monkeypatch):
    monkeypatch.setenv("MY_LLM_KEY", "sk-secret")
    settings = parse_settings({"providers": {"local": {"apiBase": "http://h:1/v1", "apiKeyEnv": "MY_LLM_KEY",
                                                        "headers": {"X-Team": "a"}}}})
    route = route_for("local", "qwen/coder", settings["local"], KNOWN)
    assert route.litellm_model == "openai/qwen/coder" and route.openai_compatible
    assert route.call_options() == {"model": "openai/qwen/coder", "api_base": "http://h:1/v1",
                                    "api_key": "sk-secret", "extra_headers": {"X-Team": "a"}}
    assert "sk-secret" not in repr(route) and "sk-secret" not in repr(settings["local"])


def test_opencode_provider_options_and_dummy_key():
    config = {"provider": {"corp": {"options": {"baseURL": "http://corp/v1", "apiKey": "k1", "timeout": 5000},
                                    "models": {"big": {"id": "corp-big-2"}}}}}
    settings = parse_settings(config)["corp"]
    route = route_for("corp", "big", settings, KNOWN)
    assert (route.litellm_model, route.api_key, route.timeout_s) == ("openai/corp-big-2", "k1", 5.0)
    bare = route_for("other", "m", parse_settings({"providers": {"other": {"apiBase": "http://o"}}})["other"], KNOWN)
    assert bare.api_key == NO_KEY


def test_editor_settings_win_over_file_options():
    settings = parse_settings({
        "provider": {"p": {"options": {"baseURL": "http://file", "headers": {"A": "1", "B": "1"}}}},
        "providers": {"p": {"apiBase": "http://editor", "headers": {"B": "2"}}},
    })["p"]
    assert settings.api_base == "http://editor" and settings.headers == {"A": "1", "B": "2"}


def test_unknown_provider_without_base_cannot_be_routed():
    route = route_for("mystery", "m", None, KNOWN)
    assert route.litellm_model is None and "mystery" in route.problem


def test_prices_and_limits_from_litellm_map():
    info = LitellmProvider({}).get("openai", "gpt-4o").info
    assert (info.limit.context, info.limit.output) == (128_000, 16_384)
    assert (info.cost.input, info.cost.output, info.cost.cache_read) == (2.5, 10.0, 1.25)
    assert info.cost.cache_write is None  # not in the map: unknown, not free
    assert info.tool_call and info.attachment


def test_context_tier_prices_from_litellm_map():
    cost = LitellmProvider({}).get("google", "gemini-2.5-pro").info.cost
    assert cost.input == 1.25
    tier = next(t for t in cost.tiers if t["size"] == 200_000)
    assert (tier["input"], tier["output"]) == (2.5, 15.0)


def test_model_without_a_real_map_entry_has_unknown_prices():
    info = LitellmProvider({}).get("openrouter", "anthropic/claude-sonnet-4.5").info
    assert info.cost.input is None and info.cost.output is None


def test_local_provider_is_free():
    info = LitellmProvider({}).get("ollama", "qwen2.5-coder").info
    assert (info.cost.input, info.cost.output) == (0, 0)


def test_config_overrides_map_values():
    provider = LitellmProvider({"provider": {"openai": {"models": {"gpt-4o": {
        "name": "GPT-4o (team)", "limit": {"context": 64_000, "output": 4_000},
        "cost": {"input": 2, "output": 8, "cache_write": 2.5, "context_over_200k": {"input": 4, "output": 16}},
    }}}}})
    info = provider.get("openai", "gpt-4o").info
    assert info.name == "GPT-4o (team)"
    assert (info.limit.context, info.limit.output) == (64_000, 4_000)
    assert (info.cost.input, info.cost.output, info.cost.cache_read, info.cost.cache_write) == (2, 8, 1.25, 2.5)
    assert {"size": 200_000, "input": 4, "output": 16} in info.cost.tiers


def test_custom_endpoint_model_info_comes_from_config_only():
    provider = LitellmProvider({"provider": {"fake": {
        "options": {"baseURL": "http://127.0.0.1:9/v1"},
        "models": {"gpt-4o": {"limit": {"context": 1000, "output": 100}}}}}})
    info = provider.get("fake", "gpt-4o").info
    assert (info.limit.context, info.limit.output) == (1000, 100)
    assert info.cost.input is None  # not gpt-4o's OpenAI prices: this is someone else's server


def test_list_models_names_default_small_and_configured_models():
    provider = LitellmProvider({
        "model": "openai/gpt-4o", "small_model": "fake/small",
        "provider": {"fake": {"options": {"baseURL": "http://x/v1"}, "models": {"small": {}, "big": {"name": "Big"}}}},
    })
    refs = [m.ref for m in provider.list_models()]
    assert refs == ["openai/gpt-4o", "fake/small", "fake/big"]
    assert provider.list_models()[2].name == "Big"


def test_reconfigure_rebuilds_models():
    provider = LitellmProvider({"provider": {"p": {"options": {"baseURL": "http://a"}, "models": {"m": {"name": "A"}}}}})
    assert provider.get("p", "m").info.name == "A"
    provider.reconfigure({"provider": {"p": {"options": {"baseURL": "http://b"}, "models": {"m": {"name": "B"}}}}})
    model = provider.get("p", "m")
    assert model.info.name == "B" and model.route.api_base == "http://b"


async def test_configured_headers_and_key_reach_the_server(fake, monkeypatch):
    monkeypatch.setenv("FAKE_KEY_FOR_TEST", "sk-from-env")
    provider = LitellmProvider({"providers": {"fake": {"apiBase": fake.base_url, "apiKeyEnv": "FAKE_KEY_FOR_TEST",
                                                       "headers": {"X-Trace": "t1"}}}})
    fake.add_turns(["hi"])
    await collect(provider.get("fake", "m"))
    headers = fake.request_headers[0]
    assert headers["authorization"] == "Bearer sk-from-env" and headers["x-trace"] == "t1"


def test_importing_providers_does_not_import_litellm():
    code = textwrap.dedent("""
        import sys
        import opencode_lsp.providers
        from opencode_lsp.providers import LitellmProvider
        LitellmProvider({"model": "fake/m", "providers": {"fake": {"apiBase": "http://x"}}})
        print("litellm" in sys.modules)
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_loading_litellm_prints_nothing_on_stdout():
    code = textwrap.dedent("""
        import os
        os.environ.pop("LITELLM_LOCAL_MODEL_COST_MAP", None)
        from opencode_lsp.providers import runtime
        lib = runtime.litellm()
        assert os.environ["LITELLM_LOCAL_MODEL_COST_MAP"] == "True"
        assert lib.suppress_debug_info is True and lib.set_verbose is False
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout == ""


def test_loading_litellm_freezes_its_objects_and_restores_the_collector():
    """litellm's ~370,000 long-lived objects go to the permanent generation (full collections
    during a stream no longer walk them), and the collector paused for the import runs again."""
    code = textwrap.dedent("""
        import gc
        from opencode_lsp.providers import runtime
        assert gc.isenabled() and gc.get_freeze_count() == 0
        runtime.litellm()
        assert gc.isenabled()
        assert gc.get_freeze_count() > 100_000, gc.get_freeze_count()
        gc.disable()  # a collector someone else switched off stays off
        with runtime._collector_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
        gc.enable()
        try:
            with runtime._collector_paused():
                raise KeyError("import failed")
        except KeyError:
            pass
        assert gc.isenabled()
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr


def test_warm_up_rehearses_a_call_without_network_or_stdout():
    """After warm_up the first call's lazy imports are done, no tokenizer was loaded (counts are
    the provider's), nothing was printed and no socket was opened."""
    code = textwrap.dedent("""
        import socket, sys
        opened = []
        real_connect = socket.socket.connect
        def connect(self, address):
            opened.append(address)
            return real_connect(self, address)
        socket.socket.connect = connect
        from opencode_lsp.providers import runtime
        lib = runtime.litellm()
        imported = set(sys.modules)
        runtime.warm_up()
        assert {m for m in set(sys.modules) - imported if m.startswith("litellm.")}, "nothing was rehearsed"
        assert "litellm.litellm_core_utils.default_encoding" not in sys.modules
        assert "tiktoken.load" not in sys.modules
        assert lib.disable_hf_tokenizer_download is True and lib.disable_token_counter is True
        assert opened == [], opened
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout == ""


async def test_a_call_after_warm_up_streams_from_the_server(provider, fake):
    from opencode_lsp.providers import runtime

    runtime.warm_up()
    fake.set_script([[{"text": "after the rehearsal", "chunks": 3}]])
    events = await collect(provider.get("fake", "m"))
    assert "".join(e.text for e in of_type(events, "text-delta")) == "after the rehearsal"
