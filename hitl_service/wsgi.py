"""WSGI entry point for gunicorn: ``gunicorn hitl_service.wsgi:app``."""

from hitl_service import create_app

app = create_app()
