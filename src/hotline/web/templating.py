"""Jinja2 templates: autoescaped, and every value from outside already made safe by
:mod:`hotline.web.views` (the filters here are for the few texts a template builds)."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi.templating import Jinja2Templates
from starlette.requests import Request
from starlette.responses import Response

from hotline import __version__
from hotline.urls import defang_host, for_people

HERE = Path(__file__).resolve().parent
STATIC = HERE / "static"
TEMPLATES = Jinja2Templates(directory=HERE / "templates")
TEMPLATES.env.autoescape = True
TEMPLATES.env.filters["host"] = defang_host
TEMPLATES.env.filters["shown"] = for_people
# a path segment of this server (a site key in /sites/KEY): everything but unreserved
# characters escaped, so a key can never change the path it sits in
TEMPLATES.env.filters["segment"] = lambda value: quote(str(value), safe="")


def render(request: Request, name: str, context: dict[str, Any], status: int = 200) -> Response:
    principal = getattr(request.state, "principal", None)
    values = {
        "version": __version__,
        "principal": principal,
        "actor": principal.actor if principal else None,
        "csrf": principal.csrf if principal else None,
        **context,
    }
    return TEMPLATES.TemplateResponse(request, name, values, status_code=status)
