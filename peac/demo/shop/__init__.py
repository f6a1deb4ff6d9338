"""The demo web shop: the service the bundled scenario and budget describe."""
