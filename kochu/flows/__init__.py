"""kochu.flows."""
