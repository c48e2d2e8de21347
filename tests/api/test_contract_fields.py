"""Every field and parameter in the OpenAPI document says what it means and shows an example, and every
example is valid for its own field's schema (so a generated client or a reader copying it gets a value the
API takes). The vocabulary holds no entry that no field uses (a stale one would drift from the API)."""

from __future__ import annotations

import jsonschema_rs
import pytest

from tongdai.api import vocabulary
from tongdai.api.app import create_app
from tongdai.app.context import Context
from tongdai.store.db import make_engine

DIALECT = "https://json-schema.org/draft/2020-12/schema"


@pytest.fixture(scope="module")
def document(tmp_path_factory):
    engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('contract') / 'tongdai.db'}")
    return create_app(Context(engine)).openapi()


def fields(document):
    for name, body in document["components"]["schemas"].items():
        for field, prop in body.get("properties", {}).items():
            yield f"{name}.{field}", prop


def parameters(document):
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            for parameter in operation.get("parameters", ()):
                yield f"{method.upper()} {path} {parameter['in']}:{parameter['name']}", parameter


def valid(schema: dict, value, components: dict) -> list[str]:
    validator = jsonschema_rs.validator_for({"$schema": DIALECT, **schema, "components": components})
    return [error.message for error in validator.iter_errors(value)]


def test_every_field_has_a_description_and_an_example_valid_for_it(document):
    components = document["components"]
    missing, wrong = [], []
    for where, prop in fields(document):
        if not prop.get("description"):
            missing.append(f"{where}: description")
        examples = prop.get("examples") or ([prop["example"]] if "example" in prop else [])
        if not examples:
            missing.append(f"{where}: example")
        for example in examples:
            schema = {k: v for k, v in prop.items() if k not in ("examples", "example", "default")}
            wrong += [f"{where}: {example!r}: {message}" for message in valid(schema, example, components)]
    assert not missing, missing
    assert not wrong, wrong
    assert len(list(fields(document))) > 400  # the walk saw the whole document


def test_every_parameter_has_a_description_and_an_example_valid_for_it(document):
    components = document["components"]
    missing, wrong = [], []
    for where, parameter in parameters(document):
        if not parameter.get("description"):
            missing.append(f"{where}: description")
        if "example" not in parameter:
            missing.append(f"{where}: example")
            continue
        wrong += [f"{where}: {message}" for message in valid(parameter["schema"], parameter["example"], components)]
    assert not missing, missing
    assert not wrong, wrong
    assert len(list(parameters(document))) > 100


def test_an_example_that_breaks_its_field_is_caught(document):
    """The check above can fail: a wrong example for a pattern, an enum and a type is reported."""
    components = document["components"]
    hotline_in = components["schemas"]["HotlineIn"]["properties"]
    assert valid(hotline_in["country"], "Vietnam", components)
    assert valid(hotline_in["line_type"], "satellite", components)
    assert valid(hotline_in["wrap_up_seconds"], "thirty", components)
    assert not valid(hotline_in["country"], "VN", components)


def test_the_vocabulary_has_no_entry_that_no_field_or_parameter_uses(document):
    names = {where.split(".", 1)[1] for where, _ in fields(document)}
    schema_fields = {where for where, _ in fields(document)}
    used_parameters = set()
    for where, _ in parameters(document):
        method_path, kind_name = where.rsplit(" ", 1)
        kind, name = kind_name.split(":", 1)
        path = method_path.split(" ", 1)[1]
        used_parameters |= {name, f"path:{name}", f"{path}:{name}"}
    collections = {path.removeprefix("/api/v1/").split("/", 1)[0]
                   for path in document["paths"] if "{object_id}" in path}
    assert set(vocabulary.FIELDS) - names == set()
    assert set(vocabulary.BY_SCHEMA) - schema_fields == set()
    assert set(vocabulary.PARAMETERS) - used_parameters == set()
    assert set(vocabulary.OBJECTS) - collections == set()
