"""PortPool: even RTP ports, round robin, exhaustion."""

import pytest

from media.errors import MediaError
from media.ports import PortPool


def test_port_pool_even_round_robin_and_exhaustion() -> None:
    pool = PortPool(20001, 20008)
    assert pool.capacity == 3
    got = [pool.acquire() for _ in range(3)]
    assert got == [20002, 20004, 20006]
    with pytest.raises(MediaError, match="all 3 RTP ports in use"):
        pool.acquire()
    pool.release(20004)
    assert pool.acquire() == 20004 and pool.in_use == 3
    with pytest.raises(ValueError):
        PortPool(20001, 20002)
