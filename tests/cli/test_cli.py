"""The `tongdai` command as a user runs it, in a subprocess with its own data directory."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

BIN = Path(sys.executable).parent / "tongdai"


@pytest.fixture
def env(tmp_path):
    e = {k: v for k, v in os.environ.items() if not k.startswith("TONGDAI_")}
    e["TONGDAI_DATA_DIR"] = str(tmp_path)
    return e


def run(env, *args, stdin=None):
    return subprocess.run([str(BIN), *args], env=env, input=stdin, capture_output=True, text=True, timeout=120)


def test_db_upgrade_operator_key_and_tenant_create(env, tmp_path):
    assert run(env, "db", "upgrade").returncode == 0
    assert (tmp_path / "tongdai.db").exists()
    key = run(env, "operator", "create-key").stdout
    assert key.count("\n") == 1 and key.startswith("tdk_")
    out = run(env, "tenant", "create", "Cửa hàng An")
    created = json.loads(out.stdout)
    assert created["tenant_id"].startswith("tn_") and created["admin_key"].startswith("tdk_")
    bad = run(env, "tenant", "create", " ")
    assert bad.returncode == 2 and "name" in bad.stderr


def test_demo_is_idempotent(env):
    first = run(env, "demo")
    assert first.returncode == 0, first.stderr
    again = run(env, "demo")
    assert again.returncode == 0, again.stderr
    assert json.loads(first.stdout) == json.loads(again.stdout)


def test_demo_data_is_served_by_the_api(env, tmp_path):
    from fastapi.testclient import TestClient

    from tongdai.api.app import create_app
    from tongdai.app.context import Context
    from tongdai.store.db import make_engine
    keys = json.loads(run(env, "demo").stdout)
    client = TestClient(create_app(Context(make_engine(f"sqlite:///{tmp_path / 'tongdai.db'}"))))
    admin = {"Authorization": f"Bearer {keys['admin_key']}"}
    lines = client.get("/api/v1/hotlines", headers=admin).json()["items"]
    carriers = {h["carrier"] for h in lines}
    assert {"viettel", "vinaphone", "mobifone"} <= carriers
    assert {"toll_free"} <= {h["line_type"] for h in lines}
    assert "virtual" in {h["number_type"] for h in lines}
    for path in ("/adaptive-numbers", "/queues", "/ivr-trees", "/agents"):
        assert client.get("/api/v1" + path, headers=admin).json()["total"] >= 1, path
    assert client.get("/api/v1/groups", headers=admin).json()["total"] == 2


def test_numbers_classify_streams_in_input_order(env):
    stdin = "0912 345 678\nnot a number\n+44 20 7946 0958\n1800 1234\n\n0987654321\n"
    out = run(env, "numbers", "classify", stdin=stdin)
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines() == [
        "0912 345 678\t+84912345678\tmobile\tvinaphone",
        "not a number\t\tinvalid\tnone",
        "+44 20 7946 0958\t+442079460958\tforeign\tnone",
        "1800 1234\t+8418001234\ttoll_free\tnone",
        "\t\tinvalid\tnone",
        "0987654321\t+84987654321\tmobile\tviettel",
    ]


def test_numbers_classify_takes_arguments(env):
    out = run(env, "numbers", "classify", "0871234567", "0551234567")
    assert out.stdout.splitlines() == ["0871234567\t+84871234567\tmobile\titelecom",
                                       "0551234567\t+84551234567\tmobile\treddi"]


def test_numbers_classify_uses_the_operators_ported_table(env, tmp_path):
    from fastapi.testclient import TestClient

    from tongdai.api.app import create_app
    from tongdai.app.context import Context
    from tongdai.store.db import make_engine
    keys = json.loads(run(env, "demo").stdout)
    client = TestClient(create_app(Context(make_engine(f"sqlite:///{tmp_path / 'tongdai.db'}"))))
    r = client.put("/api/v1/ported-numbers", content="0987654321,mobifone\n",
                   headers={"Authorization": f"Bearer {keys['operator_key']}", "content-type": "text/csv"})
    assert r.status_code == 200
    assert run(env, "numbers", "classify", "0987654321").stdout == "0987654321\t+84987654321\tmobile\tmobifone\n"
    assert run(env, "numbers", "classify", "--no-ported", "0987654321").stdout.endswith("\tviettel\n")


def test_numbers_classify_handles_a_large_stream_in_constant_memory(env):
    """200,000 lines through a pipe: the first answers arrive while input is still being written."""
    import threading
    proc = subprocess.Popen([str(BIN), "numbers", "classify", "--no-ported"], env=env, stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True)
    more = threading.Event()

    def feed():
        proc.stdin.write("0912345678\n" * 100_000)
        proc.stdin.flush()
        more.wait(60)
        proc.stdin.write("0987654321\n" * 100_000)
        proc.stdin.close()

    writer = threading.Thread(target=feed)
    writer.start()
    first = proc.stdout.readline()  # arrives before the second half of the input is even written
    assert not more.is_set()
    assert first == "0912345678\t+84912345678\tmobile\tvinaphone\n"
    more.set()
    rest = proc.stdout.read().splitlines()
    writer.join()
    assert proc.wait(timeout=60) == 0
    assert len(rest) == 199_999 and rest[-1].endswith("viettel")


def test_keys_are_listed_and_revoked_from_the_command_line(env):
    keys = json.loads(run(env, "demo").stdout)
    listed = [json.loads(line) for line in run(env, "keys", "list", "--tenant", keys["tenant_id"]).stdout.splitlines()]
    assert {k["role"] for k in listed} >= {"admin", "agent"} and all("secret_hash" not in k for k in listed)
    agent_key = next(k["id"] for k in listed if k["role"] == "agent")
    assert run(env, "keys", "revoke", agent_key).returncode == 0
    assert agent_key not in run(env, "keys", "list", "--tenant", keys["tenant_id"]).stdout
    gone = run(env, "keys", "revoke", agent_key)
    assert gone.returncode == 2 and "not found" in gone.stderr.lower()
