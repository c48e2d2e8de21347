"""The `tongdai` command: serve, db upgrade, operator/tenant keys, demo data, number classification."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .domain.timestamps import plain
from .settings import Settings, SettingsError, load

_settings: Settings | None = None


def settings() -> Settings:
    global _settings
    if _settings is None:
        _settings = load()
    return _settings


def _engine() -> Any:
    from .store.db import make_engine
    return make_engine(settings().database)


def cmd_serve(_args: Any) -> int:
    """HTTP, SIP and rtpengine in one process; Ctrl-C stops all three (TONGDAI_SIP=off: HTTP only)."""
    import uvicorn

    from .checks import ports_in_use
    from .serve import RESTART_EXIT_CODE, build, restart_requested

    s = settings()
    busy = ports_in_use(s)
    if busy:
        for line in busy:
            print(f"tongdai: {line}", file=sys.stderr)
        return 2
    host, port = s.http
    app = build(s)
    logging.getLogger("tongdai").info("HTTP on http://%s:%d/api/v1", host, port)
    config = uvicorn.Config(app, host=host, port=port, log_level=s.log_level, timeout_graceful_shutdown=3,
                            log_config=None)  # uvicorn's lines go through tongdai's handler: the same format
    _server(config, on_exit=app.state.end_streams).run()
    return RESTART_EXIT_CODE if restart_requested.is_set() else 0


def _server(config: Any, on_exit: Any) -> Any:
    """uvicorn's server, which also ends the open event streams (wallboards, call widgets) as soon as
    it is told to stop: they would otherwise hold the shutdown up until they are cancelled with a
    traceback. Any request still running has the usual 3 s.

    uvicorn raises the stopping signal again once it has stopped, so that the process dies of it;
    `tongdai serve` exits by itself instead, with 0, or 75 when it asked for its own restart (a
    process killed by SIGTERM would be restarted neither by scripts/run.sh nor by systemd)."""
    import asyncio

    import uvicorn

    class Server(uvicorn.Server):
        def handle_exit(self, sig: int, frame: Any) -> None:
            super().handle_exit(sig, frame)
            self._captured_signals.clear()  # not raised again after the shutdown
            try:
                asyncio.get_running_loop().call_soon_threadsafe(on_exit)
            except RuntimeError:  # the signal came before the loop ran or after it ended
                return

    return Server(config)


def cmd_check(_args: Any) -> int:
    """Is this machine ready to serve with these settings? Each failed check says what to fix."""
    from .checks import run
    failed = 0
    for check in run(settings()):
        print(f"{'ok  ' if check.ok else 'FAIL'}  {check.name}: {check.detail}")
        failed += not check.ok
    print("ready to serve" if not failed else f"{failed} check(s) failed")
    return 0 if not failed else 1


def cmd_db_upgrade(_args) -> int:
    from .store.db import current_revision, upgrade
    engine = _engine()
    upgrade(engine)
    print(f"database at revision {current_revision(engine)}")
    return 0


def cmd_keys_list(args: Any) -> int:
    """One JSON line per key: the operator's, or a tenant's with --tenant (never the secrets)."""
    from .app.services.operator import list_api_keys
    from .store.db import upgrade
    from .store.uow import UnitOfWork
    engine = _engine()
    upgrade(engine)
    with UnitOfWork(engine) as uow:
        for row in list_api_keys(uow, tenant_id=args.tenant):
            print(json.dumps(row, default=plain))
    return 0


def cmd_keys_revoke(args: Any) -> int:
    """Revoke a key; a running server stops accepting it within its configuration poll."""
    from .app.security import VerifiedKeyCache
    from .app.services.operator import revoke_api_key
    from .domain.errors import NotFound
    from .store.db import upgrade
    from .store.uow import UnitOfWork
    engine = _engine()
    upgrade(engine)
    try:
        with UnitOfWork(engine) as uow:
            revoke_api_key(uow, key_id=args.key_id, tenant_id=None, cache=VerifiedKeyCache())
    except NotFound as exc:
        print(f"tongdai: {exc}", file=sys.stderr)
        return 2
    print(f"revoked {args.key_id}")
    return 0


def cmd_operator_key(_args) -> int:
    from .app.services.operator import create_api_key
    from .store.db import upgrade
    from .store.uow import UnitOfWork
    engine = _engine()
    upgrade(engine)
    with UnitOfWork(engine) as uow:
        key = create_api_key(uow, role="operator", now=datetime.now(UTC))
    print(key)
    return 0


def cmd_tenant_create(args) -> int:
    from .app.services.operator import create_tenant
    from .domain.errors import RuleViolation
    from .store.db import upgrade
    from .store.uow import UnitOfWork
    engine = _engine()
    upgrade(engine)
    from .app.services.users import first_admin
    try:
        with UnitOfWork(engine) as uow:
            tenant, key = create_tenant(uow, name=args.name, sip_domain=args.sip_domain,
                                        now=datetime.now(UTC))
            email = args.admin_email or f"admin@{tenant.sip_domain}"
            _user, password = first_admin(uow, tenant_id=tenant.id, email=email, now=datetime.now(UTC))
    except RuleViolation as exc:
        print(f"tongdai: {exc}", file=sys.stderr)
        return 2
    print(json.dumps({"tenant_id": tenant.id, "admin_key": key,
                      "portal": {"url": portal_url(), "email": email, "password": password}}))
    return 0


def portal_url() -> str:
    return f"http://{settings().http_addr}/"


def cmd_operator_user(args) -> int:
    """A portal sign-in for the operator (trunks, inventory, tenants); its password is printed once."""
    import secrets

    from .app.services.users import create_user
    from .domain.errors import RuleViolation
    from .store.db import upgrade
    from .store.uow import UnitOfWork
    engine = _engine()
    upgrade(engine)
    password = "td-" + secrets.token_urlsafe(12)
    try:
        with UnitOfWork(engine) as uow:
            create_user(uow, tenant_id=None, now=datetime.now(UTC), data={
                "email": args.email, "name": args.name, "role": "operator", "password": password})
    except RuleViolation as exc:
        print(f"tongdai: {exc}", file=sys.stderr)
        return 2
    print(json.dumps({"portal": {"url": portal_url(), "email": args.email.lower(), "password": password}}))
    return 0


def cmd_demo(args) -> int:
    if args.action == "call-in":
        return demo_call_in(args.number, args.seconds)
    from .demo import load_demo
    from .store.db import upgrade
    engine = _engine()
    upgrade(engine)
    print(json.dumps(load_demo(engine, settings().data_dir / "demo-keys.json", settings().demo_carrier_address),
                     indent=2, ensure_ascii=False))
    return 0


def demo_call_in(number: str, seconds: float) -> int:
    """Ask the demo carrier of the running `tongdai serve` (its control socket in the data directory) to
    call `number` as a customer would."""
    import socket as sockets
    path = settings().data_dir / "demo-carrier.sock"
    try:
        with sockets.socket(sockets.AF_UNIX, sockets.SOCK_STREAM) as s:
            s.settimeout(5)
            s.connect(str(path))
            s.sendall(f"call-in {number} {seconds}\n".encode())
            answer = s.recv(400).decode().strip()
    except OSError as exc:
        print(f"tongdai: no demo carrier at {path} ({exc.strerror or exc}): run `tongdai serve` with the demo "
              "loaded (TONGDAI_DEMO_CARRIER=auto)", file=sys.stderr)
        return 2
    print(answer)
    return 0 if answer.startswith("calling") else 2


def _ported_from_db() -> dict[str, str]:
    """The operator's ported-number table, when a migrated database is there; else empty."""
    url = settings().database
    if url.startswith("sqlite") and not Path(url.split("///", 1)[-1]).exists():
        return {}
    try:
        from .app.services.numbers import OPERATOR_SCOPE
        from .store.uow import UnitOfWork
        with UnitOfWork(_engine()) as uow:
            return uow.ported.table(OPERATOR_SCOPE)
    except Exception:  # no schema yet, or the server is down: classify by prefix alone
        return {}


def cmd_numbers_classify(args) -> int:
    """Stream `input, e164, type, carrier` (tab-separated), one output row per input, in order."""
    from .domain.numbers import classify
    ported = {} if args.no_ported else _ported_from_db()
    out = sys.stdout
    lines = args.numbers if args.numbers else (line.rstrip("\r\n") for line in sys.stdin)
    for raw in lines:
        info = classify(raw, ported)
        shown = raw.replace("\t", " ")
        out.write(f"{shown}\t{info.e164 or ''}\t{info.type}\t{info.carrier or 'none'}\n")
    out.flush()
    return 0


def build_parser() -> argparse.ArgumentParser:
    from . import __version__
    p = argparse.ArgumentParser(prog="tongdai", description=__doc__)
    p.add_argument("--version", action="version", version=f"tongdai {__version__}")
    sub = p.add_subparsers(dest="command", required=True)
    sub.add_parser("check", help="check the settings, ports, rtpengine, espeak-ng and the database; say what to "
                                 "fix").set_defaults(fn=cmd_check)
    sub.add_parser("serve", help="run the HTTP API, SIP and rtpengine (see docs/operations.md)") \
        .set_defaults(fn=cmd_serve)
    db = sub.add_parser("db", help="database schema").add_subparsers(dest="db_command", required=True)
    db.add_parser("upgrade", help="apply migrations").set_defaults(fn=cmd_db_upgrade)
    op = sub.add_parser("operator", help="operator keys").add_subparsers(dest="op_command", required=True)
    op.add_parser("create-key", help="print a new operator API key").set_defaults(fn=cmd_operator_key)
    ou = op.add_parser("create-user", help="create the operator's portal sign-in and print its password")
    ou.add_argument("--email", required=True)
    ou.add_argument("--name", default="Operator")
    ou.set_defaults(fn=cmd_operator_user)
    ks = sub.add_parser("keys", help="API keys").add_subparsers(dest="keys_command", required=True)
    kl = ks.add_parser("list", help="list the operator's keys, or a tenant's (JSON lines, no secrets)")
    kl.add_argument("--tenant", default=None, help="a tenant id")
    kl.set_defaults(fn=cmd_keys_list)
    kr = ks.add_parser("revoke", help="revoke a key by its id")
    kr.add_argument("key_id")
    kr.set_defaults(fn=cmd_keys_revoke)
    tn = sub.add_parser("tenant", help="tenants").add_subparsers(dest="tenant_command", required=True)
    tc = tn.add_parser("create", help="create a tenant; print its id, first admin key and admin's portal sign-in")
    tc.add_argument("name")
    tc.add_argument("--sip-domain", default=None)
    tc.add_argument("--admin-email", default=None, help="the first admin's sign-in (default: admin@<sip domain>)")
    tc.set_defaults(fn=cmd_tenant_create)
    dm = sub.add_parser("demo", help="load the demo tenant (idempotent) and print its keys; `demo call-in`: the "
                                     "running demo carrier calls the demo hotline")
    dm.add_argument("action", nargs="?", choices=["call-in"])
    dm.add_argument("--number", default="0912000001", help="the hotline called (default: the demo's Vinaphone line)")
    dm.add_argument("--seconds", type=float, default=30.0, help="how long the carrier stays on the call")
    dm.set_defaults(fn=cmd_demo)
    nb = sub.add_parser("numbers", help="phone numbers").add_subparsers(dest="numbers_command", required=True)
    cl = nb.add_parser("classify", help="classify numbers from arguments or stdin (one a line)")
    cl.add_argument("numbers", nargs="*")
    cl.add_argument("--no-ported", action="store_true", help="ignore the operator's ported-number table")
    cl.set_defaults(fn=cmd_numbers_classify)
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings()
    except SettingsError as exc:
        print(f"tongdai: {exc}", file=sys.stderr)
        return 2
    from .logs import configure
    configure(settings().log_format)
    try:
        return args.fn(args)
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
