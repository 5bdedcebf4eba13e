"""Host state parsers, fed with recorded data of real Windows and macOS machines.

The fixtures in tests/fixtures/host/ are what the thin readers get from the
system (GetAdaptersAddresses records; `ifconfig`, `scutil --nwi`, `route -n get`,
`sw_vers`, `defaults read -g AppleLanguages` output).  The readers themselves run
only where their system exists (CI's Windows and macOS runners).
"""

from __future__ import annotations

import ipaddress
import json
import struct
from pathlib import Path

import pytest

from smtpdiag.host import environment, macos, system, windows
from smtpdiag.host import vpn as hostvpn
from smtpdiag.i18n import pick_language

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "host"


def _windows(name: str) -> tuple[list[windows.Adapter], dict[str, int | None]]:
    data = json.loads((FIXTURES / f"windows-{name}.json").read_text(encoding="utf-8"))
    return windows.adapters_from_records(data["adapters"]), data["best_interfaces"]


@pytest.mark.parametrize("machine, active, interfaces, via_vpn", [
    # the stock PC: ppp_32768 (WAN Miniport PPPoE, down), Teredo up, Hyper-V switch up
    ("stock", False, [], False),
    ("offline", False, [], None),
    ("openvpn-tap", True, ["OpenVPN TAP-Windows6"], True),
    ("openvpn-tap-disconnected", False, [], False),
    ("wireguard", True, ["office"], True),
    ("wintun", True, ["ProtonVPN"], True),
    ("anyconnect", True, ["Ethernet 2"], True),
    ("anyconnect-disconnected", False, [], False),
    ("globalprotect-split", True, ["Ethernet 3"], False),
    ("builtin-ikev2", True, ["Contoso VPN"], True),
])
def test_windows_vpn_state(machine: str, active: bool, interfaces: list[str],
                           via_vpn: bool | None) -> None:
    adapters, best = _windows(machine)
    assert windows.vpn_state(adapters, best) == {
        "vpn_active": active, "interfaces": interfaces, "default_route_via_vpn": via_vpn}


def test_the_stock_windows_list_holds_the_interfaces_that_fooled_if_nameindex() -> None:
    data = json.loads((FIXTURES / "windows-stock.json").read_text(encoding="utf-8"))
    names = {r.get("_if_nameindex") for r in data["adapters"]}
    assert {"ppp_32768", "tunnel_32512", "ethernet_32768"} <= names
    adapters = windows.adapters_from_records(data["adapters"])
    assert not any(windows.is_vpn_adapter(a) for a in adapters)


def test_windows_records_with_missing_or_broken_fields_are_skipped_or_harmless() -> None:
    adapters = windows.adapters_from_records([
        {"IfIndex": "x"}, {}, {"IfIndex": 3, "OperStatus": 1, "IfType": 23, "Unicast": ["garbage"]}])
    assert [a.index for a in adapters] == [0, 3]
    assert windows.vpn_state(adapters, {"ipv4": None, "ipv6": None})["vpn_active"] is False


def test_windows_sockaddr_round_trip() -> None:
    for text in ("192.0.2.1", "10.8.0.6", "2001:db8::1", "fe80::9c4b:1a2e:57d0:c3f8"):
        assert windows.sockaddr_text(windows.sockaddr_bytes(text)) == text
    # A SOCKADDR_IN6 as GetAdaptersAddresses hands it over: family 23 (not 10 or 30),
    # port, flow info, address, scope id.
    raw = struct.pack("<HHI16sI", 23, 0, 0, ipaddress.IPv6Address("2a02:8109::7").packed, 12)
    assert windows.sockaddr_text(raw) == "2a02:8109::7"
    assert windows.sockaddr_text(b"\x02\x00") is None
    assert windows.sockaddr_text(struct.pack("<H", 17) + bytes(14)) is None  # AF_NETBIOS


@pytest.mark.parametrize("major, build, edition, name", [
    (10, 19045, "Professional", "Windows 10 (build 19045)"),
    (10, 22000, "Core", "Windows 11 (build 22000)"),
    (10, 22631, "Professional", "Windows 11 (build 22631)"),
    (10, 26100, "", "Windows 11 (build 26100)"),
    (10, 20348, "ServerStandard", "Windows Server (build 20348)"),
    (6, 9600, "", "Windows 6 (build 9600)"),
])
def test_windows_name_from_the_build_number(major: int, build: int, edition: str, name: str) -> None:
    assert windows.windows_name(major, build, edition) == name


def test_windows_ui_languages_buffer() -> None:
    assert windows.parse_multi_sz("de-DE\0en-US\0\0") == ["de-DE", "en-US"]
    assert windows.parse_multi_sz("\0\0") == []


def _mac(machine: str, what: str) -> str:
    return (FIXTURES / f"macos-{machine}-{what}.txt").read_text(encoding="utf-8")


@pytest.mark.parametrize("machine, active, interfaces, via_vpn", [
    # six idle utun (system services, link-local IPv6 only) are no VPN
    ("idle", False, [], False),
    ("offline", False, [], None),
    ("wireguard", True, ["utun6"], True),  # half routes: default stays en0, 192.0.2.1 goes utun6
    ("tailscale-ipv4only", True, ["utun7"], False),  # split tunnel
])
def test_macos_vpn_state(machine: str, active: bool, interfaces: list[str],
                         via_vpn: bool | None) -> None:
    state = macos.vpn_state(
        macos.parse_ifconfig(_mac(machine, "ifconfig")),
        macos.parse_scutil_nwi(_mac(machine, "scutil-nwi")),
        [macos.parse_route_get(_mac(machine, "route-default")),
         macos.parse_route_get(_mac(machine, "route-probe"))])
    assert state == {"vpn_active": active, "interfaces": interfaces, "default_route_via_vpn": via_vpn}


def test_macos_parsers_read_the_real_formats() -> None:
    assert macos.parse_route_get(_mac("idle", "route-default")) == "en0"
    assert macos.parse_route_get(_mac("wireguard", "route-probe")) == "utun6"
    assert macos.parse_route_get(_mac("offline", "route-default")) is None
    nwi = macos.parse_scutil_nwi(_mac("wireguard", "scutil-nwi"))
    assert nwi.ipv4 == ("utun6", "en0") and nwi.ipv6 == ("en0",)
    assert nwi.vpn_servers == {"utun6": "203.0.113.44"}
    v4only = macos.parse_scutil_nwi(_mac("tailscale-ipv4only", "scutil-nwi"))
    assert v4only.ipv4 == ("en0",) and v4only.ipv6 == ()
    interfaces = {i.name: i for i in macos.parse_ifconfig(_mac("idle", "ifconfig"))}
    assert interfaces["utun0"].up and interfaces["utun0"].routable_addresses == ()
    assert not interfaces["gif0"].up
    assert "192.168.178.23" in interfaces["en0"].routable_addresses


def test_macos_version_and_languages() -> None:
    info = macos.parse_sw_vers((FIXTURES / "macos-sw_vers.txt").read_text(encoding="utf-8"))
    assert macos.macos_name(info["ProductVersion"], info["ProductName"]) == "macOS 14.5"
    assert macos.macos_name("") == "macOS"
    langs = (FIXTURES / "macos-apple-languages.txt").read_text(encoding="utf-8")
    assert macos.parse_apple_languages(langs) == ["de-DE", "en", "fr-CH"]
    assert macos.parse_apple_languages("") == []
    assert macos.parse_apple_languages('(\n    "zh-Hans-CN"\n)') == ["zh-Hans-CN"]


@pytest.mark.parametrize("sources, families", [
    ({"ipv4": "192.168.178.34", "ipv6": "2a02:8109:b6c0:5600:d4e1:2f3a:8c5b:1e90"}, ["ipv4", "ipv6"]),
    ({"ipv4": "192.168.178.34", "ipv6": None}, ["ipv4"]),  # no IPv6 route (macOS: EHOSTUNREACH)
    ({"ipv4": "10.0.0.5", "ipv6": "fe80::1%en0"}, ["ipv4"]),  # link-local only is no IPv6
    ({"ipv4": None, "ipv6": "2001:db8:1::5"}, ["ipv6"]),  # IPv6-only network
    ({"ipv4": "0.0.0.0", "ipv6": None}, []),
    ({}, []),
])
def test_families_from_source_addresses(sources: dict[str, str | None], families: list[str]) -> None:
    assert system.families_from_sources(sources) == families


def test_linux_families_from_the_routing_tables() -> None:
    v4 = ("Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n"
          "eth0\t00000000\t0102A8C0\t0003\t0\t0\t100\t00000000\t0\t0\t0\n")
    v6 = ("00000000000000000000000000000000 00 00000000000000000000000000000000 00 "
          "fe800000000000000000000000000001 00000400 00000001 00000000 00000003 eth0\n")
    assert system.linux_ip_families(v4, v6) == ["ipv4", "ipv6"]
    assert system.linux_ip_families(v4.splitlines()[0], "") == []


@pytest.mark.parametrize("environ, tags", [
    ({"LANG": "de_DE.UTF-8"}, ["de_DE"]),
    ({"LANGUAGE": "fr:en", "LANG": "de_DE.UTF-8"}, ["fr", "en", "de_DE"]),
    ({"LC_ALL": "C", "LANG": "de_DE.UTF-8"}, []),  # LC_ALL=C decides: no language
    ({"LC_MESSAGES": "sr_RS@latin"}, ["sr_RS"]),
    ({}, []),  # a Mac app started from Finder: then AppleLanguages decides
])
def test_posix_languages(environ: dict[str, str], tags: list[str]) -> None:
    assert system.posix_languages(environ) == tags


def test_ui_languages_prefer_the_environment_over_the_system() -> None:
    assert system.ui_languages("darwin", {"LANG": "de_AT.UTF-8"}) == ["de_AT"]
    assert system.ui_languages("linux", {}) == []


@pytest.mark.parametrize("tags, chosen", [
    (["de-DE", "en-US"], "de"), (["de_AT"], "de"), (["fr-CH", "de-DE"], "de"),
    (["pt-BR"], None), (["zh-Hans-CN", "en"], "en"), ([], None),
])
def test_pick_language(tags: list[str], chosen: str | None) -> None:
    assert pick_language(tags, ["de", "en"]) == chosen


def test_os_name_here_is_not_empty() -> None:
    assert system.os_name().strip()


def _windows_readers(monkeypatch: pytest.MonkeyPatch, machine: str) -> None:
    data = json.loads((FIXTURES / f"windows-{machine}.json").read_text(encoding="utf-8"))
    monkeypatch.setattr(windows, "read_adapters", lambda: data["adapters"])
    monkeypatch.setattr(windows, "read_best_interfaces", lambda: data["best_interfaces"])
    monkeypatch.setattr(hostvpn, "PLATFORM", "win32")


def test_local_vpn_state_on_a_stock_windows_says_no_vpn(monkeypatch: pytest.MonkeyPatch) -> None:
    _windows_readers(monkeypatch, "stock")
    assert hostvpn.local_vpn_state() == {"vpn_active": False, "interfaces": [],
                                         "default_route_via_vpn": False}
    _windows_readers(monkeypatch, "openvpn-tap")
    assert hostvpn.local_vpn_state()["interfaces"] == ["OpenVPN TAP-Windows6"]


def test_local_vpn_state_on_a_mac_reads_its_commands(monkeypatch: pytest.MonkeyPatch) -> None:
    outputs = {("/sbin/ifconfig",): _mac("idle", "ifconfig"),
               ("/usr/sbin/scutil", "--nwi"): _mac("idle", "scutil-nwi"),
               ("/sbin/route", "-n", "get", "default"): _mac("idle", "route-default"),
               ("/sbin/route", "-n", "get", "192.0.2.1"): _mac("idle", "route-probe")}
    monkeypatch.setattr(macos, "_run", lambda *argv: outputs[argv])
    monkeypatch.setattr(hostvpn, "PLATFORM", "darwin")
    assert hostvpn.local_vpn_state() == {"vpn_active": False, "interfaces": [],
                                         "default_route_via_vpn": False}


def test_a_failing_reader_gives_no_vpn_not_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse() -> list[dict[str, object]]:
        raise OSError(232, "GetAdaptersAddresses failed")  # ERROR_NO_DATA

    monkeypatch.setattr(windows, "read_adapters", refuse)
    monkeypatch.setattr(hostvpn, "PLATFORM", "win32")
    assert hostvpn.local_vpn_state() == {"vpn_active": False, "interfaces": [],
                                         "default_route_via_vpn": None}


def test_the_environment_names_the_os_and_families() -> None:
    env = environment.environment()
    assert env["os"].strip() and set(env["ip_families"]) <= {"ipv4", "ipv6"}
    assert isinstance(env["vpn_active"], bool)


def test_the_first_system_ui_language_with_a_catalog_wins() -> None:
    from smtpdiag import i18n

    before = (i18n.current_language(), i18n.language_is_explicit())
    try:
        assert i18n.set_language(None, ["fr-CH", "de-AT", "en"]) == "de"
        assert not i18n.language_is_explicit()
        assert i18n.set_language("en", ["de-DE"]) == "en" and i18n.language_is_explicit()
    finally:
        i18n.set_language(before[0])
        i18n._explicit = before[1]


def test_a_mac_tunnel_with_only_link_local_or_unique_local_ipv6_is_not_a_vpn() -> None:
    idle = macos.MacInterface("utun5", True, ("fe80::e3a4:17bf:6c02:58d9%utun5", "fd00:1:2::7"))
    wg6 = macos.MacInterface("utun6", True, ("2a02:8109:b6c0:9999::2",))
    state = macos.vpn_state([idle, wg6], macos.NetworkInfo(), ["en0"])
    assert state == {"vpn_active": True, "interfaces": ["utun6"], "default_route_via_vpn": False}
