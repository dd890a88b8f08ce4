"""WSGI entry point: the only module-level application object.

``gunicorn wsgi:app`` and ``flask --app wsgi`` both load it. ``GUILDHALL_CONFIG``
chooses the configuration class (development, testing, production).
"""

from app import create_app
from app.core.heap import prepare_server_heap
from app.observability import configure_logging

app = create_app()
configure_logging(app)  # LOG_FORMAT: JSON lines in production (README "Observability")
prepare_server_heap()  # the start-up heap frozen, young garbage collected less often
