"""A second control plane on a taken port fails loudly instead of sharing it (SO_REUSEPORT off)."""

import pytest

from tas.sandbox.grpc_server import ControlPlane


async def test_second_control_plane_cannot_share_the_port() -> None:
    first = ControlPlane()
    address = await first.start("127.0.0.1:0")
    try:
        with pytest.raises(OSError, match="cannot listen on"):
            await ControlPlane().start(address)
    finally:
        await first.stop()
