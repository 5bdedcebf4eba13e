"""Address or name: the one IP-literal test (target.ip_address_of) and what is built on it."""

from __future__ import annotations

import pytest

from smtpdiag.net import family_of, host_port, is_ip_literal
from smtpdiag.target import BadInput, ip_address_of, parse_target


@pytest.mark.parametrize(("text", "version"), [
    ("192.0.2.1", 4), ("2001:db8::1", 6), ("::ffff:127.0.0.1", 6), ("fe80::1%eth0", 6), ("::1", 6),
])
def test_addresses_are_addresses_of_their_family(text: str, version: int) -> None:
    ip = ip_address_of(text)
    assert ip is not None and ip.version == version
    assert is_ip_literal(text)
    assert family_of(text) == f"ipv{version}"


@pytest.mark.parametrize("text", ["mail.example.com", "", "192.0.2", "192.0.2.1.5", "[2001:db8::1]",
                                  "2001:db8::g", "192.0.2.1%eth0", " 192.0.2.1"])
def test_names_and_broken_addresses_are_not_addresses(text: str) -> None:
    assert ip_address_of(text) is None
    assert not is_ip_literal(text)


def test_a_name_counts_as_ipv4_and_addresses_are_written_as_people_do() -> None:
    assert family_of("mail.example.com") == "ipv4"
    assert host_port("192.0.2.1", 25) == "192.0.2.1:25"
    assert host_port("2001:db8::1", 587) == "[2001:db8::1]:587"


def test_a_typed_address_may_come_in_brackets_and_is_written_canonically() -> None:
    t = parse_target("[2001:DB8:0::1]")
    assert (t.host, t.is_ip) == ("2001:db8::1", True)
    assert parse_target("192.0.2.7").is_ip
    assert parse_target("user@[192.0.2.7]").host == "192.0.2.7"
    assert not parse_target("mail.example.com").is_ip
    with pytest.raises(BadInput, match="is not a valid IPv6 address"):
        parse_target("[mail.example.com]")
    with pytest.raises(BadInput, match="is not a valid IPv6 address"):
        parse_target("[2001:db8::1")
