"""Is the provider's API key there? ACP's ``auth_required`` names the variable when it is not."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from acp import RequestError

if TYPE_CHECKING:  # imported where an app is built (it loads the core)
    from ..app import App

log = logging.getLogger(__name__)

AUTH_REQUIRED = -32000


def missing_key_variables(app: App, provider_id: str, model_id: str) -> list[str]:
    """The environment variables litellm wants for this model and does not find (none when a key
    is configured, the provider is an OpenAI-compatible endpoint, or litellm cannot tell)."""
    from ..providers import LitellmProvider, runtime
    from ..providers.settings import route_for

    provider = app.provider
    if not isinstance(provider, LitellmProvider):  # another library: it reports its own errors
        return []
    try:
        route = route_for(provider_id, model_id, provider.settings.get(provider_id), provider.known_providers())
    except Exception:
        return []
    if route.litellm_model is None or route.api_key or route.openai_compatible:
        return []
    try:
        found = runtime.litellm().validate_environment(model=route.litellm_model)
    except Exception:  # litellm could not say; the model call reports any real problem
        log.debug("validate_environment failed for %s", route.litellm_model, exc_info=True)
        return []
    if found.get("keys_in_environment"):
        return []
    missing: list[Any] = found.get("missing_keys") or []  # litellm's result is an untyped dict
    return [str(k) for k in missing]


def auth_required(provider_id: str, variables: list[str]) -> RequestError:
    names = " or ".join(variables) if variables else "the provider's API key variable"
    message = (f"Authentication required: no API key for provider {provider_id!r}. Set {names} in the "
               f"environment the editor starts opencode-lsp with, or apiKey under provider.{provider_id} "
               f"in opencode.json.")
    return RequestError(AUTH_REQUIRED, message, {"providerID": provider_id, "variables": variables})
