"""Fixtures for the fault tests: a throwaway PostgreSQL cluster, built by the migrations."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from tests.faults.cluster import ThrowawayCluster, unavailable_reason
from tests.support import migrate


@pytest.fixture(scope="session")
def cluster_available() -> None:
    """Skips when no cluster can be made here; with REQUIRE_POSTGRES=1 (CI) it fails instead."""
    reason = unavailable_reason()
    if reason is None:
        return
    if os.environ.get("REQUIRE_POSTGRES") == "1":
        pytest.fail(f"REQUIRE_POSTGRES=1 but no throwaway cluster can be made: {reason}", pytrace=False)
    pytest.skip(f"no throwaway PostgreSQL cluster: {reason}")


@pytest.fixture(scope="module")
def cluster(cluster_available: None) -> Iterator[ThrowawayCluster]:
    """Started and migrated; stopped and deleted when the module's tests are done."""
    with ThrowawayCluster() as cluster:
        migrate(cluster.url)
        yield cluster
