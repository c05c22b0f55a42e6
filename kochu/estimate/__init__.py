"""kochu.estimate."""
