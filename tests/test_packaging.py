"""The installable app (packaging/): desktop files, icons, installer scripts, and the frozen bundle.

Fast tests (always): the Linux desktop entry and AppStream metainfo parse and name
smtpdiag's APP_ID (and pass desktop-file-validate / appstreamcli when those are
installed), the icons are what the platforms need, the desktop-entry installer
writes a valid entry, the certificate-path runtime hook picks the right bundle,
the macOS and Windows files parse.

Slow tests (SMTPDIAG_BUILD_BUNDLE=1): build the bundle with packaging/build.sh
(SMTPDIAG_BUILD_BUNDLE=reuse takes an existing dist/ build), unpack the tarball
into a fresh folder as a customer would, and run it with a minimal environment and
no Python on PATH: --version, a check against a loopback aiosmtpd + trustme server,
the system trust store (on a simulated foreign distribution, if this is root),
demo --text, translations, and the window offscreen.  Sizes and start-up times are
printed and written to build/bundle-metrics.json.
"""

from __future__ import annotations

import configparser
import json
import os
import plistlib
import re
import shlex
import shutil
import socket
import ssl
import struct
import subprocess
import sys
import tarfile
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

import smtpdiag

ROOT = Path(__file__).resolve().parents[1]
PACKAGING = ROOT / "packaging"
LINUX = ROOT / "resources" / "linux"
DESKTOP = LINUX / f"{smtpdiag.APP_ID}.desktop"
METAINFO = LINUX / f"{smtpdiag.APP_ID}.metainfo.xml"
IS_LINUX = sys.platform.startswith("linux")


# --- desktop entry and AppStream ----------------------------------------------------------

def read_desktop(path: Path) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(interpolation=None, strict=True)
    parser.optionxform = str  # type: ignore[assignment,method-assign]  # keys are case-sensitive
    parser.read_string(path.read_text(encoding="utf-8"))
    return parser


def test_desktop_entry_names_the_app() -> None:
    entry = read_desktop(DESKTOP)["Desktop Entry"]
    assert entry["Type"] == "Application"
    assert entry["Icon"] == smtpdiag.APP_ID  # as app.setDesktopFileName(APP_ID) / Wayland app_id
    assert entry["Exec"].split()[0] == "smtpdiag"  # the console script of pyproject.toml
    assert entry["TryExec"] == "smtpdiag"
    assert entry["StartupWMClass"] == smtpdiag.APP_NAME  # Qt's WM_CLASS is the application name
    assert entry["Terminal"] == "false"
    assert "Network" in entry["Categories"].split(";")
    assert entry["Name"] and entry["Comment"] and entry["Keywords"].endswith(";")


def test_metainfo_names_the_same_app() -> None:
    root = ET.parse(METAINFO).getroot()
    assert root.tag == "component" and root.get("type") == "desktop-application"
    assert root.findtext("id") == smtpdiag.APP_ID
    assert root.findtext("launchable") == DESKTOP.name
    assert root.find("launchable").get("type") == "desktop-id"  # type: ignore[union-attr]
    assert root.findtext("provides/binary") == "smtpdiag"
    assert root.find("developer").get("id")  # type: ignore[union-attr]
    assert root.find("content_rating") is not None
    versions = [r.get("version") for r in root.iter("release")]
    assert smtpdiag.__version__ in versions, "add a <release> for the new version"
    for image in root.iter("image"):
        assert image.text and image.text.startswith("https://")
        assert (ROOT / "docs" / "screenshots" / image.text.rsplit("/", 1)[1]).is_file()


def test_desktop_entry_passes_desktop_file_validate() -> None:
    tool = shutil.which("desktop-file-validate")
    if not tool:
        pytest.skip("desktop-file-validate is not installed (apt-get install desktop-file-utils)")
    result = subprocess.run([tool, str(DESKTOP)], capture_output=True, text=True)
    assert result.returncode == 0 and not result.stdout.strip(), result.stdout + result.stderr


def test_metainfo_passes_appstreamcli_validate() -> None:
    tool = shutil.which("appstreamcli")
    if not tool:
        pytest.skip("appstreamcli is not installed (apt-get install appstream)")
    result = subprocess.run([tool, "validate", "--no-net", str(METAINFO)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    # Older appstreamcli (0.16) does not know <developer>; anything else is a real finding.
    findings = [line for line in result.stdout.splitlines() if re.match(r"\s*[EWI]:", line)
                and "unknown-tag developer" not in line]
    assert not findings, result.stdout


# --- icons ---------------------------------------------------------------------------------

def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()[:24]
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    return struct.unpack(">II", data[16:24])


def test_icons_for_every_platform() -> None:
    assert png_size(ROOT / "resources" / "icons" / "smtpdiag-256.png") == (256, 256)
    ico = (PACKAGING / "windows" / "smtpdiag.ico").read_bytes()
    reserved, kind, count = struct.unpack("<HHH", ico[:6])
    assert (reserved, kind) == (0, 1)
    sizes = {(ico[6 + 16 * i] or 256) for i in range(count)}
    assert {16, 24, 32, 48, 256} <= sizes
    icns = (PACKAGING / "macos" / "smtpdiag.icns").read_bytes()
    assert icns[:4] == b"icns" and struct.unpack(">I", icns[4:8])[0] == len(icns)
    assert b"ic10" in icns  # 1024 px (512@2x)


# --- installer scripts and platform files --------------------------------------------------

@pytest.mark.parametrize("script", ["packaging/build.sh", "packaging/macos/build.sh",
                                    "packaging/linux/install-desktop-entry.sh"])
def test_shell_scripts_parse(script: str) -> None:
    shell = "sh" if script.endswith("install-desktop-entry.sh") else "bash"
    if not shutil.which(shell):
        pytest.skip(f"no {shell}")
    result = subprocess.run([shell, "-n", str(ROOT / script)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def fake_app_folder(folder: Path) -> Path:
    """An app folder as packaging/build.sh lays it out, with a stand-in program."""
    share = folder / "share"
    for src, dest in [(DESKTOP, f"applications/{DESKTOP.name}"),
                      (METAINFO, f"metainfo/{METAINFO.name}"),
                      (ROOT / "resources/icons/smtpdiag.svg", f"icons/hicolor/scalable/apps/{smtpdiag.APP_ID}.svg"),
                      (ROOT / "resources/icons/smtpdiag-256.png",
                       f"icons/hicolor/256x256/apps/{smtpdiag.APP_ID}.png")]:
        (share / dest).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(src, share / dest)
    program = folder / "smtpdiag"
    program.write_text("#!/bin/sh\necho smtpdiag 0.0\n")
    program.chmod(0o755)
    script = folder / "install-desktop-entry.sh"
    shutil.copy(PACKAGING / "linux" / "install-desktop-entry.sh", script)
    script.chmod(0o755)
    return script


@pytest.mark.skipif(not IS_LINUX, reason="the desktop entry is for Linux")
@pytest.mark.parametrize("folder_name", ["smtpdiag", "my apps/smtpdiag"])
def test_install_desktop_entry(tmp_path: Path, folder_name: str) -> None:
    app = tmp_path / folder_name
    app.mkdir(parents=True)
    script = fake_app_folder(app)
    prefix = tmp_path / "prefix"
    env = {**os.environ, "PATH": os.environ.get("PATH", "/usr/bin:/bin")}
    result = subprocess.run([str(script), "--prefix", str(prefix)], capture_output=True, text=True, env=env)
    assert result.returncode == 0, result.stderr
    installed = prefix / "share" / "applications" / DESKTOP.name
    entry = read_desktop(installed)["Desktop Entry"]
    program = str(app.resolve() / "smtpdiag")
    assert entry["TryExec"] == program
    assert entry["Exec"] == (f'"{program}"' if " " in program else program)
    assert read_desktop(installed)["Desktop Action demo"]["Exec"] == entry["Exec"] + " demo"
    for icon in (f"scalable/apps/{smtpdiag.APP_ID}.svg", f"256x256/apps/{smtpdiag.APP_ID}.png"):
        assert (prefix / "share" / "icons" / "hicolor" / icon).is_file()
    assert (prefix / "share" / "metainfo" / METAINFO.name).is_file()
    link = prefix / "bin" / "smtpdiag"
    assert link.is_symlink() and link.resolve() == Path(program)
    tool = shutil.which("desktop-file-validate")
    if tool:
        check = subprocess.run([tool, str(installed)], capture_output=True, text=True)
        assert check.returncode == 0 and not check.stdout.strip(), check.stdout

    result = subprocess.run([str(script), "--prefix", str(prefix), "--uninstall"],
                            capture_output=True, text=True, env=env)
    assert result.returncode == 0, result.stderr
    assert not installed.exists() and not link.exists() and not link.is_symlink()


def test_macos_plists() -> None:
    info = plistlib.loads((PACKAGING / "macos" / "Info.plist").read_bytes())
    assert info["CFBundleIdentifier"] == smtpdiag.APP_ID
    assert info["LSMinimumSystemVersion"] == "11.0"
    assert info["NSHighResolutionCapable"] is True
    entitlements = plistlib.loads((PACKAGING / "macos" / "entitlements.plist").read_bytes())
    assert entitlements.get("com.apple.security.network.client") is True
    # nothing that weakens the hardened runtime without a reason in docs/packaging.md
    assert not any(key.startswith("com.apple.security.cs.") for key in entitlements)


def test_windows_installer_script() -> None:
    iss = (PACKAGING / "windows" / "smtpdiag.iss").read_text(encoding="utf-8")
    assert re.search(r"AppId=\{\{[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}\}", iss)
    assert "PrivilegesRequired=lowest" in iss
    assert "smtpdiagw.exe" in iss
    assert "#ifndef AppVersion" in iss and "AppVersion={#AppVersion}" in iss  # from iscc /DAppVersion=


def test_build_pins_fit_the_project() -> None:
    """packaging/requirements-build.txt pins versions inside pyproject.toml's ranges
    (else packaging/build.sh cannot install smtpdiag next to them)."""
    import tomllib

    from packaging.requirements import Requirement

    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    wanted = {}
    for spec in project["dependencies"] + project["optional-dependencies"]["gui"]:
        req = Requirement(spec)
        wanted[req.name.lower()] = req.specifier
    pins = [Requirement(line.split("#")[0].strip()) for line in
            (PACKAGING / "requirements-build.txt").read_text(encoding="utf-8").splitlines()
            if line.split("#")[0].strip()]
    assert any(pin.name.lower() == "pyside6-essentials" for pin in pins)
    for pin in pins:
        (version,) = [s.version for s in pin.specifier if s.operator == "=="]
        if pin.name.lower() in wanted:
            assert wanted[pin.name.lower()].contains(version), f"{pin} is outside pyproject.toml's range"


# --- the certificate-path runtime hook -----------------------------------------------------

def load_ssl_hook():  # type: ignore[no-untyped-def]
    import runpy

    return runpy.run_path(str(PACKAGING / "hooks" / "rthook_ssl_paths.py"), run_name="rthook_test")


def test_ssl_hook_leaves_working_defaults_and_user_choices_alone(tmp_path: Path) -> None:
    hook = load_ssl_hook()
    bundle = tmp_path / "bundle.pem"
    bundle.write_text("x")
    working = ssl.DefaultVerifyPaths(str(bundle), None, "SSL_CERT_FILE", str(bundle), "SSL_CERT_DIR", "/nowhere")
    missing = ssl.DefaultVerifyPaths(None, None, "SSL_CERT_FILE", "/nowhere/cert.pem", "SSL_CERT_DIR", "/nowhere")
    assert hook["ssl_cert_env"]({}, working, (str(bundle),), ()) == {}
    assert hook["ssl_cert_env"]({"SSL_CERT_FILE": "/mine.pem"}, missing, (str(bundle),), ()) == {}
    assert hook["ssl_cert_env"]({"SSL_CERT_DIR": "/mine"}, missing, (str(bundle),), ()) == {}


def test_ssl_hook_finds_the_distributions_bundle(tmp_path: Path) -> None:
    hook = load_ssl_hook()
    suse = tmp_path / "ca-bundle.pem"
    suse.write_text("x")
    certs = tmp_path / "certs"
    certs.mkdir()
    (tmp_path / "empty").mkdir()
    missing = ssl.DefaultVerifyPaths(None, None, "SSL_CERT_FILE", "/nowhere/cert.pem", "SSL_CERT_DIR", "/nowhere")
    files = (str(tmp_path / "absent.crt"), str(suse))
    dirs = (str(tmp_path / "empty"), str(certs))
    assert hook["ssl_cert_env"]({}, missing, files, dirs) == {"SSL_CERT_FILE": str(suse)}
    (certs / "9d04f354.0").write_text("x")  # a hashed certificate name
    assert hook["ssl_cert_env"]({}, missing, files, dirs) == {"SSL_CERT_FILE": str(suse),
                                                              "SSL_CERT_DIR": str(certs)}
    # a directory of OpenSSL's defaults without hashed certificates does not count
    empty_default = ssl.DefaultVerifyPaths(None, str(tmp_path / "empty"), "SSL_CERT_FILE",
                                           "/nowhere/cert.pem", "SSL_CERT_DIR", str(tmp_path / "empty"))
    assert hook["ssl_cert_env"]({}, empty_default, files, ())["SSL_CERT_FILE"] == str(suse)


# --- the ICU data trimmer (Linux bundle) -----------------------------------------------------

def load_icu_trim():  # type: ignore[no-untyped-def]
    sys.path.insert(0, str(PACKAGING))
    try:
        import icu_trim
    finally:
        sys.path.remove(str(PACKAGING))
    return icu_trim


def fake_icu_package(icu_trim, items: dict[str, bytes]) -> bytes:  # type: ignore[no-untyped-def]
    info = struct.pack("<HBBBBBB", 20, 0, 0, 0, 2, 0, 0) + b"CmnD" + bytes([1, 0, 0, 0]) + bytes([73, 1, 0, 0])
    header = struct.pack("<H", 32) + b"\xda\x27" + info.ljust(28, b"\0")
    return icu_trim.build_package(header, list(items.items()))  # type: ignore[no-any-return]


def test_icu_package_round_trip() -> None:
    icu_trim = load_icu_trim()
    items = {"icudt73l/root.res": b"root" * 5, "icudt73l/coll/de.res": b"de",
             "icudt73l/brkitr/word.brk": b"w" * 33, "icudt73l/lang/de.res": b"x"}
    header, parsed = icu_trim.parse_package(fake_icu_package(icu_trim, items))
    # items come back padded to 16 bytes and sorted by name
    assert [name for name, _ in parsed] == sorted(items)
    assert all(data.rstrip(b"\0") == items[name].rstrip(b"\0") for name, data in parsed)
    assert all(len(data) % 16 == 0 for name, data in parsed[:-1])
    with pytest.raises(icu_trim.IcuDataError):
        icu_trim.parse_package(b"\0" * 64)


@pytest.mark.skipif(not IS_LINUX or not (shutil.which("cc") or shutil.which("gcc")), reason="needs Linux and cc")
def test_icu_trim_keeps_what_qt_uses(tmp_path: Path) -> None:
    icu_trim = load_icu_trim()
    items = {f"icudt73l/{name}": name.encode().ljust(32, b"-") for name in
             ("root.res", "de.res", "coll/de.res", "coll/ucadata.icu", "zone/de.res", "cnvalias.icu",
              "brkitr/word.brk", "curr/de.res", "lang/de.res", "region/de.res", "unit/de.res",
              "rbnf/de.res", "translit/de.res")}
    package = fake_icu_package(icu_trim, items)
    original = tmp_path / "libicudata.so.73"
    icu_trim.link_library("icudt73_dat", package, original.name, original)
    assert icu_trim.read_symbol(original) == ("icudt73_dat", package)
    trimmed = tmp_path / "trimmed" / "libicudata.so.73"
    trimmed.parent.mkdir()
    before, after = icu_trim.trim_library(original, trimmed)
    assert after < before
    symbol, blob = icu_trim.read_symbol(trimmed)
    kept = sorted(name.split("/", 1)[1] for name, _ in icu_trim.parse_package(blob)[1])
    assert kept == ["cnvalias.icu", "coll/de.res", "coll/ucadata.icu", "de.res", "root.res", "zone/de.res"]
    assert symbol == "icudt73_dat"


# === the frozen bundle (slow) ===============================================================

BUILD = os.environ.get("SMTPDIAG_BUILD_BUNDLE", "")
slow = pytest.mark.skipif(
    BUILD not in ("1", "reuse") or not IS_LINUX,
    reason="slow: builds the PyInstaller bundle; set SMTPDIAG_BUILD_BUNDLE=1 to build and test it "
           "(SMTPDIAG_BUILD_BUNDLE=reuse tests an existing dist/ build); Linux only",
)
METRICS: dict[str, object] = {}


def minimal_env(home: Path, **extra: str) -> dict[str, str]:
    """What a customer's fresh session might have: no Python, no SSL_CERT_* variables."""
    nopython = home / "bin"
    nopython.mkdir(exist_ok=True)
    return {"PATH": str(nopython), "HOME": str(home), "QT_QPA_PLATFORM": "offscreen", **extra}


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tarball, built (or reused) and unpacked into a fresh folder: the program in it."""
    dist = ROOT / "dist"
    if BUILD == "1":
        # Once per test run, also with pytest-xdist: the first worker builds, the others wait.
        import fcntl

        run_id = os.environ.get("PYTEST_XDIST_TESTRUNUID") or str(os.getpid())
        (ROOT / "build").mkdir(exist_ok=True)
        marker = ROOT / "build" / ".bundle-built-by-test"
        with open(ROOT / "build" / ".bundle-build.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            if not (marker.exists() and marker.read_text() == run_id):
                started = time.monotonic()
                result = subprocess.run(["bash", str(PACKAGING / "build.sh")], capture_output=True,
                                        text=True)
                assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-5000:]
                # It talks only on stderr, in labelled lines, and ends by naming the tarball.
                assert result.stdout == "", result.stdout[-3000:]
                lines = result.stderr.splitlines()
                assert all(line.startswith("build:") for line in lines), result.stderr[-5000:]
                assert "tarball is " in lines[-1] and lines[-1].endswith("MB)"), lines[-1]
                METRICS["build_seconds"] = round(time.monotonic() - started, 1)
                marker.write_text(run_id)
    tarballs = sorted(dist.glob(f"smtpdiag-{smtpdiag.__version__}-linux-*.tar.gz"))
    assert tarballs, "no tarball in dist/: run bash packaging/build.sh"
    tarball = tarballs[-1]
    customer = tmp_path_factory.mktemp("customer")
    with tarfile.open(tarball) as tar:
        if hasattr(tarfile, "tar_filter"):  # Python 3.11.4+
            tar.extractall(customer, filter="tar")
        else:
            tar.extractall(customer)  # noqa: S202 - our own tarball
    app = customer / "smtpdiag"
    METRICS["tarball"] = str(tarball)
    METRICS["tarball_mb"] = round(tarball.stat().st_size / 2**20, 1)
    METRICS["unpacked_mb"] = round(sum(p.lstat().st_size for p in app.rglob("*")) / 2**20, 1)
    return app / "smtpdiag"


@pytest.fixture()
def home(tmp_path: Path) -> Path:
    (tmp_path / "home").mkdir()
    return tmp_path / "home"


def run_app(program: Path, *args: str, env: dict[str, str], timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(program), *args], capture_output=True, text=True, env=env,
                          timeout=timeout, cwd=env["HOME"])


def selftest(program: Path, env: dict[str, str]) -> dict:  # type: ignore[type-arg]
    result = run_app(program, env={**env, "SMTPDIAG_BUNDLE_SELFTEST": "1"})
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)  # type: ignore[no-any-return]


class SmtpServers:
    def __init__(self, ca_file: Path, starttls_port: int, implicit_port: int) -> None:
        self.ca_file, self.starttls_port, self.implicit_port = ca_file, starttls_port, implicit_port


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def smtp_servers(folder: Path) -> Iterator[SmtpServers]:
    """aiosmtpd on loopback with a trustme certificate: one STARTTLS port, one implicit TLS port."""
    import trustme
    from aiosmtpd.controller import Controller

    class Handler:
        async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]
            return "250 OK"

    ca = trustme.CA()
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ca.issue_cert("127.0.0.1", "localhost").configure_cert(context)
    ca_file = folder / "test-ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    starttls = Controller(Handler(), hostname="127.0.0.1", port=free_port(), tls_context=context,
                          require_starttls=False)
    implicit = Controller(Handler(), hostname="127.0.0.1", port=free_port(), ssl_context=context)
    starttls.start()
    implicit.start()
    try:
        yield SmtpServers(ca_file, starttls.port, implicit.port)
    finally:
        starttls.stop()
        implicit.stop()


def check_args(servers: SmtpServers, *extra: str) -> list[str]:
    return ["check", "127.0.0.1", "--port", f"{servers.starttls_port}:starttls",
            "--port", f"{servers.implicit_port}:implicit", "--no-control", "--timeout", "5",
            "--format", "json", *extra]


@slow
@pytest.mark.timeout(1800)
def test_bundle_version_and_start_up_time(bundle: Path, home: Path) -> None:
    env = minimal_env(home)
    times = []
    for _ in range(5):
        started = time.perf_counter()
        result = run_app(bundle, "--version", env=env)
        times.append(time.perf_counter() - started)
        assert result.returncode == 0, result.stderr
        assert result.stdout == f"smtpdiag {smtpdiag.__version__}\n"
    METRICS["version_seconds_median"] = round(sorted(times)[len(times) // 2], 3)
    METRICS["version_seconds_first"] = round(times[0], 3)


@slow
@pytest.mark.timeout(300)
def test_bundle_finds_its_files_and_the_system_certificates(bundle: Path, home: Path) -> None:
    facts = selftest(bundle, minimal_env(home))
    assert facts["frozen"] and facts["version"] == smtpdiag.__version__
    assert facts["bundle"].startswith(str(bundle.parent))
    assert facts["resources_dir"].startswith(facts["bundle"]) and "smtpdiag.svg" in facts["icons"]
    assert facts["interceptors"] > 0
    paths = facts["verify_paths"]
    assert paths["cafile"] or paths["capath"], f"no CA certificates found: {paths}"
    for path in (paths["cafile"], paths["capath"]):
        assert path is None or os.path.exists(path)
    assert facts["default_context_cas"] > 0
    assert facts["qt"]["plugins"].startswith(facts["bundle"])
    # what Qt asks ICU for still works with the trimmed ICU data
    assert facts["qt"]["collation_de"] == ["apfel", "Äpfel", "Bär", "Zebra"]
    assert "Mitteleurop" in facts["qt"]["timezone_name_de"]
    assert facts["LD_LIBRARY_PATH"] is None  # programs started from the app get the user's own


@slow
@pytest.mark.timeout(300)
def test_bundle_check_against_loopback_server(bundle: Path, home: Path, tmp_path: Path) -> None:
    env = minimal_env(home)
    with smtp_servers(tmp_path) as servers:
        result = run_app(bundle, *check_args(servers, "--ca-file", str(servers.ca_file)), env=env)
        assert result.returncode == 0, result.stdout + result.stderr
        report = json.loads(result.stdout)
        assert report["overall"]["cause"] == "ok" and report["overall"]["light"] == "green"
        assert [c["cause"] for c in report["checks"]] == ["ok", "ok"]
        assert all(c["tls"]["verified"] for c in report["checks"])
        # Without the CA the same servers are untrusted: verification is really on (and an
        # untrusted certificate is red since the contract of 2026-11-30: exit 2).
        result = run_app(bundle, *check_args(servers), env=env)
        assert result.returncode == 2, result.stdout + result.stderr
        assert json.loads(result.stdout)["overall"]["cause"] == "tls_untrusted"


def unshare_usable() -> bool:
    if os.geteuid() != 0 or not shutil.which("unshare"):
        return False
    probe = subprocess.run(["unshare", "-m", "true"], capture_output=True)
    return probe.returncode == 0


@slow
@pytest.mark.timeout(300)
@pytest.mark.skipif(not (IS_LINUX and unshare_usable()), reason="needs root and unshare -m (mount namespaces)")
def test_bundle_uses_the_trust_store_of_another_distribution(bundle: Path, home: Path, tmp_path: Path) -> None:
    """On a distribution without Debian's /usr/lib/ssl (the bundle's OpenSSL default), the
    system bundle must still be found.  Simulated in a private mount namespace: /usr/lib/ssl
    and /etc/ssl are hidden and /etc/ssl/ca-bundle.pem (openSUSE's place) holds only the
    test CA, so "ok" without --ca-file proves the system store was used."""
    env = minimal_env(home, PATH="/usr/sbin:/usr/bin:/sbin:/bin")  # for mount and cp
    with smtp_servers(tmp_path) as servers:
        program = shlex.quote(str(bundle))
        script = (f"mount -t tmpfs none /usr/lib/ssl && mount -t tmpfs none /etc/ssl && "
                  f"cp {shlex.quote(str(servers.ca_file))} /etc/ssl/ca-bundle.pem && "
                  f"SMTPDIAG_BUNDLE_SELFTEST=1 {program} > selftest.json && "
                  f"exec {program} {shlex.join(check_args(servers))}")
        result = subprocess.run(["unshare", "-m", "/bin/sh", "-c", script], capture_output=True, text=True,
                                env=env, cwd=home, timeout=60)
        facts = json.loads((home / "selftest.json").read_text())
        assert facts["SSL_CERT_FILE"] == "/etc/ssl/ca-bundle.pem", facts
        assert result.returncode == 0, result.stdout + result.stderr
        assert json.loads(result.stdout)["overall"]["cause"] == "ok"


@slow
@pytest.mark.timeout(300)
def test_bundle_bad_input_is_exit_64_without_traceback(bundle: Path, home: Path) -> None:
    result = run_app(bundle, "check", "bad host", env=minimal_env(home))
    assert result.returncode == 64
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1


@slow
@pytest.mark.timeout(300)
def test_bundle_demo_text(bundle: Path, home: Path) -> None:
    result = run_app(bundle, "demo", "--text", "healthy", env=minimal_env(home))
    assert result.returncode == 0, result.stderr
    assert "healthy" in result.stdout and "ok" in result.stdout
    assert "Traceback" not in result.stderr


def write_mo(path: Path, catalog: dict[str, str]) -> None:
    """A GNU .mo file (the format scripts/i18n.py compiles to)."""
    keys = sorted(catalog)
    ids = b"".join(k.encode() + b"\0" for k in keys)
    strs = b"".join(catalog[k].encode() + b"\0" for k in keys)
    start = 7 * 4 + 16 * len(keys)
    id_table, offset = [], start
    for k in keys:
        id_table += [len(k.encode()), offset]
        offset += len(k.encode()) + 1
    str_table = []
    for k in keys:
        str_table += [len(catalog[k].encode()), offset]
        offset += len(catalog[k].encode()) + 1
    header = struct.pack("<7I", 0x950412DE, 0, len(keys), 7 * 4, 7 * 4 + 8 * len(keys), 0, 0)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(header + struct.pack(f"<{len(id_table)}I", *id_table)
                     + struct.pack(f"<{len(str_table)}I", *str_table) + ids + strs)


@slow
@pytest.mark.timeout(300)
def test_bundle_translations(bundle: Path, home: Path) -> None:
    """The frozen app reads catalogs from its bundle: every shipped language works, and a
    catalog dropped into the bundle's translations folder is picked up by --lang."""
    env = minimal_env(home)
    facts = selftest(bundle, env)
    translations = Path(facts["resources_dir"]) / "translations"
    qt_translations = Path(facts["qt"]["translations"])
    for lang in facts["languages"]:
        if lang != "en":
            assert list(qt_translations.glob(f"qtbase_{lang.split('_')[0]}*.qm")), f"no qtbase catalog for {lang}"
    write_mo(translations / "x-test" / "LC_MESSAGES" / "smtpdiag.mo",
             {"": "Content-Type: text/plain; charset=UTF-8\n", "Scenario": "SCENARIO-IN-TEST-LANGUAGE"})
    try:
        result = run_app(bundle, "demo", "--text", "healthy", "--lang", "x-test", env=env)
        assert result.returncode == 0, result.stderr
        assert "SCENARIO-IN-TEST-LANGUAGE" in result.stdout
    finally:
        shutil.rmtree(translations / "x-test")


@slow
@pytest.mark.timeout(300)
def test_bundle_window_offscreen(bundle: Path, home: Path) -> None:
    pytest.importorskip("smtpdiag.gui.app")
    env = minimal_env(home)
    # time from launch until the window is shown (the app prints shown_after_s and quits)
    started = time.perf_counter()
    result = run_app(bundle, "demo", env={**env, "SMTPDIAG_EXIT_WHEN_SHOWN": "1"})
    METRICS["window_shown_seconds"] = round(time.perf_counter() - started, 3)
    assert result.returncode == 0, result.stderr
    assert "shown_after_s=" in result.stdout
    # the window left running for 3 s, as a user would, then closed from outside
    process = subprocess.Popen([str(bundle), "demo"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True, env=env, cwd=home)
    try:
        process.wait(timeout=3)
        pytest.fail(f"the window exited by itself: {process.returncode}\n{process.stderr.read()}")  # type: ignore[union-attr]
    except subprocess.TimeoutExpired:
        pass
    process.terminate()
    try:
        _, stderr = process.communicate(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        _, stderr = process.communicate()
    for bad in ("Traceback", "Could not load the Qt platform plugin", "Segmentation fault",
                "Fatal Python error", "cannot open shared object", "QThread: Destroyed"):
        assert bad not in stderr, stderr


@slow
@pytest.mark.timeout(60)
def test_bundle_report_numbers(bundle: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Not a check: prints sizes and times (also to build/bundle-metrics.json); with
    pytest-xdist each worker only knows its own, so run without -n for all of them."""
    out = ROOT / "build" / "bundle-metrics.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(METRICS, indent=2) + "\n")
    with capsys.disabled():
        print("\nbundle metrics:", json.dumps(METRICS, indent=2))
    assert METRICS["unpacked_mb"]
