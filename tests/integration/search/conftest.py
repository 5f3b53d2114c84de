from tests.integration.views.conftest import clock, stack

__all__ = ["clock", "stack"]
