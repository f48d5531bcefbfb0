"""The real Flask-JWT-Extended as a judge, for freshtoken's differential test
of its Flask profile (flask_diff_test.go).

Usage: python3 judge.py

One request per line on stdin, one JSON answer per line on stdout, in order.
Every request names a configuration and an instant, in microseconds since the
epoch; the clocks of PyJWT and Flask-JWT-Extended read that instant while the
request runs.

  {"op": "check", "config": C, "instant_us": N, "token": "...",
   "check": "access" | "fresh" | "refresh" | "refresh_view"}
      presents the token as "Authorization: Bearer ..." to a view guarded by
      jwt_required() ("access"), jwt_required(fresh=True) ("fresh"),
      jwt_required(refresh=True) ("refresh"), or to the refresh view, a
      jwt_required(refresh=True) view that answers
      create_access_token(identity=get_jwt_identity(), fresh=False).
      Answer: {"status": 200, "msg": "...", "token": "..."}; "msg" is
      Flask-JWT-Extended's error message, "token" the refresh view's token.
      Exceptions Flask-JWT-Extended does not handle answer 500, with
      "msg": "TypeName: text".

  {"op": "issue", "config": C, "instant_us": N, "type": "access" | "refresh",
   "identity": any, "fresh": true | false | {"seconds": s},
   "expires_delta": null | s | false, "additional_claims": {...} | null,
   "additional_headers": {...} | null}
      create_access_token or create_refresh_token with those arguments
      (fresh and expires_delta in seconds become timedeltas). Answer:
      {"token": "..."}.

C is {"secret", "identity_claim", "leeway", "leeway_timedelta", "issuer",
"audience", "access_expires", "refresh_expires"} (times in seconds, may be
fractional; "audience" a string or a list, set as given as both
JWT_ENCODE_AUDIENCE and JWT_DECODE_AUDIENCE); apps are built once per
distinct C. In any JSON value, an
object {"$float": "nan"} stands for float("nan") (also "inf", "-inf",
"1e400"), which JSON cannot carry.

A request the script cannot serve answers {"error": "..."}.
"""

import json
import sys
from datetime import datetime, timedelta, timezone

import flask_jwt_extended.config
import flask_jwt_extended.tokens
import flask_jwt_extended.view_decorators
import jwt.api_jwt
from flask import Flask, jsonify
from flask_jwt_extended import (
    JWTManager,
    create_access_token,
    create_refresh_token,
    get_jwt_identity,
    jwt_required,
)

_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_frozen_us = 0


class FrozenDatetime(datetime):
    """datetime whose now() is the request's instant. Arithmetic on an
    instance keeps the class, so PyJWT's isinstance(value, datetime) checks,
    made against this class once patched in, still see the times it returns."""

    @classmethod
    def now(cls, tz=None):
        t = cls(1970, 1, 1, tzinfo=timezone.utc) + timedelta(microseconds=_frozen_us)
        if tz is None:
            return t.replace(tzinfo=None)
        return t.astimezone(tz)

    @classmethod
    def utcnow(cls):
        return cls.now(None)


# Every module of PyJWT and Flask-JWT-Extended that reads the clock imports
# the datetime class by name: api_jwt (decoding), tokens (encoding),
# view_decorators (freshness) and config (expires checks).
_PATCHED = (
    jwt.api_jwt,
    flask_jwt_extended.tokens,
    flask_jwt_extended.view_decorators,
    flask_jwt_extended.config,
)
for _module in _PATCHED:
    if getattr(_module, "datetime", None) is not datetime:
        raise SystemExit(f"{_module.__name__}.datetime is not datetime.datetime")
    _module.datetime = FrozenDatetime


def special(value):
    """Turns {"$float": "nan"} markers into floats, recursively."""
    if isinstance(value, dict):
        if set(value) == {"$float"}:
            return float(value["$float"])
        return {k: special(v) for k, v in value.items()}
    if isinstance(value, list):
        return [special(v) for v in value]
    return value


def seconds(value):
    return timedelta(seconds=value)


def make_app(cfg):
    app = Flask("flaskdiff")
    leeway = cfg.get("leeway") or 0
    if cfg.get("leeway_timedelta"):
        leeway = seconds(leeway)
    app.config.update(
        JWT_SECRET_KEY=cfg["secret"],
        JWT_IDENTITY_CLAIM=cfg.get("identity_claim") or "sub",
        JWT_DECODE_LEEWAY=leeway,
        JWT_TOKEN_LOCATION=["headers"],
        JWT_ACCESS_TOKEN_EXPIRES=seconds(cfg["access_expires"]),
        JWT_REFRESH_TOKEN_EXPIRES=seconds(cfg["refresh_expires"]),
    )
    if cfg.get("issuer"):
        app.config.update(
            JWT_ENCODE_ISSUER=cfg["issuer"], JWT_DECODE_ISSUER=cfg["issuer"]
        )
    if cfg.get("audience"):
        app.config.update(
            JWT_ENCODE_AUDIENCE=cfg["audience"], JWT_DECODE_AUDIENCE=cfg["audience"]
        )
    JWTManager(app)

    @app.errorhandler(Exception)
    def crashed(e):
        # What Flask-JWT-Extended leaves unhandled would be a 500 page.
        return jsonify(msg=f"{type(e).__name__}: {e}"), 500

    def ok():
        return jsonify(msg="ok")

    def refresh_view():
        return jsonify(
            msg="ok", token=create_access_token(identity=get_jwt_identity(), fresh=False)
        )

    app.add_url_rule("/access", "access", jwt_required()(ok), methods=["POST"])
    app.add_url_rule("/fresh", "fresh", jwt_required(fresh=True)(ok), methods=["POST"])
    app.add_url_rule(
        "/refresh", "refresh", jwt_required(refresh=True)(ok), methods=["POST"]
    )
    app.add_url_rule(
        "/refresh_view",
        "refresh_view",
        jwt_required(refresh=True)(refresh_view),
        methods=["POST"],
    )
    return app


_apps = {}


def app_for(cfg):
    key = json.dumps(cfg, sort_keys=True)
    if key not in _apps:
        app = make_app(cfg)
        _apps[key] = (app, app.test_client())
    return _apps[key]


def check(req):
    app, client = app_for(req["config"])
    if req["check"] not in ("access", "fresh", "refresh", "refresh_view"):
        return {"error": f"unknown check {req['check']!r}"}
    resp = client.post(
        "/" + req["check"], headers={"Authorization": "Bearer " + req["token"]}
    )
    body = resp.get_json(silent=True) or {}
    out = {"status": resp.status_code, "msg": body.get("msg", resp.get_data(as_text=True))}
    if "token" in body:
        out["token"] = body["token"]
    return out


def issue(req):
    app, _ = app_for(req["config"])
    fresh = req.get("fresh", False)
    if isinstance(fresh, dict):
        fresh = seconds(fresh["seconds"])
    delta = req.get("expires_delta")
    if delta is not None and delta is not False:
        delta = seconds(delta)
    make = {"access": create_access_token, "refresh": create_refresh_token}[req["type"]]
    kwargs = dict(
        identity=special(req["identity"]),
        expires_delta=delta,
        additional_claims=special(req.get("additional_claims")),
        additional_headers=special(req.get("additional_headers")),
    )
    if req["type"] == "access":
        kwargs["fresh"] = fresh
    with app.app_context():
        return {"token": make(**kwargs)}


def main():
    global _frozen_us
    for line in sys.stdin:
        if not line.strip():
            continue
        try:
            req = json.loads(line)
            _frozen_us = int(req["instant_us"])
            op = {"check": check, "issue": issue}.get(req.get("op"))
            out = op(req) if op else {"error": f"unknown op {req.get('op')!r}"}
        except Exception as e:  # the judge must answer every line
            out = {"error": f"{type(e).__name__}: {e}"}
        sys.stdout.write(json.dumps(out) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
