"""nesykit: perception."""
