"""The minimal relay the fan-out benchmark compares with: Redis pub/sub straight to websockets,
no Django, no authentication, no ordering — the floor of what any design can do here.

    python -m crisis.benchmarks.relay PORT REDIS_URL CHANNEL
"""

from __future__ import annotations

import asyncio
import sys

import redis.asyncio as aioredis
import websockets

CLIENTS: set = set()


async def handler(ws) -> None:
    CLIENTS.add(ws)
    try:
        await ws.wait_closed()
    finally:
        CLIENTS.discard(ws)


async def main(port: int, redis_url: str, channel: str) -> None:
    client = aioredis.Redis.from_url(redis_url, socket_timeout=None)
    pubsub = client.pubsub()
    await pubsub.subscribe(channel)
    async with websockets.serve(handler, "127.0.0.1", port, max_queue=None, compression=None):
        print("relay ready", flush=True)
        async for message in pubsub.listen():
            if message["type"] == "message":
                websockets.broadcast(CLIENTS, message["data"].decode())


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]), sys.argv[2], sys.argv[3]))
