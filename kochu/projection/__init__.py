"""kochu.projection."""
