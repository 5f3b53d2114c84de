"""The job-queue port, the job registry and records, and the two runners: in-process
(standalone) and Celery with a Redis broker (distributed)."""
