"""ActionKit REST client, hostname safety checks and a local ActionKit-compatible sandbox."""
