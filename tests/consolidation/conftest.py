"""The A2I output tests reuse the worker tests' reviewers, flows and S3 helpers."""
from tests.workers.conftest import flow, reviewers  # noqa: F401  (fixtures)
