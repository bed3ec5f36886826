"""Fault drills: scripts that break the private services on purpose and count what survived."""
