"""WSGI entry point: the only module-level application object.

``gunicorn wsgi:app`` and ``flask --app wsgi`` both load it. ``GUILDHALL_CONFIG``
chooses the configuration class (development, testing, production).
"""

from app import create_app
from app.core.heap import freeze_startup_objects

app = create_app()
freeze_startup_objects()  # the start-up heap stays out of every later full collection
