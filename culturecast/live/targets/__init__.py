"""Push targets (转推): copies of a live event's incoming stream pushed to third-party RTMP(S)
or SRT addresses while the event is live, each in its own ffmpeg, independent of the show and
of each other (DESIGN.md § Live routing). ``model`` is the pure state machine, error
classification and validation; ``store`` the ``live_targets`` collection and its API;
``runner`` the processes in the ingest."""
