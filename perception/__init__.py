"""nesykit.perception: torch models and the data sets they read (no knowledge of rules)."""
