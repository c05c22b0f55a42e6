"""kochu.report."""
