"""A loopback mock service that answers every request and records what was sent."""
