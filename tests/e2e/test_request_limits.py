"""The documented worst-case GET reaches the app whole, on gunicorn alone and through nginx."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests

from load_tests.proxy import proxied
from tests.e2e.server import API_CONFIG, running_service

pytestmark = pytest.mark.e2e
# The README's limits: up to 100 ids per badge call, each id up to 64 characters. The
# request line is ~6.6 KB, over gunicorn's default limit of 4,094 characters.
HUNDRED_IDS = [f"{i:064d}" for i in range(100)]
BADGES = "/v1/badges?marketplace=US&surface=pdp&offer_ids=" + ",".join(HUNDRED_IDS)


@pytest.fixture(scope="module")
def bases(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """gunicorn with the default 100 ids per badge call, and nginx in front of it."""
    config = API_CONFIG.read_text().replace("badges = 5,", "badges = 100,")
    assert "badges = 100," in config
    directory = tmp_path_factory.mktemp("request-limits")
    with (
        running_service(directory, workers=1, config=config) as service,
        proxied(service.base.removeprefix("http://")) as proxy,
    ):
        yield {"gunicorn": service.base, "nginx": proxy.base_url}


@pytest.mark.parametrize("through", ["gunicorn", "nginx"])
def test_a_hundred_ids_of_64_characters_in_a_get_are_answered(
    bases: dict[str, str], through: str
) -> None:
    response = requests.get(bases[through] + BADGES, timeout=5)

    assert response.status_code == 200, response.text[:200]
    assert response.headers["Content-Type"] == "application/json"
    assert response.json()["missing"] == HUNDRED_IDS
