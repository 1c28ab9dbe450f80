"""storeroom's terminal UI: the App, the CLI entry point, shared widgets and styles."""
