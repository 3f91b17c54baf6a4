"""nnbook.distributed: the launcher, run with two CPU processes, and the workers chapter 12 launches.

Each launch starts real processes (gloo on the CPU). The oracle is the
single-process computation in float64, where the data-parallel result must
agree to float64 rounding, and in float32 to the tolerance the chapter states.
No test asserts a duration: a time-out is checked by the error it raises.
"""

from __future__ import annotations

import datetime
import os
import pickle
import signal
import subprocess
import sys
import threading
import time
import types
from pathlib import Path

import pytest
import torch
import torch.distributed as dist

import distributed_workers as workers
import nnbook
from nnbook import distributed as nd
from nnbook.distributed import launcher, train_ddp
from nnbook.trainers.common import seeded_module

# Every test that starts processes with launch (here, and the few in test_fuzz_public_api.py and
# test_public_api.py) is in the xdist group "launch", so one pytest-xdist worker runs them all: one
# forkserver per run (a fresh Python that imports torch and torch._dynamo: seconds of CPU), and this
# module's fixtures run once.
pytestmark = pytest.mark.xdist_group("launch")

SETTINGS = {"steps": 3, "lr": 0.1, "d_hidden": 8, "seed": 12}


def data(dtype=torch.float64, n=64):
    return nnbook.simulate_regression(n=n, seed=12, dtype=dtype)


def largest_gap(a: dict, b: dict) -> float:
    assert a.keys() == b.keys()
    return max((a[k] - b[k]).abs().max().item() for k in b)


@pytest.fixture
def group_of_one():
    """This process as the only rank of a gloo process group, for calling workers directly."""
    dist.init_process_group("gloo", store=dist.HashStore(), rank=0, world_size=1)
    yield
    dist.destroy_process_group()


# --- the launcher -----------------------------------------------------------------


def test_all_reduce_sums_across_two_processes():
    results = nd.launch(nd.all_reduce_example, world_size=2)
    assert [r["rank"] for r in results] == [0, 1]
    for r in results:
        assert r["world_size"] == 2 and r["threads"] == 1
        assert torch.equal(r["after"], torch.full((3,), 3.0))
    assert [r["before"].tolist() for r in results] == [[1.0] * 3, [2.0] * 3]


@pytest.fixture(scope="module")
def two_launches_at_once() -> dict[int, list]:
    """Two launches of ``workers.report`` (2 processes each) from two threads at the same time.

    Read by the two tests below: what each process sees, and that the launches did not collide.
    """
    results: dict[int, list] = {}

    def run(i: int) -> None:
        results[i] = nd.launch(workers.report, world_size=2)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def test_each_process_sees_its_rank_one_thread_and_torchrun_variables(two_launches_at_once):
    assert sorted(two_launches_at_once) == [0, 1]
    for results in two_launches_at_once.values():
        ports = {r["env"]["MASTER_PORT"] for r in results}
        assert len(ports) == 1 and int(ports.pop()) > 0
        for rank, r in enumerate(results):
            assert (r["rank"], r["group_rank"], r["world_size"], r["group_size"]) == (rank, rank, 2, 2)
            assert r["backend"] == "gloo" and r["threads"] == 1
            assert r["parent"] != os.getpid()  # forked by the forkserver, the default on Linux
            assert r["env"]["RANK"] == r["env"]["LOCAL_RANK"] == str(rank)
            assert r["env"]["WORLD_SIZE"] == "2" and r["env"]["MASTER_ADDR"] == "127.0.0.1"


def test_spawn_imports_the_worker_from_a_test_module():
    # The default on Linux is forkserver; spawn starts a fresh interpreter per process (this one's
    # child), which must import this directory's distributed_workers.py from the path the parent
    # passes on. One process shows it (each costs an import of torch); two launches above and
    # the tests below show how processes meet.
    (result,) = nd.launch(workers.report, world_size=1, start_method="spawn")
    assert (result["rank"], result["group_size"], result["threads"]) == (0, 1, 1)
    assert result["parent"] == os.getpid()


def test_two_launches_at_once_meet_on_different_ports(two_launches_at_once):
    assert sorted(two_launches_at_once) == [0, 1]
    ports = {i: two_launches_at_once[i][0]["env"]["MASTER_PORT"] for i in two_launches_at_once}
    assert ports[0] != ports[1]


@pytest.mark.parametrize("bad_rank", [0, 1])
def test_a_failing_worker_raises_in_the_caller_naming_its_rank(bad_rank):
    # The other rank fails too (its peer vanished mid-collective); the error must name the
    # rank that failed first, and come back long before the time-out.
    with pytest.raises(nd.WorkerError) as caught:
        nd.launch(workers.fail_on_rank, world_size=2, args=(bad_rank,), timeout=300)
    assert caught.value.rank == bad_rank
    message = str(caught.value)
    assert message.startswith(f"rank {bad_rank} of 2 raised ValueError: rank {bad_rank} fails on purpose")
    assert f"Traceback of rank {bad_rank}" in message and "fail_on_rank" in message


def test_a_process_that_dies_without_raising_is_named():
    with pytest.raises(nd.WorkerError, match=r"^rank 1 of 2 ended with exit code 3") as caught:
        nd.launch(workers.exit_on_rank, world_size=2, timeout=300)
    assert caught.value.rank == 1


def test_the_rank_that_died_silently_is_named_even_when_the_join_names_its_peer(tmp_path):
    # Rank 1 died with exit code 3; rank 0 raised when its collective lost rank 1 and ended too. When both
    # have ended by the time torch's join looks, the join may name rank 0 (it reads the ready processes
    # in no set order): the launcher must still name rank 1, as the test above sees most of the time.
    record = {"time": 1.0, "error": "RuntimeError: connection closed by peer", "traceback": ""}
    (tmp_path / "0.error").write_bytes(pickle.dumps(record))
    (tmp_path / "1.started").touch()
    processes = [types.SimpleNamespace(pid=-1, exitcode=1), types.SimpleNamespace(pid=-2, exitcode=3)]
    for failed in (0, 1):
        error = launcher._first_failure(tmp_path, processes, failed)
        assert str(error).startswith("rank 1 of 2 ended with exit code 3, without raising an exception; then rank 0")
        assert error.rank == 1
    # A rank torch's join itself ended (SIGTERM) is no cause: the one that raised is named.
    processes[1].exitcode = -signal.SIGTERM
    assert launcher._first_failure(tmp_path, processes, 0).rank == 0


def test_a_rank_that_skips_a_collective_is_pointed_out():
    with pytest.raises(nd.WorkerError, match=r"Rank\(s\) 1 had returned") as caught:
        nd.launch(workers.skip_collective, world_size=2, timeout=300)
    assert caught.value.rank == 0


def test_a_hanging_worker_times_out_and_leaves_no_process(tmp_path):
    # The time-out counts from the launch, start-up included. Once this process's forkserver runs (the
    # first launch below starts it, unless an earlier test did), two processes start in about 0.1 s,
    # even with three CPU-bound processes beside them on two cores: 2 s leaves both well inside their
    # hang when it expires, and this test no longer holds a test process idle for 6 s.
    nd.launch(workers.report, world_size=2)
    with pytest.raises(TimeoutError, match=r"^rank\(s\) 0, 1 of 2 still running when the time-out \(2 s\)"):
        nd.launch(workers.hang_on_rank, world_size=2, args=(str(tmp_path),), timeout=2)
    pids = [int(path.read_text()) for path in sorted(tmp_path.glob("*.pid"))]
    assert len(pids) == 2
    for pid in pids:
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)


# --- the launcher under faults: nothing it started outlives it ----------------------------


def gone(pid: int) -> bool:
    """True once ``pid`` has ended (a zombie waiting for its parent to reap it counts as ended)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return True
    return state == "Z"


def wait_until_gone(pids: list[int], seconds: float = 60.0) -> list[int]:
    """The pids still running after waiting up to ``seconds`` (a generous bound, not a timing check)."""
    end = time.monotonic() + seconds
    while time.monotonic() < end and not all(gone(pid) for pid in pids):
        time.sleep(0.2)
    return [pid for pid in pids if not gone(pid)]


def started_pids(folder: Path) -> list[int]:
    return [int(path.read_text()) for path in sorted(folder.glob("*.pid"))]


needs_proc = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads process states from /proc")


@needs_proc
def test_a_time_out_stops_the_ranks_and_the_processes_they_started(tmp_path):
    nd.launch(workers.report, world_size=2)  # the forkserver runs, so the time-out below is not spent starting it
    with pytest.raises(TimeoutError, match=r"every process was stopped, with the processes they started"):
        nd.launch(workers.start_child_then, world_size=2, args=(str(tmp_path),), timeout=5)
    pids = started_pids(tmp_path)
    assert len(pids) == 4  # two ranks, each with a process of its own
    assert wait_until_gone(pids, seconds=10) == []


@needs_proc
def test_a_failure_stops_the_ranks_and_the_processes_they_started(tmp_path):
    with pytest.raises(nd.WorkerError, match=r"^rank 1 of 2 raised ValueError: rank 1 fails on purpose"):
        nd.launch(workers.start_child_then, world_size=2, args=(str(tmp_path), "raise"), timeout=300)
    pids = started_pids(tmp_path)
    assert len(pids) == 4
    assert wait_until_gone(pids, seconds=10) == []


def children_of(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


LAUNCHER_SCRIPT = """
import sys
import distributed_workers as workers
from nnbook.distributed import launch

if __name__ == "__main__":
    launch(workers.start_child_then, world_size=2, args=(sys.argv[1],), timeout=600)
"""


@needs_proc
@pytest.mark.parametrize(
    "number", [signal.SIGKILL, signal.SIGTERM, signal.SIGINT], ids=["SIGKILL", "SIGTERM", "Ctrl-C"]
)
def test_ranks_end_when_the_launching_process_is_killed(tmp_path, number):
    # SIGKILL and SIGTERM end the launcher without running any of its code: the ranks' watchdogs end
    # them. Ctrl-C (SIGINT) raises KeyboardInterrupt in the launcher, which stops every rank itself.
    script = tmp_path / "launcher.py"
    script.write_text(LAUNCHER_SCRIPT)
    folder = tmp_path / "pids"
    folder.mkdir()
    environment = {**os.environ, "PYTHONPATH": os.pathsep.join([str(Path(__file__).parent), *sys.path])}
    launcher = subprocess.Popen([sys.executable, str(script), str(folder)], env=environment)
    try:
        end = time.monotonic() + 120
        while len(started_pids(folder)) < 4 and time.monotonic() < end and launcher.poll() is None:
            time.sleep(0.2)
        pids = started_pids(folder)
        assert len(pids) == 4, "the ranks did not start"
        helpers = children_of(launcher.pid)  # the ranks or the forkserver, and the resource tracker
        launcher.send_signal(number)
        launcher.wait(timeout=120)
        left = wait_until_gone(pids + helpers)
        assert left == [], [Path(f"/proc/{pid}/cmdline").read_bytes() for pid in left]
    finally:
        if launcher.poll() is None:
            launcher.kill()
            launcher.wait()


NO_GUARD_SCRIPT = """
from nnbook.distributed import all_reduce_example, launch

launch(all_reduce_example, world_size=2, timeout=120)
"""


@pytest.mark.parametrize("start_method", ["forkserver", "spawn"])
def test_a_script_without_the_main_guard_gets_the_reason(tmp_path, start_method):
    script = tmp_path / "no_guard.py"
    script.write_text(NO_GUARD_SCRIPT.replace("timeout=120", f"timeout=120, start_method={start_method!r}"))
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 1
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith("nnbook.distributed.launcher.WorkerError: rank ") and "failed while starting" in last
    assert "calls launch() when it is imported" in last and 'if __name__ == "__main__":' in last


def test_a_result_that_is_not_data_is_refused_with_the_fix():
    with pytest.raises(nd.WorkerError, match=r"TypeError: the worker's result must hold only .*got Linear.*state_dict"):
        nd.launch(workers.return_module, world_size=2)


# --- the data-parallel workers against one process ------------------------------------


def test_full_batch_reference_is_torch_optim_sgd_exactly():
    x, y = data(torch.float32)
    reference = nd.full_batch_reference(x, y, **SETTINGS)
    torch.manual_seed(SETTINGS["seed"])
    model = nnbook.build_mlp(3, SETTINGS["d_hidden"], 1)
    opt = torch.optim.SGD(model.parameters(), lr=SETTINGS["lr"])
    for _ in range(SETTINGS["steps"]):
        opt.zero_grad()
        torch.nn.functional.mse_loss(model(x), y).backward()
        opt.step()
    assert all(torch.equal(reference[k], v) for k, v in model.state_dict().items())


@pytest.mark.parametrize("worker", [nd.hand_data_parallel, nd.ddp_data_parallel], ids=["by hand", "ddp"])
def test_two_processes_end_identical_and_equal_to_one_process(worker):
    for dtype, tolerance in ((torch.float64, 1e-13), (torch.float32, 1e-6)):
        x, y = data(dtype)
        ranks = nd.launch(worker, world_size=2, args=(x, y), kwargs=SETTINGS)
        reference = nd.full_batch_reference(x, y, **SETTINGS)
        build = lambda: nnbook.build_mlp(3, SETTINGS["d_hidden"], 1)  # noqa: E731
        start = seeded_module(build, SETTINGS["seed"]).to(dtype).state_dict()
        assert all(torch.equal(ranks[0][k], ranks[1][k]) for k in reference), dtype
        assert ranks[0]["0.weight"].dtype == dtype
        assert largest_gap(ranks[0], reference) <= tolerance, dtype
        assert largest_gap(reference, start) > 1e4 * tolerance  # the steps moved the weights


def test_hand_data_parallel_in_a_group_of_one_is_the_reference_bit_for_bit(group_of_one):
    x, y = data(torch.float32)
    alone = nd.hand_data_parallel(0, 1, x, y, **SETTINGS)
    assert all(torch.equal(alone[k], v) for k, v in nd.full_batch_reference(x, y, **SETTINGS).items())


def test_time_data_parallel_counts_rows_and_gradient_bytes(group_of_one):
    x, y = data(torch.float32)
    timings = nd.time_data_parallel(0, 1, x, y, rows=[16, 64], number=2, d_hidden=8)
    parameters = nnbook.count_parameters(nnbook.build_mlp(3, 8, 1))
    assert [t["rows"] for t in timings] == [16, 64]
    assert all(t["gradient_bytes"] == 4 * parameters for t in timings)
    assert all(t["compute"] > 0 and t["communicate"] > 0 for t in timings)


def test_time_data_parallel_in_two_processes_halves_the_rows():
    x, y = data(torch.float32)
    ranks = nd.launch(nd.time_data_parallel, world_size=2, args=(x, y), kwargs={"rows": [16, 64], "number": 2})
    assert [[t["rows"] for t in rank] for rank in ranks] == [[8, 32], [8, 32]]


def test_dropout_masks_in_a_group_of_one_draw_from_the_state_the_call_found(group_of_one):
    # Oracle: the same draws made here, from the same states, without the worker.
    ones = torch.ones(64)
    with torch.random.fork_rng(devices=[]):  # this test's seeds stay in this test
        torch.manual_seed(5)
        before = torch.get_rng_state()
        masks = nd.dropout_masks(0, 1, seed=12)
        torch.set_rng_state(before)  # seeded_mlp inside the worker must have left this state as it found it
        assert torch.equal(masks["as started"], torch.nn.functional.dropout(ones, p=0.5) != 0)
        torch.manual_seed(12)
        assert torch.equal(masks["same seed"], torch.nn.functional.dropout(ones, p=0.5) != 0)
    assert torch.equal(masks["seed + rank"], masks["same seed"])  # rank 0: seed + 0
    assert 0 < int(masks["same seed"].sum()) < 64  # a mask, not all kept or all dropped


@pytest.mark.parametrize("start_method", [None, "spawn"], ids=["default", "spawn"])
def test_dropout_masks_in_two_processes(start_method):
    ranks = nd.launch(nd.dropout_masks, world_size=2, kwargs={"seed": 12}, start_method=start_method)
    alike = {key: torch.equal(ranks[0][key], ranks[1][key]) for key in ranks[0]}
    assert alike["same seed"] and not alike["seed + rank"]
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(13)  # rank 1's seed, drawn here
        assert torch.equal(ranks[1]["seed + rank"], torch.nn.functional.dropout(torch.ones(64), p=0.5) != 0)
    # Forked from one server, the ranks start from its state; spawned, each from a random state of its own.
    assert alike["as started"] == (start_method is None and sys.platform.startswith("linux"))


# --- argument checks ----------------------------------------------------------------


def _notebook_function():
    """A function as a notebook cell defines it: module __main__, where __main__ has no file."""
    namespace = {"__name__": "__main__"}
    exec("def my_worker(rank, world_size):\n    return rank\n", namespace)
    return namespace["my_worker"]


def _codeblocks_function():
    """A function as pytest-codeblocks defines it: exec with no __name__, so no module at all."""
    namespace: dict = {}
    exec("def my_worker(rank, world_size):\n    return rank\n", namespace)
    return namespace["my_worker"]


def test_a_notebook_function_is_refused_with_the_fix(monkeypatch):
    monkeypatch.setitem(sys.modules, "__main__", types.ModuleType("__main__"))  # a kernel's __main__: no file
    for worker in (_notebook_function(), _codeblocks_function()):
        with pytest.raises(ValueError, match=r"^worker my_worker is defined in a notebook.*\.py file"):
            nd.launch(worker, world_size=2)


def test_a_function_in_a_script_is_accepted_without_starting_anything(monkeypatch):
    # In a script, spawn and forkserver import __main__ from its file, so its functions can be launched.
    script = types.ModuleType("__main__")
    script.__file__ = "/somewhere/train.py"
    worker = _notebook_function()
    script.my_worker = worker
    monkeypatch.setitem(sys.modules, "__main__", script)
    launcher._check_worker(worker)


@pytest.mark.parametrize(
    ("kwargs", "error", "pattern"),
    [
        ({"worker": lambda rank, world_size: rank}, ValueError, r"^worker <lambda> is a lambda"),
        ({"worker": print}, TypeError, r"^worker must be a function"),
        ({"worker": "all_reduce_example"}, TypeError, r"^worker must be a function"),
        ({"world_size": 0}, ValueError, r"^world_size must be an integer from 1 to 64, got 0"),
        ({"world_size": 65}, ValueError, r"^world_size must be an integer from 1 to 64"),
        ({"world_size": 2.0}, TypeError, r"^world_size must be an integer"),
        ({"args": "ab"}, TypeError, r"^args must be a tuple or list"),
        ({"args": (1,)}, TypeError, r"^args and kwargs do not fit worker all_reduce_example"),
        ({"kwargs": [("a", 1)]}, TypeError, r"^kwargs must be a dict"),
        ({"kwargs": {"lr": 0.1}}, TypeError, r"^args and kwargs do not fit"),
        ({"backend": "mpi"}, ValueError, r"^backend must be one of 'gloo', 'nccl', got 'mpi'"),
        ({"backend": "GLOO"}, ValueError, r"did you mean 'gloo'"),
        ({"timeout": 0}, ValueError, r"^timeout must be from 1 to 1e\+07 seconds"),
        ({"timeout": float("nan")}, ValueError, r"^timeout must be from 1"),
        ({"timeout": 0.5}, ValueError, r"^timeout must be from 1"),
        ({"timeout": datetime.timedelta(0)}, ValueError, r"^timeout must be from 1"),
        ({"timeout": "60"}, TypeError, r"^timeout must be a number of seconds"),
        ({"timeout": True}, TypeError, r"^timeout must be a number of seconds"),
        ({"start_method": "fork"}, ValueError, r"^start_method must be one of 'spawn', 'forkserver', got 'fork'"),
    ],
)
def test_bad_arguments_are_refused_before_anything_starts(kwargs, error, pattern):
    call = {"worker": nd.all_reduce_example, "world_size": 2, **kwargs}
    with pytest.raises(error, match=pattern):
        nd.launch(**call)


@pytest.mark.skipif(torch.cuda.device_count() >= 2, reason="this machine has the GPUs NCCL needs")
def test_nccl_without_a_gpu_per_process_is_refused():
    with pytest.raises(ValueError, match=r"^backend='nccl' needs one CUDA GPU per process: world_size=2"):
        nd.launch(nd.all_reduce_example, world_size=2, backend="nccl")


def test_workers_check_their_arguments_before_any_collective():
    x, y = data(torch.float32, n=10)
    with pytest.raises(ValueError, match=r"^x must have a number of rows divisible by world_size=3"):
        nd.hand_data_parallel(0, 3, x[:10], y[:10])
    with pytest.raises(ValueError, match=r"^rank must be an integer from 0 to 1, got 2"):
        nd.ddp_data_parallel(2, 2, x, y)
    with pytest.raises(RuntimeError, match=r"runs inside a process group"):
        nd.hand_data_parallel(0, 2, x, y)
    with pytest.raises(TypeError, match=r"^seed must be an integer"):
        nd.full_batch_reference(x, y, seed=None)
    with pytest.raises(TypeError, match=r"^seed must be an integer"):
        nd.dropout_masks(0, 2, seed=None)


def test_workers_check_their_rank_against_the_group(group_of_one):
    x, y = data(torch.float32, n=10)
    with pytest.raises(ValueError, match=r"^world_size must be the size of the process group, 1, got 2"):
        nd.hand_data_parallel(0, 2, x, y)


def test_default_backend_is_gloo_without_a_gpu_per_process():
    expected = "nccl" if dist.is_nccl_available() and torch.cuda.device_count() >= 2 else "gloo"
    assert nd.default_backend(2) == expected
    assert nd.default_backend(torch.cuda.device_count() + 1) == "gloo"


# --- NCCL, where there are GPUs ------------------------------------------------------

GPUS = torch.cuda.device_count() if torch.cuda.is_available() else 0


@pytest.mark.gpu
@pytest.mark.skipif(
    not (dist.is_nccl_available() and GPUS >= 2), reason=f"needs 2 CUDA GPUs and NCCL; this machine has {GPUS} GPU(s)"
)
def test_nccl_on_two_gpus_matches_one_process():
    results = nd.launch(nd.all_reduce_example, world_size=2, backend="nccl")
    assert all(torch.equal(r["after"], torch.full((3,), 3.0)) for r in results)
    x, y = data(torch.float64)
    for worker in (nd.hand_data_parallel, nd.ddp_data_parallel):
        ranks = nd.launch(worker, world_size=2, args=(x, y), kwargs=SETTINGS, backend="nccl")
        assert all(torch.equal(ranks[0][k], ranks[1][k]) for k in ranks[0])
        assert largest_gap(ranks[0], nd.full_batch_reference(x, y, **SETTINGS)) <= 1e-12


# --- torchrun and chapter 12's recipe ---------------------------------------------------


def run_recipe(tmp_path: Path, *extra: str, nproc: str = "2") -> tuple[subprocess.CompletedProcess, Path]:
    torchrun = [sys.executable, "-m", "torch.distributed.run"]  # what the torchrun script runs
    checkpoint = tmp_path / "model.pt"
    command = [*torchrun, "--standalone", f"--nproc-per-node={nproc}", train_ddp.__file__]
    command += ["--checkpoint", str(checkpoint), "--rows", "64", "--epochs", "3", *extra]
    environment = {k: v for k, v in os.environ.items() if k != "OMP_NUM_THREADS"}
    done = subprocess.run(command, capture_output=True, text=True, timeout=300, check=False, env=environment)
    assert done.returncode == 0, done.stdout + done.stderr
    return done, checkpoint


def test_the_recipe_of_chapter_12_runs_under_torchrun_with_gloo(tmp_path):
    done, checkpoint = run_recipe(tmp_path)
    assert "2 processes, backend gloo, OMP_NUM_THREADS=1" in done.stdout  # torchrun sets it for 2 processes
    assert "keys of ddp_model.state_dict() start with 'module.0.weight'" in done.stdout
    assert "rank 0: the checkpoint, read back, holds rank 0's weights: True" in done.stdout
    for rank in (0, 1):
        assert f"rank {rank}: this rank's weights are rank 0's, bit for bit: True" in done.stdout
    saved = torch.load(checkpoint, weights_only=True)
    x, y = nnbook.simulate_regression(n=64, seed=12)
    reference = nd.full_batch_reference(x, y, steps=3, lr=0.1, d_hidden=32, seed=12)
    assert list(saved) == list(reference)  # the unwrapped model: no "module." prefix
    assert largest_gap(saved, reference) <= 16 * torch.finfo(torch.float32).eps  # weights are below 1 here
    assert max(v.abs().max().item() for v in reference.values()) < 1
    assert not list(tmp_path.glob("*.partial"))  # the temporary file was renamed into place


def test_the_recipe_needs_no_filesystem_shared_between_machines(tmp_path):
    # Each rank gets a checkpoint path in a folder of its own, as ranks on two machines would: rank 0's
    # file is never where rank 1 looks. A rank that read the checkpoint back would fail or read nothing.
    ranks = nd.launch(workers.train_recipe_in_own_folder, world_size=2, args=(str(tmp_path), (0.1, 0.1)))
    printed = [rank["printed"] for rank in ranks]
    assert (tmp_path / "machine-0" / "model.pt").is_file()
    assert list((tmp_path / "machine-1").iterdir()) == []  # rank 1 wrote nothing and needed nothing there
    assert "rank 0: the checkpoint, read back, holds rank 0's weights: True" in printed[0]
    assert "checkpoint" not in printed[1]
    assert all(f"rank {rank}: this rank's weights are rank 0's, bit for bit: True" in printed[rank] for rank in (0, 1))


def test_the_recipe_reports_a_rank_whose_weights_differ_from_rank_0s(tmp_path):
    # Rank 1 steps with another learning rate: DDP averages the gradients, not the steps, so its weights part
    # from rank 0's, and the check through the process group must say so on rank 1 only.
    ranks = nd.launch(workers.train_recipe_in_own_folder, world_size=2, args=(str(tmp_path), (0.1, 0.2)))
    printed = [rank["printed"] for rank in ranks]
    assert "rank 0: this rank's weights are rank 0's, bit for bit: True" in printed[0]
    assert "rank 1: this rank's weights are rank 0's, bit for bit: False" in printed[1]


def test_the_recipe_outside_torchrun_says_how_to_run_it(monkeypatch, capsys):
    monkeypatch.delenv("LOCAL_RANK", raising=False)
    with pytest.raises(SystemExit) as exit:
        train_ddp.main([])
    assert exit.value.code == 2
    assert "torchrun --standalone --nproc-per-node=2 train_ddp.py" in capsys.readouterr().err


def test_python_m_nnbook_distributed_help_works_without_docstrings():
    done = subprocess.run(
        [sys.executable, "-OO", "-m", "nnbook.distributed", "--help"], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    assert "--checkpoint" in done.stdout and done.stderr == ""


def test_the_backend_is_chosen_once_for_the_group(monkeypatch):
    # One GPU, two processes on the machine: a rule decided per process would give local rank 0
    # NCCL and local rank 1 gloo, and the group would hang. Every rank must choose gloo.
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 1)
    monkeypatch.setattr(dist, "is_nccl_available", lambda: True)
    assert train_ddp.choose_backend(2) == "gloo"
    assert train_ddp.choose_backend(1) == "nccl"
    with pytest.raises(ValueError, match=r"^local_world_size must be at least 1, got 0"):
        train_ddp.choose_backend(0)
    with pytest.raises(TypeError, match=r"^local_world_size must be an integer"):
        train_ddp.choose_backend(True)


@pytest.mark.gpu
@pytest.mark.skipif(
    not (dist.is_nccl_available() and GPUS >= 2), reason=f"needs 2 CUDA GPUs and NCCL; this machine has {GPUS} GPU(s)"
)
def test_the_recipe_runs_under_torchrun_with_nccl(tmp_path):
    done, _ = run_recipe(tmp_path)
    assert "2 processes, backend nccl" in done.stdout
    assert all(f"rank {rank}: this rank's weights are rank 0's, bit for bit: True" in done.stdout for rank in (0, 1))
