"""Recorded traffic in (access logs), generated files out (scenario, data files, budget):
the file edges of ``peac generate``."""
