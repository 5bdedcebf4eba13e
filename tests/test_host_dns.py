"""Which DNS servers this computer asks: the pure parsers on each system's real output."""

from __future__ import annotations

from pathlib import Path

import pytest

from smtpdiag.host import dns

FIXTURES = Path(__file__).parent / "fixtures" / "dns"


def test_resolv_conf_in_order_without_comments_or_duplicates() -> None:
    text = "# comment\nnameserver 10.0.0.1 # office\n;nameserver 10.9.9.9\nnameserver  2001:db8::53\n" \
           "nameserver 10.0.0.1\nnameserver not-an-address\nsearch example.com\n"
    assert dns.parse_resolv_conf(text) == ["10.0.0.1", "2001:db8::53"]


def test_systemd_stub_is_replaced_by_the_servers_behind_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(dns, "RESOLV_CONF", FIXTURES / "resolv-systemd.conf")
    monkeypatch.setattr(dns, "RESOLVED_UPSTREAM", FIXTURES / "resolv-upstream.conf")
    assert dns.dns_servers("linux") == ["192.168.178.1", "fd00::3681:c4ff:fe12:3456"]
    monkeypatch.setattr(dns, "RESOLVED_UPSTREAM", FIXTURES / "missing.conf")
    assert dns.dns_servers("linux") == ["127.0.0.53"]
    monkeypatch.setattr(dns, "RESOLV_CONF", FIXTURES / "missing.conf")
    assert dns.dns_servers("linux") == []


def test_macos_scutil_output() -> None:
    text = (FIXTURES / "scutil-dns.txt").read_text(encoding="utf-8")
    assert dns.parse_scutil_dns(text) == ["192.168.178.1", "fe80::1%en0"]


def test_windows_registry_values_comma_or_space_separated() -> None:
    values = ["192.168.1.1,8.8.8.8", "", "192.168.1.1 2001:4860:4860::8888", "garbage"]
    assert dns.parse_windows_values(values) == ["192.168.1.1", "8.8.8.8", "2001:4860:4860::8888"]
