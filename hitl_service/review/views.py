"""Review pages (login, queue, task) and the JSON API they use."""

from __future__ import annotations

from flask import Blueprint

from hitl_service.review.api import bp as api_bp

bp = Blueprint("review", __name__)
bp.register_blueprint(api_bp)
