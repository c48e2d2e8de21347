"""A client generated from tongdai's OpenAPI document (openapi-python-client) parses the errors tongdai
sends: a 422 comes back as the document's `Problem`, its `errors[]` naming the field and the code."""

from __future__ import annotations

import importlib
import json
import shutil
import subprocess
import sys
from pathlib import Path

GENERATOR = Path(sys.executable).parent / "openapi-python-client"


def generated(world, tmp_path: Path):
    document = tmp_path / "openapi.json"
    document.write_text(json.dumps(world.client.app.openapi()))
    out = subprocess.run([str(GENERATOR), "generate", "--path", str(document), "--meta", "none", "--output-path",
                          str(tmp_path / "tongdai_client")], capture_output=True, text=True, timeout=300,
                         cwd=tmp_path)
    assert (tmp_path / "tongdai_client" / "client.py").exists(), out.stdout + out.stderr
    sys.path.insert(0, str(tmp_path))
    try:
        return importlib.import_module("tongdai_client")
    finally:
        sys.path.remove(str(tmp_path))


def test_a_generated_client_parses_a_422_as_the_documented_problem(world, tmp_path):
    world.stock("0912000001")
    a = world.tenant("A")
    client_package = generated(world, tmp_path)
    try:
        create = importlib.import_module("tongdai_client.api.hotlines.create_hotline_api_v1_hotlines_post")
        models = importlib.import_module("tongdai_client.models")
        client = client_package.AuthenticatedClient(base_url="http://testserver", token="unused")
        world.client.headers.update(a.headers)  # the app under test, through FastAPI's test client
        client.set_httpx_client(world.client)
        body = models.HotlineIn.from_dict({"number_type": "carrier", "line_type": "mobile", "name": "Hỗ trợ",
                                           "queue_id": "qu_doesnotexist00"})
        answer = create.sync_detailed(client=client, body=body)
        assert answer.status_code == 422
        problem = answer.parsed
        assert isinstance(problem, models.Problem) and problem.status == 422, problem
        assert ("queue_id", "unknown_queue") in {(e.field, e.code) for e in problem.errors}
    finally:
        for name in [n for n in sys.modules if n == "tongdai_client" or n.startswith("tongdai_client.")]:
            del sys.modules[name]
        shutil.rmtree(tmp_path / "tongdai_client", ignore_errors=True)
