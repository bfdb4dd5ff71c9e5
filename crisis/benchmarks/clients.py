"""Websocket clients for the fan-out benchmark, run as their own processes (no Django here).

    python -m crisis.benchmarks.clients URL COUNT [HEADER=VALUE]

Connects COUNT clients (a few at a time), prints "ready", then records for every message that
carries a sequence number the receipt time; on stdin EOF or "stop" it prints one JSON line:
{"connected": n, "received": [[client, seq, at, received_at], ...]} ("at" from the message)."""

from __future__ import annotations

import asyncio
import json
import sys
import time
from datetime import datetime

import websockets


async def client(
    index: int, url: str, headers: dict, records: list, ready: asyncio.Event, connected: list, closed: list
) -> None:
    async with websockets.connect(url, additional_headers=headers, max_queue=None, open_timeout=60) as ws:
        connected.append(index)
        ready.set()
        try:
            await _read(ws, index, records)
        except websockets.ConnectionClosed as exc:
            closed.append([index, exc.rcvd.code if exc.rcvd else None, str(exc)[:80]])


async def _read(ws, index: int, records: list) -> None:
    async for raw in ws:
        received = time.time()
        message = json.loads(raw)  # a real client parses every message, so this one does too
        seq = message.get("seq")
        if seq is not None:
            records.append((index, seq, message.get("at"), received))


async def main(url: str, count: int, headers: dict) -> None:
    records: list = []
    connected: list = []
    closed: list = []
    tasks = []
    for index in range(count):
        ready = asyncio.Event()
        tasks.append(asyncio.create_task(client(index, url, headers, records, ready, connected, closed)))
        if index % 25 == 24:
            await asyncio.sleep(0.05)
    deadline = time.monotonic() + 120
    while len(connected) < count and time.monotonic() < deadline:
        if any(t.done() and t.exception() for t in tasks):
            break
        await asyncio.sleep(0.05)
    print(json.dumps({"ready": len(connected)}), flush=True)
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(None, sys.stdin.readline)
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    out = [(i, seq, _epoch(at), got) for i, seq, at, got in records]
    print(json.dumps({"connected": len(connected), "closed": closed, "received": out}), flush=True)


def _epoch(at) -> float | None:
    if isinstance(at, int | float):
        return float(at)
    try:
        return datetime.fromisoformat(at).timestamp()
    except (TypeError, ValueError):
        return None


if __name__ == "__main__":
    url, count = sys.argv[1], int(sys.argv[2])
    headers = dict(arg.split("=", 1) for arg in sys.argv[3:])
    asyncio.run(main(url, count, headers))
