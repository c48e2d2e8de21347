"""Shared fixtures: a real database (SQLite, and PostgreSQL when TONGDAI_TEST_POSTGRES_URL is set, as
scripts/test.sh always does), the API over it, and a small world of operator data."""

from __future__ import annotations

import os
import shutil
import uuid
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text

from tongdai.api.app import create_app
from tongdai.app.context import Context
from tongdai.app.services.operator import create_api_key
from tongdai.media.prompts import audio_for_upload
from tongdai.store import tables
from tongdai.store.db import make_engine, upgrade
from tongdai.store.files import LocalFiles
from tongdai.store.uow import UnitOfWork

PG_URL = os.environ.get("TONGDAI_TEST_POSTGRES_URL")
BACKENDS = ["sqlite", "postgresql"]


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory):
    path = tmp_path_factory.mktemp("template") / "template.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()
    return path


@pytest.fixture(scope="session")
def pg_database():
    if not PG_URL:
        pytest.fail("TONGDAI_TEST_POSTGRES_URL is not set: run the tests through scripts/test.sh")
    name = f"tongdai_test_{uuid.uuid4().hex[:8]}"
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = PG_URL.rsplit("/", 1)[0] + "/" + name
    engine = make_engine(url)
    upgrade(engine)
    yield engine
    engine.dispose()
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(params=BACKENDS)
def engine(request, tmp_path, sqlite_template):
    if request.param == "sqlite":
        path = tmp_path / "tongdai.db"
        shutil.copy(sqlite_template, path)
        eng = make_engine(f"sqlite:///{path}")
        yield eng
        eng.dispose()
    else:
        eng = request.getfixturevalue("pg_database")
        yield eng
        names = ", ".join(f'"{t.name}"' for t in tables.metadata.sorted_tables)
        with eng.begin() as conn:
            conn.execute(text(f"TRUNCATE {names} CASCADE"))


NOW = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)


class World:
    """An API client with an operator key, and helpers to build tenants and inventory quickly."""

    def __init__(self, engine, files_dir=None):
        self.engine = engine
        self.files = LocalFiles(files_dir) if files_dir is not None else None  # recordings' files
        self.client = TestClient(create_app(Context(engine, recording_files=self.files,
                                                    audio_upload=audio_for_upload)),
                                 raise_server_exceptions=False)
        with UnitOfWork(engine) as uow:
            self.operator = {"Authorization": f"Bearer {create_api_key(uow, role='operator', now=NOW)}"}
        self._trunk = None

    def trunk(self) -> str:
        if self._trunk is None:
            r = self.client.post("/api/v1/trunks", headers=self.operator, json={
                "name": "Carrier", "host": "127.0.0.1", "port": 5070, "source_addresses": ["127.0.0.1"]})
            assert r.status_code == 201, r.text
            self._trunk = r.json()["id"]
        return self._trunk

    def stock(self, number: str, line_type: str = "mobile", carrier: str | None = None,
              tenant_id: str | None = None) -> dict:
        body = {"number": number, "country": "VN", "line_type": line_type, "trunk_id": self.trunk()}
        if carrier:
            body["carrier"] = carrier
        if tenant_id:
            body["tenant_id"] = tenant_id
        r = self.client.post("/api/v1/inventory", headers=self.operator, json=body)
        assert r.status_code == 201, r.text
        return r.json()

    def tenant(self, name: str = "Shop") -> TenantClient:
        r = self.client.post("/api/v1/tenants", headers=self.operator, json={"name": name})
        assert r.status_code == 201, r.text
        return TenantClient(self, r.json()["id"], {"Authorization": f"Bearer {r.json()['admin_key']}"})


class TenantClient:
    def __init__(self, world: World, tenant_id: str, headers: dict):
        self.world, self.id, self.headers = world, tenant_id, headers
        self._next_extension = 100

    def post(self, path: str, body: dict, expect: int | None = 201):
        r = self.world.client.post("/api/v1" + path, headers=self.headers, json=body)
        if expect is not None:
            assert r.status_code == expect, r.text
        return r

    def get(self, path: str, **params):
        return self.world.client.get("/api/v1" + path, headers=self.headers, params=params)

    def patch(self, path: str, body: dict):
        return self.world.client.patch("/api/v1" + path, headers=self.headers, json=body)

    def delete(self, path: str):
        return self.world.client.delete("/api/v1" + path, headers=self.headers)

    def group(self, name: str = "Sales") -> str:
        return self.post("/groups", {"name": name}).json()["id"]

    def queue(self, name: str = "Support", groups: list[str] = ()) -> str:
        return self.post("/queues", {"name": name, "groups": [{"group_id": g} for g in groups]}).json()["id"]

    def hotline(self, **fields) -> dict:
        body = {"number_type": "carrier", "line_type": "mobile", "name": "Line", **fields}
        return self.post("/hotlines", body).json()

    def agent(self, username: str = "an", groups: list[str] = (), **fields) -> dict:
        self._next_extension += 1
        body = {"name": username.title(), "sip_username": username, "sip_password": "s3cret-pass",
                "extension": str(self._next_extension), "groups": list(groups), **fields}
        return self.post("/agents", body).json()


@pytest.fixture
def world(engine, tmp_path) -> World:
    return World(engine, tmp_path / "recordings")
