"""The object-store port and its adapters: a local directory (embedded) and S3/MinIO."""
