"""nesykit: evaluation."""
