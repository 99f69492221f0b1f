"""nesykit: agents."""
