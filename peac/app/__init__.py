"""One module per command: a plain function of a frozen, keyword-built request (with an
explicit ``root``) that returns an exit code. The CLI builds the request; nothing here parses
options or reads the process's working directory."""
