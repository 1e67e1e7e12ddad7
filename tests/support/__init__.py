"""Shared test helpers: the scripted OpenAI-compatible server lives in ``fake_openai``."""
