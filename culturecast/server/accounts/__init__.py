"""Accounts: organizations in a five-level tree, users with roles, passwords, API tokens and
the one authorization helper every handler uses."""
