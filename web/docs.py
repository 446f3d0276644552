"""The pages that document the service for people: ``GET /docs``, the OpenAPI
description in Swagger UI, and ``GET /docs/events``, the event catalogue.

Swagger UI's files come from the ``flask-swagger-ui`` package and are served from our
own routes (``/docs/swagger-ui/...``), so the page works without a network and loads
nothing from another origin; its start-up script is a file of ours
(``web/static/docs/``), so the page's Content-Security-Policy allows scripts of this
origin only, no inline script. The catalogue page is generated from the domain's
catalogue (``application.catalogue``) and needs no script at all. Both are templates in
``web/templates/docs/``, rendered by ``web.pages``.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from flask import Blueprint, Flask, Response, send_from_directory, url_for
from werkzeug.exceptions import NotFound

from application.catalogue import event_catalogue
from web.pages import render

# The files of the Swagger UI distribution the page uses.
SWAGGER_UI_FILES = frozenset({"swagger-ui-bundle.js", "swagger-ui.css", "favicon-32x32.png",
                              "favicon-16x16.png"})
# Swagger UI's files are versioned with the package: a browser keeps them a day.
ASSET_MAX_AGE = 86400

docs = Blueprint("docs", __name__, static_folder="static", static_url_path="/docs/static")


def swagger_ui_dist() -> Path:
    """Return the folder of Swagger UI's files in the installed flask-swagger-ui."""
    return Path(str(files("flask_swagger_ui") / "dist"))


@docs.get("/docs")
def api_page() -> str:
    """Render the API reference: the OpenAPI description in Swagger UI (its policy:
    ``web.security.SELF_SCRIPT_CSP``)."""
    return render("docs/api.html", urls={
        "spec": url_for("api-docs.openapi_json"), "events": url_for("docs.event_catalogue_page"),
        "swagger_css": url_for("docs.swagger_ui", filename="swagger-ui.css"),
        "swagger_js": url_for("docs.swagger_ui", filename="swagger-ui-bundle.js"),
        "icon": url_for("docs.swagger_ui", filename="favicon-32x32.png"),
        "page_css": url_for("docs.static", filename="docs/docs.css"),
        "start_js": url_for("docs.static", filename="docs/swagger-initializer.js")})


@docs.get("/docs/events")
def event_catalogue_page() -> str:
    """Render every event type: what it records, its fields, who records it, its rules."""
    return render("docs/events.html", catalogue=event_catalogue(),
                  api_page=url_for("docs.api_page"))


@docs.get("/docs/swagger-ui/<string:filename>")
def swagger_ui(filename: str) -> Response:
    """Serve one of Swagger UI's files from the installed package."""
    if filename not in SWAGGER_UI_FILES:
        raise NotFound()
    return send_from_directory(swagger_ui_dist(), filename, max_age=ASSET_MAX_AGE)


def init_app(app: Flask) -> None:
    app.register_blueprint(docs)
