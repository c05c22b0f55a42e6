"""kochu.atlas."""
