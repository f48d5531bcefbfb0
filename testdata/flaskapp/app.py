"""A Flask service using the real Flask-JWT-Extended, for freshtoken's
compatibility tests (flask_test.go).

Usage: python3 app.py PORT

PORT 0 picks a free port. The server listens on 127.0.0.1 only and prints
"port N" on its first line of output once it accepts connections.

Keys come from the environment:
  FRESHTOKEN_TEST_SECRET                       HS256 secret (required)
  FRESHTOKEN_TEST_OTHER_SECRET                 a second HS256 secret
  FRESHTOKEN_TEST_RSA_PRIVATE / _RSA_PUBLIC    PEM keys for RS256
  FRESHTOKEN_TEST_EC_PRIVATE / _EC_PUBLIC      PEM keys for ES256

Each configuration is a separate Flask app under its own path prefix:
  /hs      HS256, identity in "sub", tokens in the Authorization header
  /other   as /hs, with the other secret
  /id      as /hs, with JWT_IDENTITY_CLAIM = "identity"
  /iss     as /hs, with issuer "auth" and audience "api"
  /cookie  as /hs, with tokens in cookies and CSRF double submit
  /rs      RS256
  /es      ES256

Every app has:
  POST /login         {"identity": ..., "expires_in": s, "refresh_expires_in": s}
                      a fresh pair (create_access_token(fresh=True))
  POST /login/window  {"identity": ..., "fresh_for": s, "expires_in": s}
                      a freshness-window login (fresh=timedelta(seconds=s))
  POST /refresh       jwt_required(refresh=True): a non-fresh access token
  GET|POST /protected     jwt_required()
  GET|POST /fresh         jwt_required(fresh=True)
  GET|POST /refresh-only  jwt_required(refresh=True)
The three guarded endpoints answer {"identity", "claims", "header"}.
Failures keep Flask-JWT-Extended's default answers (401 or 422 with "msg").
Negative expires_in values issue tokens that have already expired.
"""

import os
import sys
from datetime import timedelta

from flask import Flask, jsonify, request
from flask_jwt_extended import (
    JWTManager,
    create_access_token,
    create_refresh_token,
    get_jwt,
    get_jwt_header,
    get_jwt_identity,
    jwt_required,
)
from werkzeug.middleware.dispatcher import DispatcherMiddleware
from werkzeug.serving import WSGIRequestHandler, make_server


class QuietHandler(WSGIRequestHandler):
    def log_request(self, *args, **kwargs):
        pass


def seconds(body, name):
    value = body.get(name)
    return None if value is None else timedelta(seconds=value)


def make_app(name, **config):
    app = Flask(name)
    app.config.update(config)
    JWTManager(app)

    @app.post("/login")
    def login():
        body = request.get_json()
        identity = body["identity"]
        access = create_access_token(
            identity, fresh=True, expires_delta=seconds(body, "expires_in")
        )
        refresh = create_refresh_token(
            identity, expires_delta=seconds(body, "refresh_expires_in")
        )
        return jsonify(access_token=access, refresh_token=refresh)

    @app.post("/login/window")
    def login_window():
        body = request.get_json()
        identity = body["identity"]
        access = create_access_token(
            identity,
            fresh=timedelta(seconds=body["fresh_for"]),
            expires_delta=seconds(body, "expires_in"),
        )
        return jsonify(access_token=access)

    @app.post("/refresh")
    @jwt_required(refresh=True)
    def refresh():
        access = create_access_token(get_jwt_identity(), fresh=False)
        return jsonify(access_token=access)

    def answer():
        return jsonify(
            identity=get_jwt_identity(), claims=get_jwt(), header=get_jwt_header()
        )

    app.add_url_rule(
        "/protected", "protected", jwt_required()(answer), methods=["GET", "POST"]
    )
    app.add_url_rule(
        "/fresh", "fresh", jwt_required(fresh=True)(answer), methods=["GET", "POST"]
    )
    app.add_url_rule(
        "/refresh-only",
        "refresh_only",
        jwt_required(refresh=True)(answer),
        methods=["GET", "POST"],
    )
    return app


def main():
    port = int(sys.argv[1])
    env = os.environ
    secret = env["FRESHTOKEN_TEST_SECRET"]
    apps = {
        "/hs": make_app("hs", JWT_SECRET_KEY=secret),
        "/other": make_app(
            "other", JWT_SECRET_KEY=env.get("FRESHTOKEN_TEST_OTHER_SECRET", secret[::-1])
        ),
        "/id": make_app("id", JWT_SECRET_KEY=secret, JWT_IDENTITY_CLAIM="identity"),
        "/iss": make_app(
            "iss",
            JWT_SECRET_KEY=secret,
            JWT_ENCODE_ISSUER="auth",
            JWT_DECODE_ISSUER="auth",
            JWT_ENCODE_AUDIENCE="api",
            JWT_DECODE_AUDIENCE="api",
        ),
        "/cookie": make_app(
            "cookie", JWT_SECRET_KEY=secret, JWT_TOKEN_LOCATION=["cookies"]
        ),
    }
    for prefix, alg, var in (("/rs", "RS256", "RSA"), ("/es", "ES256", "EC")):
        private = env.get(f"FRESHTOKEN_TEST_{var}_PRIVATE")
        if private:
            apps[prefix] = make_app(
                prefix[1:],
                JWT_ALGORITHM=alg,
                JWT_PRIVATE_KEY=private,
                JWT_PUBLIC_KEY=env[f"FRESHTOKEN_TEST_{var}_PUBLIC"],
            )

    root = Flask("root")

    @root.get("/health")
    def health():
        return "ok"

    root.wsgi_app = DispatcherMiddleware(root.wsgi_app, apps)
    server = make_server(
        "127.0.0.1", port, root, threaded=True, request_handler=QuietHandler
    )
    print(f"port {server.server_port}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
