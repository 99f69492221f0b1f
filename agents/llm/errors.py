"""Errors raised by :mod:`agents.llm`; each message says what is wrong and how to fix it."""

from __future__ import annotations


class LLMError(Exception):
    """Base class of errors raised by the chat interface."""


class ModelSpecError(LLMError, ValueError):
    """A model spec names an unknown backend or alias, or is malformed."""


class ModelNotFoundError(LLMError, FileNotFoundError):
    """A model file or directory named by a spec does not exist, or the default model is not installed."""


class BackendUnavailableError(LLMError, ImportError):
    """The Python package a backend needs is not installed (e.g. vllm without the ``gpu`` extra)."""


class ContextLengthError(LLMError, ValueError):
    """A prompt (plus ``max_tokens``) does not fit the model's context window."""


class ServerError(LLMError, ConnectionError):
    """An OpenAI-compatible server could not be reached or kept failing after bounded retries."""


class RequestError(LLMError, ValueError):
    """A chat request is malformed (bad messages, bad parameter values, unsupported option)."""


class ModelOptionError(ModelSpecError):
    """A backend option is unknown (the message lists the valid names) or has a bad value."""


class ModelIntegrityError(ModelNotFoundError):
    """A model file is not what it should be (size, SHA-256 or GGUF header differ): it is refused."""
