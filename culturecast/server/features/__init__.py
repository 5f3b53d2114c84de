"""Wiring of each feature package into the app: its services, routes, background tasks and
the notices that cross packages (a stream went live, so chat opens; it ended, so a replay is
made). One module per feature, each with ``install(app, kit)``."""
