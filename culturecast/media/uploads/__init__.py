"""Resumable uploads over tus 1.0 (core, creation, termination, expiration): the protocol's
headers (``tus.py``, pure), the upload records and where the bytes go (``service.py``: a file
in the data dir, or S3 multipart parts), and the HTTP handlers (``handlers.py``)."""
