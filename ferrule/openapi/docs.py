"""The HTML pages of the interactive docs: Swagger UI, ReDoc, and the OAuth2 redirect.

FastAPI's functions and signatures (``fastapi.openapi.docs``). The pages load
their JavaScript and CSS from the URLs given (a CDN by default); point
``swagger_js_url``/``swagger_css_url``/``redoc_js_url`` at your own static
files to serve the docs without outside access.

SECURITY: values written into the ``<script>`` block are JSON with ``<``,
``>`` and ``&`` escaped, so a parameter cannot close the script element.
"""

from __future__ import annotations

import json
from typing import Any, Final

from ferrule.asgi_core.response import HTMLResponse
from ferrule.validation.encoders import jsonable_encoder

__all__ = [
    "get_redoc_html",
    "get_swagger_ui_html",
    "get_swagger_ui_oauth2_redirect_html",
    "swagger_ui_default_parameters",
]

swagger_ui_default_parameters: Final[dict[str, Any]] = {
    "dom_id": "#swagger-ui",
    "layout": "BaseLayout",
    "deepLinking": True,
    "showExtensions": True,
    "showCommonExtensions": True,
}
"""Swagger UI settings used unless ``swagger_ui_parameters`` overrides them."""

_SWAGGER_JS: Final = "https://cdn.jsdelivr.net/npm/swagger-ui-dist@5/swagger-ui-bundle.js"
_SWAGGER_CSS: Final = "https://cdn.jsdelivr.net/npm/swagger-ui-dist@5/swagger-ui.css"
_REDOC_JS: Final = "https://cdn.jsdelivr.net/npm/redoc@2/bundles/redoc.standalone.js"
_FAVICON: Final = "https://fastapi.tiangolo.com/img/favicon.png"


def _script_json(value: Any) -> str:
    """JSON safe inside ``<script>``: ``<``, ``>``, ``&`` as ``\\u`` escapes."""
    return json.dumps(value).replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def get_swagger_ui_html(
    *,
    openapi_url: str,
    title: str,
    swagger_js_url: str = _SWAGGER_JS,
    swagger_css_url: str = _SWAGGER_CSS,
    swagger_favicon_url: str = _FAVICON,
    oauth2_redirect_url: str | None = None,
    init_oauth: dict[str, Any] | None = None,
    swagger_ui_parameters: dict[str, Any] | None = None,
) -> HTMLResponse:
    """The Swagger UI page for the document at ``openapi_url``.

    Args:
        openapi_url: where the page fetches the OpenAPI document.
        title: the page title.
        swagger_js_url: the ``swagger-ui-bundle.js`` URL.
        swagger_css_url: the ``swagger-ui.css`` URL.
        swagger_favicon_url: the favicon URL.
        oauth2_redirect_url: the OAuth2 redirect page's path (made absolute
            with the page's origin by the browser).
        init_oauth: settings passed to ``ui.initOAuth``.
        swagger_ui_parameters: Swagger UI settings merged over
            ``swagger_ui_default_parameters``.

    Returns:
        The ``HTMLResponse``.
    """
    parameters = dict(swagger_ui_default_parameters)
    if swagger_ui_parameters:
        parameters.update(swagger_ui_parameters)
    lines = [
        "",
        "    <!DOCTYPE html>",
        "    <html>",
        "    <head>",
        '    <meta name="viewport" content="width=device-width, initial-scale=1.0">',
        f'    <link type="text/css" rel="stylesheet" href="{swagger_css_url}">',
        f'    <link rel="shortcut icon" href="{swagger_favicon_url}">',
        f"    <title>{title}</title>",
        "    </head>",
        "    <body>",
        '    <div id="swagger-ui">',
        "    </div>",
        f'    <script src="{swagger_js_url}"></script>',
        "    <!-- `SwaggerUIBundle` is now available on the page -->",
        "    <script>",
        "    const ui = SwaggerUIBundle({",
        f"        url: '{openapi_url}',",
        "    ",
    ]
    html = "\n".join(lines)
    for key, value in parameters.items():
        html += f"{_script_json(key)}: {_script_json(jsonable_encoder(value))},\n"
    if oauth2_redirect_url:
        html += f"oauth2RedirectUrl: window.location.origin + '{oauth2_redirect_url}',"
    html += (
        "\n    presets: [\n        SwaggerUIBundle.presets.apis,\n"
        "        SwaggerUIBundle.SwaggerUIStandalonePreset\n        ],\n    })"
    )
    if init_oauth:
        html += f"\n        ui.initOAuth({_script_json(jsonable_encoder(init_oauth))})\n        "
    html += "\n    </script>\n    </body>\n    </html>\n    "
    return HTMLResponse(html)


def get_redoc_html(
    *,
    openapi_url: str,
    title: str,
    redoc_js_url: str = _REDOC_JS,
    redoc_favicon_url: str = _FAVICON,
    with_google_fonts: bool = True,
) -> HTMLResponse:
    """The ReDoc page for the document at ``openapi_url``.

    Args:
        openapi_url: where ReDoc fetches the OpenAPI document.
        title: the page title.
        redoc_js_url: the ``redoc.standalone.js`` URL.
        redoc_favicon_url: the favicon URL.
        with_google_fonts: load the Montserrat/Roboto fonts ReDoc is designed with.

    Returns:
        The ``HTMLResponse``.
    """
    html = (
        "\n    <!DOCTYPE html>\n    <html>\n    <head>\n"
        f"    <title>{title}</title>\n"
        "    <!-- needed for adaptive design -->\n"
        '    <meta charset="utf-8"/>\n'
        '    <meta name="viewport" content="width=device-width, initial-scale=1">\n    '
    )
    if with_google_fonts:
        html += (
            "\n    <link href=\"https://fonts.googleapis.com/css?family=Montserrat:300,400,700|"
            'Roboto:300,400,700" rel="stylesheet">\n    '
        )
    html += (
        f'\n    <link rel="shortcut icon" href="{redoc_favicon_url}">\n'
        "    <!--\n    ReDoc doesn't change outer page styles\n    -->\n"
        "    <style>\n      body {\n        margin: 0;\n        padding: 0;\n      }\n    </style>\n"
        "    </head>\n    <body>\n    <noscript>\n"
        "        ReDoc requires Javascript to function. Please enable it to browse the documentation.\n"
        "    </noscript>\n"
        f'    <redoc spec-url="{openapi_url}"></redoc>\n'
        f'    <script src="{redoc_js_url}"> </script>\n'
        "    </body>\n    </html>\n    "
    )
    return HTMLResponse(html)


# The redirect page Swagger UI opens for OAuth2 authorization-code and implicit
# flows: it parses the authorization server's answer (query or fragment),
# checks the `state` it sent, and hands the result back to the opener window.
_OAUTH2_REDIRECT_PAGE: Final = """<!doctype html>
<html lang="en-US">
<head>
    <title>Swagger UI: OAuth2 Redirect</title>
</head>
<body>
<script>
    'use strict';
    function parseAnswer(text) {
        var answer = {};
        if (!text) {
            return answer;
        }
        text.split('&').forEach(function (pair) {
            var at = pair.indexOf('=');
            var key = at < 0 ? pair : pair.slice(0, at);
            var value = at < 0 ? '' : pair.slice(at + 1);
            answer[decodeURIComponent(key)] = decodeURIComponent(value.replace(/\\+/g, ' '));
        });
        return answer;
    }

    function finish() {
        var oauth2 = window.opener.swaggerUIRedirectOauth2;
        var fromHash = /code|token|error/.test(window.location.hash);
        var answer = parseAnswer(fromHash
            ? window.location.hash.substring(1).replace('?', '&')
            : window.location.search.substring(1));
        var stateMatches = answer.state === oauth2.state;
        var flow = oauth2.auth.schema.get('flow');
        var codeFlow = flow === 'accessCode' || flow === 'authorizationCode' || flow === 'authorization_code';

        if (codeFlow && !oauth2.auth.code) {
            if (!stateMatches) {
                oauth2.errCb({
                    authId: oauth2.auth.name,
                    source: 'auth',
                    level: 'warning',
                    message: 'Authorization may be unsafe: the state returned by the server differs from the one sent.'
                });
            }
            if (answer.code) {
                delete oauth2.state;
                oauth2.auth.code = answer.code;
                oauth2.callback({auth: oauth2.auth, redirectUrl: oauth2.redirectUrl});
            } else {
                var reason = answer.error
                    ? '[' + answer.error + ']: ' + (answer.error_description || 'no access code received.')
                      + (answer.error_uri ? ' More info: ' + answer.error_uri : '')
                    : '[Authorization failed]: no access code received from the server.';
                oauth2.errCb({authId: oauth2.auth.name, source: 'auth', level: 'error', message: reason});
            }
        } else {
            oauth2.callback({auth: oauth2.auth, token: answer, isValid: stateMatches, redirectUrl: oauth2.redirectUrl});
        }
        window.close();
    }

    if (document.readyState !== 'loading') {
        finish();
    } else {
        document.addEventListener('DOMContentLoaded', finish);
    }
</script>
</body>
</html>
"""


def get_swagger_ui_oauth2_redirect_html() -> HTMLResponse:
    """The page Swagger UI's OAuth2 flows redirect back to (``/docs/oauth2-redirect``)."""
    return HTMLResponse(_OAUTH2_REDIRECT_PAGE)
