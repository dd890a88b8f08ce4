"""WSGI entry point: the only module-level application object.

``gunicorn wsgi:app`` and ``flask --app wsgi`` both load it. ``GUILDHALL_CONFIG``
chooses the configuration class (development, testing, production).
"""

from app import create_app

app = create_app()
