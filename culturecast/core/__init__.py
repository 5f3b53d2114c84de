"""The shared kernel, pure (no I/O, imports nothing else of ours): the one client-error base
with its zh-CN/en sentence, the bounds and parsing of every number and text field the API
takes, the decoding of request bodies, and the content categories with their labels."""
