"""Run mongoeco's MongoDB wire-protocol server as a process the real PyMongo client talks to.

    python -m tests.support.mongo_wire_server --port 27017 --dir /tmp/x

Prints ``READY mongodb://…`` on stdout once it accepts connections; stops on SIGTERM.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
from pathlib import Path

from mongoeco.engines.sqlite import SQLiteEngine
from mongoeco.wire.proxy import AsyncMongoEcoProxyServer


async def serve(port: int, directory: Path) -> None:
    engine = SQLiteEngine(str(directory / "mongo.sqlite"), executor_workers=1)
    proxy = AsyncMongoEcoProxyServer(engine=engine, host="127.0.0.1", port=port)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await proxy.start()
    print(f"READY {proxy.address.uri}", flush=True)
    try:
        await stop.wait()
    finally:
        await proxy.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--dir", type=Path, required=True)
    args = parser.parse_args()
    args.dir.mkdir(parents=True, exist_ok=True)
    asyncio.run(serve(args.port, args.dir))


if __name__ == "__main__":
    main()
