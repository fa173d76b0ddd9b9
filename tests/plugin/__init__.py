"""A third-party evidence source, as a plugin package would ship it: registered only through an entry point."""
