"""Load tests and their tooling: Locust traffic mix, server lifecycle, reports (not pytest)."""
