"""A TCP proxy that adds a fixed one-way delay: the link between two regions, simulated on one machine.

Two regions are tens of milliseconds apart; on one machine they are microseconds apart, so a
drill between them would measure nothing a real deployment sees. Every byte region B sends to
region A (its standbys' replication, its writes) crosses this proxy instead, and every chunk
read from either side is delivered ``--delay-ms`` later, in order, in both directions: a round
trip costs twice the delay, and a stream of WAL arrives the delay late without being throttled
(the delay is per chunk, not per connection, so chunks in flight overlap as packets on a long
link do). ``tc netem`` would do this in the kernel, but on the loopback interface it delays
every other process on the machine too, and needs privileges; Toxiproxy is not packaged by
Debian. Cutting the link is stopping this process (SIGKILL: connections reset, as a dead link's
would time out).

    python -m app.runner.latency_proxy --delay-ms 25 --route 15510:15432 --route 15514:15440
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import time
from collections.abc import Sequence
from dataclasses import dataclass

#: How much one read may take from a socket: a WAL stream's chunks, a query's packets.
CHUNK = 64 * 1024
#: Chunks held for their delay at most, per direction (16 MiB): past that the proxy stops reading,
#: and TCP holds the sender back, as a full link would, instead of the proxy's memory growing.
IN_FLIGHT = 256


@dataclass(frozen=True)
class Route:
    """Connections accepted on ``listen`` (loopback) are joined to ``target`` (loopback)."""

    listen: int
    target: int

    @classmethod
    def parse(cls, text: str) -> Route:
        listen, _, target = text.partition(":")
        return cls(int(listen), int(target))


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, delay: float) -> None:
    """Copy ``reader`` to ``writer``, each chunk sent ``delay`` seconds after it was read.

    Reading goes on while earlier chunks wait (up to ``IN_FLIGHT`` of them), so the delay adds
    latency, not a cap on throughput. End of stream is passed on (after the delay too) as a half close.
    """
    queue: asyncio.Queue[tuple[float, bytes]] = asyncio.Queue(maxsize=IN_FLIGHT)

    async def read() -> None:
        try:
            while chunk := await reader.read(CHUNK):
                await queue.put((time.monotonic() + delay, chunk))
        except (ConnectionError, OSError):
            pass
        await queue.put((time.monotonic() + delay, b""))

    reading = asyncio.create_task(read())
    try:
        while True:
            due, chunk = await queue.get()
            wait = due - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
            if not chunk:
                if writer.can_write_eof():
                    writer.write_eof()
                return
            writer.write(chunk)
            await writer.drain()
    except (ConnectionError, OSError):
        return
    finally:
        reading.cancel()


async def _join(route: Route, delay: float, client_reader: asyncio.StreamReader, client: asyncio.StreamWriter) -> None:
    try:
        server_reader, server = await asyncio.open_connection("127.0.0.1", route.target)
    except OSError:
        client.close()
        return
    # The connection itself crosses the link too: its first bytes arrive a round trip after it was asked for.
    await asyncio.sleep(2 * delay)
    try:
        await asyncio.gather(_pipe(client_reader, server, delay), _pipe(server_reader, client, delay))
    finally:
        for writer in (server, client):
            writer.close()
            with contextlib.suppress(ConnectionError, OSError):
                await writer.wait_closed()


async def serve(routes: Sequence[Route], delay: float) -> None:
    """Listen on every route's port until cancelled."""
    servers = []
    for route in routes:

        async def accept(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, route: Route = route) -> None:
            await _join(route, delay, reader, writer)

        servers.append(await asyncio.start_server(accept, "127.0.0.1", route.listen, reuse_address=True))
    print(
        f"latency proxy: {delay * 1000:.0f} ms each way on "
        + ", ".join(f":{route.listen} → :{route.target}" for route in routes),
        flush=True,
    )
    await asyncio.gather(*(server.serve_forever() for server in servers))


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--delay-ms", type=float, required=True, help="added to each chunk, each way")
    parser.add_argument("--route", type=Route.parse, action="append", required=True, help="LISTEN:TARGET")
    args = parser.parse_args(argv)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(args.route, args.delay_ms / 1000))


if __name__ == "__main__":
    main()
