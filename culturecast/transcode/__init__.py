"""ffmpeg/ffprobe command building (ladders as data), probing, progress parsing and master
playlists. The job queue that runs transcoding jobs is :mod:`culturecast.jobs`."""
