"""A schema-driven fuzz of the JSON API: schemathesis generates requests from /openapi.json (valid ones and
broken ones) and checks that no answer is a 500 and that every answer matches the schema (status codes,
content types, bodies). Bounded: FUZZ_API_EXAMPLES per operation (default 15), derandomized.

(schemathesis's pytest plugin does not run under pytest 9, so each operation's strategy is driven by
hypothesis here.)"""

from __future__ import annotations

import os

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode, checks

from tests.server_fixtures import make_served_folder
from vidseek.library import Library
from vidseek.server import ServerConfig, create_app

EXAMPLES = int(os.environ.get("FUZZ_API_EXAMPLES", 15))
LOOPBACK = {"Host": "127.0.0.1"}  # without a token the server answers only loopback names


@pytest.fixture(scope="module")
def api(tmp_path_factory, embedder):
    root = tmp_path_factory.mktemp("fuzzed")
    video = make_served_folder(root)
    library = Library(root / "library", embedder=embedder, device="cpu")
    library.index(video, sources=["subtitle"])
    app = create_app(ServerConfig(roots=[root / "videos"], llm=False), library)
    yield app
    app.state.jobs.close()


def test_the_api_answers_any_request_without_a_500_and_as_its_schema_says(api) -> None:
    schema = schemathesis.openapi.from_asgi("/openapi.json", api, headers=LOOPBACK)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) == 14
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):  # requests the schema allows, and not
            @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck),
                      derandomize=True, database=None)
            @given(case=operation.as_strategy(generation_mode=mode))
            def answers(case) -> None:
                # excluded: "schema-valid data is accepted", which a well-formed request for a folder, an unknown
                # video or a blank option cannot meet; every other check runs (no 5xx, documented status,
                # content type, headers and body, invalid data refused)
                case.call_and_validate(headers=LOOPBACK, excluded_checks=[checks.positive_data_acceptance])

            try:
                answers()
            except Unsatisfiable:  # an operation with no input has no invalid request to send
                assert mode == GenerationMode.NEGATIVE and not operation.path_parameters and not operation.body
                assert not operation.query
