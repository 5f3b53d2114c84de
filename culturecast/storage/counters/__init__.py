"""The counters and pub/sub port and its adapters: in-memory (embedded) and Redis."""
