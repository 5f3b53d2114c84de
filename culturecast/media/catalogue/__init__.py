"""The catalogue: VOD resources (video and audio items) and series (专辑) with ordered episodes.
``categories.py`` and ``query.py`` are pure (category enum; list filters, visibility, sort);
``service.py`` keeps the ``resources`` and ``series`` collections; ``handlers.py`` is HTTP."""
