"""Black-box contract tests: a running server, driven over real HTTP."""
