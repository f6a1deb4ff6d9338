"""Where results live after a run: attached to the commit they measured, in the user's own
repository (git notes) or in a directory of CI artifacts, and read back as series along the base
branch's first-parent history."""
