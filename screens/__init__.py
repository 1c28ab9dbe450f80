"""One Textual screen per area; each talks to the backend only through its public API."""
