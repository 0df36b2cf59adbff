"""The user's desk: the quiet Dagster console, the static server, links and screenshots."""
