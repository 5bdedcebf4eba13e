"""--output, standard output and Ctrl+C: never a traceback, never a special file replaced.

Special files are made inside the test's own folder (a FIFO; as root, device nodes with
the numbers of /dev/null and /dev/full made with os.mknod): the system's /dev is never
touched.  A silent server (a listening socket nobody accepts on) keeps a run busy long
enough to show that a bad --output is refused before the run starts.
"""

from __future__ import annotations

import os
import resource
import signal
import socket
import stat
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from smtpdiag.report.files import OutputError, atomic_write_bytes, check_output, write_output

ROOT = Path(__file__).resolve().parents[1]
IS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0
posix_only = pytest.mark.skipif(sys.platform == "win32", reason="POSIX special files")


@pytest.fixture(autouse=True)
def private_log_dir(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SMTPDIAG_LOG_DIR", str(tmp_path_factory.mktemp("logs")))


def smtpdiag(*args: str, stdout: object = subprocess.PIPE, timeout: float = 60,
             preexec: object = None, shell_prefix: str = "") -> subprocess.CompletedProcess[bytes]:
    env = dict(os.environ, LANGUAGE="en")
    env.pop("SMTPDIAG_PASSWORD", None)
    cmd = [sys.executable, "-m", "smtpdiag", *args]
    if shell_prefix:
        cmd = ["sh", "-c", f'exec "$@" {shell_prefix}', "sh", *cmd]
    return subprocess.run(cmd, stdout=stdout, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,  # type: ignore[call-overload]
                          timeout=timeout, env=env, cwd=ROOT, preexec_fn=preexec)


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A port that accepts connections (the kernel does) but never greets."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(16)
    try:
        yield int(s.getsockname()[1])
    finally:
        s.close()


def check_args(port: int, *more: str, timeout: str = "1") -> list[str]:
    return ["check", "127.0.0.1", "--port", f"{port}:starttls", "--no-control", "--timeout", timeout, *more]


def one_plain_line(stderr: bytes) -> str:
    text = stderr.decode("utf-8")
    assert "Traceback" not in text, text
    assert text.count("\n") == 1, text
    assert "\x1b" not in text
    return text


# -- refused before the run ----------------------------------------------------------------------


@pytest.mark.parametrize("where, words", [
    ("{dir}", "is a folder"),
    ("{dir}/missing/report.json", "does not exist"),
    ("", "empty"),
    ("   ", "empty"),
])
def test_a_bad_output_is_one_line_exit_64_before_the_run(tmp_path: Path, silent_port: int, where: str,
                                                         words: str) -> None:
    start = time.monotonic()
    result = smtpdiag(*check_args(silent_port, "--output", where.format(dir=tmp_path), timeout="20"))
    assert result.returncode == 64
    assert words in one_plain_line(result.stderr)
    assert time.monotonic() - start < 10  # the 20 s silent server was never waited for
    assert result.stdout == b""


@pytest.mark.skipif(IS_ROOT or sys.platform == "win32", reason="root may write anywhere")
def test_no_permission_is_found_before_the_run(tmp_path: Path) -> None:
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        with pytest.raises(OutputError, match="no permission"):
            check_output(str(folder / "r.json"))
    finally:
        folder.chmod(0o700)


def test_check_output_messages_are_neutralised(tmp_path: Path) -> None:
    with pytest.raises(OutputError) as info:
        check_output(str(tmp_path / "\x1b]0;x\x07" / "r.json"))
    assert "\x1b" not in str(info.value) and "\\x1b" in str(info.value)


# -- regular files ----------------------------------------------------------------------------------


@posix_only
def test_an_existing_file_keeps_its_permissions(tmp_path: Path) -> None:
    path = tmp_path / "report.txt"
    path.write_text("old")
    path.chmod(0o600)
    write_output(check_output(str(path)), b"new")
    assert path.read_bytes() == b"new"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["report.txt"]  # no temporary file left


@posix_only
def test_a_symlink_stays_a_symlink_and_its_target_is_replaced(tmp_path: Path) -> None:
    real = tmp_path / "real.json"
    real.write_text("old")
    link = tmp_path / "link.json"
    link.symlink_to(real)
    write_output(check_output(str(link)), b"new")
    assert link.is_symlink() and real.read_bytes() == b"new"


@posix_only
def test_a_failed_write_leaves_the_old_file_and_says_so(tmp_path: Path, silent_port: int) -> None:
    path = tmp_path / "report.json"
    path.write_bytes(b"the old report")

    def small_files() -> None:  # the child may write at most 100 bytes per file: the write fails
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (100, 100))

    port = closed_port()
    result = smtpdiag(*check_args(port, "--output", str(path), "--format", "json"), preexec=small_files)
    assert result.returncode == 64
    line = one_plain_line(result.stderr)
    assert "could not write" in line and "old file is unchanged" in line
    assert path.read_bytes() == b"the old report"
    assert [p.name for p in tmp_path.iterdir()] == ["report.json"]


# -- special files: written through, never replaced ---------------------------------------------------


@posix_only
def test_a_fifo_is_written_through(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    got: list[bytes] = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_bytes()))
    reader.start()
    result = smtpdiag(*check_args(closed_port(), "--output", str(fifo), "--format", "json"))
    reader.join(10)
    assert result.returncode == 2, result.stderr
    assert stat.S_ISFIFO(fifo.stat().st_mode)
    assert got and b'"schema": "smtpdiag.report/1"' in got[0]


@pytest.fixture
def device_nodes(tmp_path: Path) -> dict[str, Path]:
    """Copies of /dev/null and /dev/full made in the test's folder (root only)."""
    if not IS_ROOT or not hasattr(os, "mknod"):
        pytest.skip("making device nodes needs root")
    nodes = {"null": tmp_path / "null", "full": tmp_path / "full"}
    try:
        os.mknod(nodes["null"], stat.S_IFCHR | 0o666, os.makedev(1, 3))
        os.mknod(nodes["full"], stat.S_IFCHR | 0o666, os.makedev(1, 7))
        with open(nodes["null"], "wb") as fh:
            fh.write(b"x")
    except OSError as exc:
        pytest.skip(f"device nodes cannot be made or used here: {exc}")
    return nodes


def test_a_device_is_written_through_and_never_replaced(device_nodes: dict[str, Path], tmp_path: Path) -> None:
    null = device_nodes["null"]
    link = tmp_path / "link-to-null"
    link.symlink_to(null)
    for where in (null, link):
        result = smtpdiag(*check_args(closed_port(), "--output", str(where)))
        assert result.returncode == 2, result.stderr
        assert stat.S_ISCHR(null.stat().st_mode)
    assert link.is_symlink()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["full", "link-to-null", "null"]


def test_a_full_device_is_one_line(device_nodes: dict[str, Path]) -> None:
    result = smtpdiag(*check_args(closed_port(), "--output", str(device_nodes["full"])))
    assert result.returncode == 64
    assert "could not write" in one_plain_line(result.stderr)
    assert stat.S_ISCHR(device_nodes["full"].stat().st_mode)


def test_atomic_write_refuses_a_special_file(device_nodes: dict[str, Path]) -> None:
    with pytest.raises(OSError):
        atomic_write_bytes(str(device_nodes["null"]), b"x")
    assert stat.S_ISCHR(device_nodes["null"].stat().st_mode)


# -- standard output ------------------------------------------------------------------------------------


@posix_only
def test_a_closed_pipe_is_no_traceback() -> None:
    """``smtpdiag demo --text | head -c 100``: the reader leaves early."""
    proc = subprocess.Popen([sys.executable, "-m", "smtpdiag", "demo", "--text", "healthy", "--timeout", "0.5"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, cwd=ROOT,
                            env=dict(os.environ, LANGUAGE="en"))
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.read(1)  # the scenario heading is written first... then the reader goes away
    proc.stdout.close()
    err = proc.stderr.read()
    proc.stderr.close()
    assert proc.wait(60) == 0
    assert b"Traceback" not in err and b"Error" not in err, err


@posix_only
def test_a_closed_pipe_during_check_is_no_traceback() -> None:
    r, w = os.pipe()
    os.close(r)  # nobody will ever read
    try:
        result = smtpdiag(*check_args(closed_port()), stdout=w)
    finally:
        os.close(w)
    assert b"Traceback" not in result.stderr, result.stderr
    assert result.returncode in (0, 2)


@posix_only
def test_a_closed_stdout_is_one_line_before_the_run(silent_port: int) -> None:
    start = time.monotonic()
    result = smtpdiag(*check_args(silent_port, timeout="20"), stdout=None, shell_prefix=">&-")
    assert result.returncode == 64
    assert "standard output is closed" in one_plain_line(result.stderr)
    assert time.monotonic() - start < 10
    result = smtpdiag("demo", "--text", "healthy", stdout=None, shell_prefix=">&-")
    assert result.returncode == 64 and "closed" in one_plain_line(result.stderr)


def test_output_is_utf8_whatever_the_locale(tmp_path: Path) -> None:
    """A strict cp1252 or ASCII standard output (Windows redirect) gets UTF-8 anyway."""
    env = dict(os.environ, PYTHONIOENCODING="ascii:strict", LANGUAGE="de", LC_ALL="C")
    result = subprocess.run([sys.executable, "-m", "smtpdiag", "demo", "--list", "--lang", "de"], capture_output=True,
                            env=env, cwd=ROOT, timeout=60, stdin=subprocess.DEVNULL)
    assert result.returncode == 0, result.stderr
    result.stdout.decode("utf-8")
    assert any(b > 0x7F for b in result.stdout)  # German words with umlauts, in UTF-8
    result = subprocess.run([sys.executable, "-m", "smtpdiag", "check", "\ufffd\u00e4.example", "--lang", "de"],
                            capture_output=True, env=env, cwd=ROOT, timeout=60, stdin=subprocess.DEVNULL)
    assert result.returncode == 64
    assert b"Traceback" not in result.stderr
    result.stderr.decode("utf-8")


# -- Ctrl+C --------------------------------------------------------------------------------------------


@posix_only
@pytest.mark.parametrize("delay", [0.0, 0.002, 0.01, 0.03, 0.08, 0.2, 0.5, 1.5])
def test_ctrl_c_at_any_moment_is_exit_130_without_traceback(silent_port: int, delay: float) -> None:
    """From the imports (the first delays: ``-X importtime`` tells when the package's own
    first module is in, everything after that is smtpdiag's) through the run (the last).
    Ctrl+C while the Python interpreter itself starts (its site module) is not ours."""
    proc = subprocess.Popen([sys.executable, "-X", "importtime", "-m", "smtpdiag",
                             *check_args(silent_port, timeout="20")],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, cwd=ROOT,
                            env=dict(os.environ, LANGUAGE="en"))
    assert proc.stderr is not None
    seen = []
    for raw_line in proc.stderr:
        seen.append(raw_line)
        if raw_line.rstrip().endswith(b"| smtpdiag"):  # the package __init__ finished importing
            break
    else:
        pytest.fail(b"".join(seen).decode())
    time.sleep(delay)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=30)
    err = b"".join(line for line in err.splitlines(keepends=True) if not line.startswith(b"import time:"))
    assert b"Traceback" not in err and b"KeyboardInterrupt" not in err, err
    assert proc.returncode == 130, (proc.returncode, err)
    assert err.strip() == b"Interrupted."
    assert out == b""


@posix_only
def test_ctrl_c_during_demo_text_is_exit_130_without_traceback() -> None:
    proc = subprocess.Popen([sys.executable, "-m", "smtpdiag", "demo", "--text"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, cwd=ROOT,
                            env=dict(os.environ, LANGUAGE="en"))
    assert proc.stdout is not None
    proc.stdout.read(1)  # the first scenario's report is coming: the demo is running
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, (proc.returncode, err)
    assert err.strip().endswith(b"Interrupted.") and b"Traceback" not in err
