"""Composition root: settings, CLI, the aiohttp app factory wiring the packages,
accounts/organizations/auth, and the web pages."""
