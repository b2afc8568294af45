"""``python -m ember_distributed.run``: torchrun's flags, the worker environment, exit codes
(every launch under a hard timeout)."""

import subprocess
import sys

import pytest

from ember_distributed import bootstrap, run

torch = pytest.importorskip("torch")


def parse(*argv):
    return run.build_command(run.get_args_parser().parse_args(list(argv)))


def test_flags_become_command_and_environment():
    cmd, env = parse("--nproc-per-node=3", "--master-addr", "10.0.0.1", "--master-port",
                     "1234", "train.py", "--lr", "0.1")
    assert cmd[cmd.index("-n") + 1] == "3"
    assert cmd[-4:] == ["--script", "train.py", "--lr", "0.1"]
    assert cmd[cmd.index("-m") + 1] == "ember_distributed.bootstrap"
    assert (env["WORLD_SIZE"], env["LOCAL_WORLD_SIZE"], env["MASTER_ADDR"],
            env["MASTER_PORT"]) == ("3", "3", "10.0.0.1", "1234")
    assert "TORCHELASTIC_RUN_ID" in env


def test_underscore_spellings_and_module_mode():
    cmd, env = parse("--nproc_per_node", "2", "--master_port", "999", "-m", "pkg.train")
    assert env["MASTER_PORT"] == "999" and cmd[-2:] == ["--module", "pkg.train"]
    cmd, _ = parse("--no-python", "--nproc-per-node", "1", "./a.out", "x")
    assert cmd[-3:] == ["--no-python", "./a.out", "x"]


def test_standalone_and_rdzv_endpoint():
    _, env = parse("--standalone", "s.py")
    assert env["MASTER_ADDR"] == "127.0.0.1" and int(env["MASTER_PORT"]) > 0
    _, env = parse("--rdzv-endpoint", "host:4567", "s.py")
    assert (env["MASTER_ADDR"], env["MASTER_PORT"]) == ("host", "4567")


@pytest.mark.parametrize("argv, message", [
    (["--nnodes", "2", "s.py"], "one node"),
    (["--nproc-per-node", "0", "s.py"], "at least 1"),
    (["--nproc-per-node", "many", "s.py"], "Unsupported nproc_per_node value: many"),
    (["-m", "--no-python", "s.py"], "Don't use both"),
    (["--node-rank", "1", "s.py"], "must be 0"),
])
def test_bad_flags(argv, message, capsys):
    with pytest.raises(ValueError, match=message):
        parse(*argv)
    assert run.main(argv) == 2
    assert message in capsys.readouterr().err


def test_nproc_per_node_gpu():
    import ember

    if ember.cuda.is_available():
        cmd, _ = parse("--nproc-per-node", "gpu", "s.py")
        assert cmd[cmd.index("-n") + 1] == str(ember.cuda.device_count())
    else:
        with pytest.raises(ValueError, match="Cuda is not available."):
            parse("--nproc-per-node", "gpu", "s.py")


def test_bootstrap_maps_launcher_ranks(monkeypatch):
    for key in ("RANK", "LOCAL_RANK", "WORLD_SIZE", "LOCAL_WORLD_SIZE", "MASTER_ADDR",
                "MASTER_PORT"):
        monkeypatch.setenv(key, "")  # so that monkeypatch restores them afterwards
        monkeypatch.delenv(key)
    monkeypatch.delenv("MPI_LOCALRANKID", raising=False)
    monkeypatch.setenv("PMI_RANK", "1")
    monkeypatch.setenv("PMI_SIZE", "4")
    assert bootstrap.launcher_rank() == (1, 4)
    bootstrap.set_rank_environment()
    import os

    assert (os.environ["RANK"], os.environ["LOCAL_RANK"], os.environ["WORLD_SIZE"]) == \
        ("1", "1", "4")


def test_workers_exit_code_is_reported(tmp_path):
    script = tmp_path / "worker.py"
    script.write_text("import os, sys\n"
                      "print('rank', os.environ['RANK'], 'of', os.environ['WORLD_SIZE'])\n"
                      "sys.exit(3 if os.environ['RANK'] == '1' else 0)\n")
    proc = subprocess.run([sys.executable, "-m", "ember_distributed.run", "--standalone",
                           "--nproc-per-node", "2", str(script)], capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode != 0
    assert "rank 0 of 2" in proc.stdout and "rank 1 of 2" in proc.stdout
    ok = tmp_path / "ok.py"
    ok.write_text("import sys; print(sys.argv[1:])\n")
    proc = subprocess.run([sys.executable, "-m", "ember_distributed.run", "--standalone",
                           "--nproc-per-node", "1", str(ok), "a", "--b"], capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 0 and "['a', '--b']" in proc.stdout
