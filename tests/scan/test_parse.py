"""The one parse of each answer (cloud/transport.py: parse): orjson where it can, and json's reading where not."""

from __future__ import annotations

import json
import math

import pytest

from tke_orphans.cloud.transport import parse


def test_a_body_reads_as_json_reads_it() -> None:
    body = '{"Response": {"InstanceSet": [{"InstanceName": "名前 \\u00e9", "CPU": 4}], "TotalCount": 1}}'.encode()
    assert parse(body) == json.loads(body)


@pytest.mark.parametrize("body", [b'{"Memory": NaN}', b'{"Memory": 1e400}'])
def test_what_orjson_refuses_json_still_reads(body: bytes) -> None:
    # A cloud that writes NaN or an overflowing number must not fail a whole listing (prices are checked apart).
    value = next(iter(parse(body).values()))
    expected = next(iter(json.loads(body).values()))
    assert value == expected or (math.isnan(value) and math.isnan(expected))


def test_a_lone_surrogate_reads_as_its_escape() -> None:
    # Valid JSON that no text can hold: read, as the visible escape, in values and keys, at any depth.
    body = b'{"Response": {"InstanceSet": [{"InstanceName": "a\\ud800b", "Tags": [{"Key": "\\udfff"}]}]}}'
    assert parse(body) == {"Response": {"InstanceSet": [{"InstanceName": "a\\ud800b", "Tags": [{"Key": "\\udfff"}]}]}}
    assert parse('{"\\ud800": "\ufffe"}'.encode("utf-8", "surrogatepass")) == {"\\ud800": "\\ufffe"}


@pytest.mark.parametrize("body", [b'{"Response": {"Instan', b"<html>502</html>", b""])
def test_an_unreadable_body_fails_as_json_fails(body: bytes) -> None:
    # The session turns json.JSONDecodeError into InvalidResponse (retried): the same exception as before.
    with pytest.raises(json.JSONDecodeError) as got:
        parse(body)
    with pytest.raises(json.JSONDecodeError) as before:
        json.loads(body)
    assert (type(got.value), str(got.value)) == (type(before.value), str(before.value))
