"""improve."""
