"""kochu.scenarios."""
