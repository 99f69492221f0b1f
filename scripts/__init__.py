"""nesykit: scripts."""
