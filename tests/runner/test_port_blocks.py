"""The failover block's layout: etcd's ports and each Patroni cluster's, all distinct, all inside
the block, and the block clear of the next one (the second region's)."""

from __future__ import annotations

import pytest

from config.env import (
    DEFAULT_PORTS,
    FAILOVER_MAX_MEMBERS,
    FAILOVER_MAX_SCOPES,
    FAILOVER_WIDTH,
    failover_member_ports,
    failover_port,
)

pytestmark = pytest.mark.tier_independent


def test_every_cluster_has_ports_of_its_own_inside_the_block():
    base = 20_000
    ports = [failover_port("etcd", base), failover_port("etcd-peer", base)]
    for scope in range(FAILOVER_MAX_SCOPES):
        ports += [failover_port(slot, base, scope=scope) for slot in ("write", "read", "pooler")]
        for number in range(1, FAILOVER_MAX_MEMBERS + 1):
            ports += failover_member_ports(number, base, scope=scope)
    assert len(set(ports)) == len(ports)
    assert min(ports) == base
    assert max(ports) < base + FAILOVER_WIDTH
    assert DEFAULT_PORTS["FAILOVER_PORT"] + FAILOVER_WIDTH <= DEFAULT_PORTS["REGION_PORT"]


def test_a_cluster_or_member_past_the_block_is_refused():
    with pytest.raises(ValueError, match="clusters"):
        failover_port("write", 20_000, scope=FAILOVER_MAX_SCOPES)
    with pytest.raises(ValueError, match="members"):
        failover_member_ports(FAILOVER_MAX_MEMBERS + 1, 20_000)
