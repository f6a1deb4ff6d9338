"""One module per subcommand: a plain function taking a request and returning an exit code."""
