"""The web pages (DESIGN.md § Interfaces: ``/``, ``/live/<id>``, ``/r/<id>``, ``/s/<id>``,
``/admin``): Jinja2 templates rendered by the server in zh-CN or English, small ES modules
that call the JSON API, vendored front-end libraries, and the static files they need."""
