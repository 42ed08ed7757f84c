"""One table from error class to status, looked up along the class hierarchy."""

import pytest
from fastapi.testclient import TestClient

from earmark import AudioError, LabelError, MissingExtraError, ModelError, OptionError
from earmark.server.app import ServedModel, create_app
from earmark.server.errors import STATUS, ModelNotFound, PayloadTooLarge, Timeout, error_body, status_of


class DamagedHeader(AudioError):
    """A subclass nobody added to the table."""


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (AudioError("x"), 400),
        (DamagedHeader("x"), 400),
        (OptionError("x"), 422),
        (LabelError("x"), 422),
        (ModelError("x"), 400),
        (MissingExtraError("x"), 501),
        (ModelNotFound("x"), 404),
        (PayloadTooLarge("x"), 413),
        (Timeout("x"), 504),
        (TimeoutError("x"), 504),
    ],
)
def test_status_by_class(error, status):
    assert status_of(error).code == status


def test_a_plain_bug_is_not_a_client_error():
    assert status_of(KeyError("x")) is None and DamagedHeader not in STATUS


def test_a_new_subclass_reaches_clients_as_its_parents_status(loaded):
    model = loaded("ast")
    app = create_app([ServedModel("ast", "ast", model)])

    @app.get("/raise")
    def raise_it():
        raise DamagedHeader("the header lies about its length")

    with TestClient(app) as client:
        response = client.get("/raise")
    assert response.status_code == 400
    assert response.json() == error_body(DamagedHeader("the header lies about its length"))
    assert response.json()["type"] == "DamagedHeader"
