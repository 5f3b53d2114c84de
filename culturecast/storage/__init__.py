"""Ports and adapters for every engine: database (SQLite | MongoDB), object store
(local directory | S3/MinIO), counters and pub/sub (memory | Redis). Imports nothing of ours."""
