"""Pure-Python calculation core."""
