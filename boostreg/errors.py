class BoostregError(Exception):
    """A user mistake: the CLI prints str(err) as one line and exits 2. The message names the problem and the fix."""
