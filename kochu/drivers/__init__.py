"""kochu.drivers."""
