"""ffmpeg/ffprobe command building (ladders as data), progress parsing, job definitions,
the job queue port with its in-process runner and Celery adapter."""
