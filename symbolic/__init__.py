"""nesykit: symbolic."""
