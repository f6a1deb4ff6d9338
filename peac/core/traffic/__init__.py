"""Pure derivations from recorded traffic (templates, sessions, arrival profile, think time,
fidelity), shared by the ``peac generate`` commands."""
