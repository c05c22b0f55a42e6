"""kochu.indicators."""
