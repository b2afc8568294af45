"""The NCCL engine's cpu-side paths: finding libnccl (the nvidia-nccl-cu12 wheel or
$EMBER_NCCL_LIBRARY), refusing files that are not NCCL, and the clear error without a GPU.
The collective itself runs only where a GPU, ember-cuda and the wheel exist."""

import ctypes.util
import sys

import pytest

import ember
import ember.distributed as dist
from ember_distributed import nccl

torch = pytest.importorskip("torch")


@pytest.fixture
def no_override(monkeypatch):
    monkeypatch.delenv(nccl.NCCL_LIBRARY_ENV, raising=False)


def _has_wheel():
    import importlib.util

    try:
        return importlib.util.find_spec("nvidia.nccl") is not None
    except (ImportError, ValueError):
        return False


@pytest.mark.skipif(_has_wheel(), reason="the nvidia-nccl-cu12 wheel is installed here")
def test_missing_library_says_what_to_install(no_override):
    with pytest.raises(RuntimeError, match=r"pip install 'ember-distributed\[nccl\]'"):
        nccl.find_nccl_library()
    assert dist.is_nccl_available() is False


def test_override_must_name_a_file(monkeypatch, tmp_path):
    monkeypatch.setenv(nccl.NCCL_LIBRARY_ENV, str(tmp_path / "missing.so"))
    with pytest.raises(RuntimeError, match="does not name a file"):
        nccl.find_nccl_library()


def test_override_is_used(monkeypatch, tmp_path):
    lib = tmp_path / "libnccl.so.2"
    lib.write_bytes(b"\0")
    monkeypatch.setenv(nccl.NCCL_LIBRARY_ENV, str(lib))
    assert nccl.find_nccl_library() == lib


def test_found_through_the_wheel_layout(monkeypatch, tmp_path, no_override):
    pkg = tmp_path / "nvidia" / "nccl"
    (pkg / "lib").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "lib" / "libnccl.so.2").write_bytes(b"\0")
    monkeypatch.syspath_prepend(str(tmp_path))
    for name in [m for m in sys.modules if m == "nvidia" or m.startswith("nvidia.")]:
        monkeypatch.delitem(sys.modules, name)
    assert nccl.find_nccl_library() == pkg / "lib" / "libnccl.so.2"


def test_a_file_that_is_not_a_library(tmp_path):
    bogus = tmp_path / "libnccl.so.2"
    bogus.write_text("not an ELF file")
    with pytest.raises(RuntimeError, match="cannot load the NCCL library"):
        nccl.load_nccl(bogus)


def test_a_library_that_is_not_nccl(tmp_path):
    libm = ctypes.util.find_library("m")  # a real shared library without ncclGetVersion
    assert libm is not None
    with pytest.raises(RuntimeError, match="is not an NCCL library"):
        nccl.load_nccl(libm)


@pytest.mark.skipif(ember.cuda.is_available(), reason="checks the error on a machine without GPU")
def test_init_without_gpu_raises_torchs_error():
    with pytest.raises(RuntimeError) as info:
        dist.init_process_group("nccl")
    assert str(info.value) == "ProcessGroupNCCL is only supported with GPUs, no GPUs found!"
    assert not dist.is_initialized()


def test_engine_argument_checks_without_a_gpu():
    engine = nccl.NCCLEngine(lib=None, comm=None, rank=0, size=1, mpi_comm=None)
    with pytest.raises(ValueError, match="has no reduction BAND"):
        engine._op("BAND")
    assert engine._op("AVG") == 4 and engine._op("SUM") == 0

    class Arr:
        dtype = "complex64"

    with pytest.raises(TypeError, match="NCCL cannot move dtype complex64"):
        engine._dtype(Arr())
    with pytest.raises(ValueError, match="cannot receive from any source"):
        engine.recv(None, None, 0)
    with pytest.raises(RuntimeError, match="gather is not provided"):
        engine.gather(None, None, 0)


@pytest.mark.skipif(not (ember.cuda.is_available() and dist.is_nccl_available()),
                    reason="needs a GPU, ember-cuda and the nvidia-nccl-cu12 wheel")
def test_nccl_all_reduce_on_one_gpu():
    dist.init_process_group("nccl")
    try:
        t = ember.ones(4, device="cuda") * 3
        dist.all_reduce(t)
        assert t.cpu().tolist() == [3.0] * 4
        version = nccl.nccl_version(nccl.load_nccl())
        assert version[0] >= 2
    finally:
        dist.destroy_process_group()
