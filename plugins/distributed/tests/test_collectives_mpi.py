"""Collectives and point-to-point on 2 ranks (``python -m ember_distributed.run`` over MPI).

One launch runs every scenario of ``workers/collectives.py`` under a hard timeout; each
test below checks one scenario's outcome on both ranks.
"""

import pytest
from mpi_launch import check, run_workers

torch = pytest.importorskip("torch")


@pytest.fixture(scope="module")
def launched(tmp_path_factory):
    out = tmp_path_factory.mktemp("collectives")
    rc, output, results = run_workers("collectives.py", out)
    return rc, output, results


SCENARIOS = ["all_reduce_ops", "broadcast", "all_gather", "reduce_scatter",
             "reduce_gather_scatter", "point_to_point", "async_work", "groups", "objects",
             "bad_arguments", "timeouts"]


@pytest.mark.parametrize("name", SCENARIOS)
def test_scenario_passes_on_both_ranks(launched, name):
    _, output, results = launched
    check(results, output, name)


def test_launcher_sets_torchrun_environment(launched):
    _, output, results = launched
    envs = check(results, output, "environment")
    assert [e["RANK"] for e in envs] == ["0", "1"]
    assert [e["LOCAL_RANK"] for e in envs] == ["0", "1"]
    assert {e["WORLD_SIZE"] for e in envs} == {"2"}
    assert envs[0]["MASTER_PORT"] == envs[1]["MASTER_PORT"]


def test_launch_exits_cleanly(launched):
    rc, output, _ = launched
    assert rc == 0, output[-4000:]
