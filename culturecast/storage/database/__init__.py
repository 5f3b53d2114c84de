"""The database port (a small document store) and its adapters: SQLite (embedded) and
MongoDB through PyMongo's native async client."""
