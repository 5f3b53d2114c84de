"""Live: RTMP ingest, the live session state machine, live HLS packaging and upload,
stream keys and the live HTTP handlers."""
