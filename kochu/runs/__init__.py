"""kochu.runs."""
