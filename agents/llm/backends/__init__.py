"""Backends of the chat interface; each module imports its heavy package lazily."""
