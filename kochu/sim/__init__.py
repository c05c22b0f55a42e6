"""kochu.sim."""
