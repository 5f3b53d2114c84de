"""Media: VOD resources and series, uploads, playback URLs, view counting and statistics."""
