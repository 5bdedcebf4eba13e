"""What every test shares: a private log folder and mail-program home (never the user's),
one test CA, and English words.

Shared worlds beyond fixtures live in their own modules beside the tests (they are
imported by name, as the tests folder is on the path): ``dns_server`` (a real DNS
server on loopback), ``netns`` (network namespaces with nftables), ``sntp_server``,
``advice_scan``; the simulated network itself is ``smtpdiag.simnet``
(``start_scenario(name)``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import trustme

from smtpdiag.i18n import set_language

EMPTY_HOME = Path(__file__).resolve().parent / "fixtures" / "accounts" / "empty-home"


@pytest.fixture(autouse=True)
def private_user_folders(tmp_path_factory: pytest.TempPathFactory,
                         monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Every run a test makes logs into a folder of its own, and the mail-program readers
    look into an empty home: a test never reads or writes the user's files.  Tests that
    need other folders set SMTPDIAG_LOG_DIR / SMTPDIAG_HOME themselves (this is the default).
    The run log starts empty (no records another test left unwritten)."""
    from smtpdiag import runlog

    logs = tmp_path_factory.mktemp("logs")
    monkeypatch.setenv("SMTPDIAG_LOG_DIR", str(logs))
    monkeypatch.setenv("SMTPDIAG_HOME", str(EMPTY_HOME))
    runlog.forget()
    yield logs
    runlog.forget()


@pytest.fixture(scope="session")
def ca() -> trustme.CA:
    """The test certificate authority (tests that need RSA keys define their own)."""
    return trustme.CA()


@pytest.fixture
def english() -> Iterator[None]:
    """The words of the run in English (use: ``pytestmark = pytest.mark.usefixtures("english")``)."""
    set_language("en")
    yield
    set_language("en")


@pytest.fixture
def run_log(tmp_path: Path) -> Iterator[Callable[[], str]]:
    """The run log (smtpdiag.runlog) written to a file of this test: call it for the text."""
    from smtpdiag import runlog

    path = tmp_path / "run.log"
    runlog.open_log(path)
    try:
        yield lambda: path.read_text(encoding="utf-8") if path.exists() else ""
    finally:
        runlog.close_log()
