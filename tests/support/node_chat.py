"""The official socket.io JavaScript client (``socket.io-client`` under node) as a chat user for
tests: ``tests/node/chat_client.mjs`` runs as a child process and reports every server event
and acknowledgement as one JSON line; this class queues them so a test awaits the next event
of a kind, with the same methods as :class:`tests.support.chat.ChatClient`."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import itertools
import json
import shutil
from pathlib import Path
from typing import Any

from tests.support.chat import ChatUser

NODE_DIR = Path(__file__).resolve().parents[1] / "node"
DRIVER = NODE_DIR / "chat_client.mjs"


def node_client_missing() -> str | None:
    """Why the node client cannot run here, or None when it can. The tests fail on this
    rather than skip: a CI run that silently skipped them would prove nothing."""
    if shutil.which("node") is None:
        return "node is not installed: run scripts/bootstrap --dev (it apt-installs nodejs, npm)"
    if not (NODE_DIR / "node_modules" / "socket.io-client").is_dir():
        return (
            f"{NODE_DIR}/node_modules is missing socket.io-client: run scripts/bootstrap --dev "
            "(it runs npm ci in tests/node)"
        )
    return None


class NodeConnectError(Exception):
    """The server refused the connection; ``data`` is what the client's connect_error saw."""

    def __init__(self, data: Any) -> None:
        super().__init__(f"connect_error: {data!r}")
        self.data = data


class NodeChatClient(ChatUser):
    """One chat user behind the official JavaScript client, in its own node process."""

    def __init__(self) -> None:
        super().__init__()
        self.proc: asyncio.subprocess.Process | None = None
        self.acks: dict[int, asyncio.Future[Any]] = {}
        self.ack_ids = itertools.count(1)
        self.stderr = bytearray()
        self.tasks: list[asyncio.Task[None]] = []
        self.transport = ""
        """The engine.io transport the client connected with."""

    async def connect(
        self, url: str, auth: dict[str, Any] | None = None, transport: str = "websocket"
    ) -> NodeChatClient:
        """Start the client; raises :class:`NodeConnectError` when the server refuses it."""
        missing = node_client_missing()
        node = shutil.which("node")
        if missing is not None or node is None:
            raise RuntimeError(missing)
        self.proc = await asyncio.create_subprocess_exec(
            node,
            str(DRIVER),
            url,
            json.dumps(auth or {}),
            transport,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            cwd=NODE_DIR,
            limit=1 << 20,  # a history line holds 50 messages
        )
        # create_subprocess_exec with PIPE always makes the three streams.
        assert self.proc.stdout is not None
        assert self.proc.stderr is not None
        self.tasks = [
            asyncio.create_task(self._read_stdout(self.proc.stdout)),
            asyncio.create_task(self._read_stderr(self.proc.stderr)),
        ]
        # node starts in ~50 ms, but two busy cores may stretch that: a generous wait.
        connected = asyncio.create_task(self.queue("connect").get())
        refused = asyncio.create_task(self.queue("connect_error").get())
        exited = asyncio.create_task(self.disconnected.wait())
        done, pending = await asyncio.wait(
            {connected, refused, exited}, timeout=20, return_when="FIRST_COMPLETED"
        )
        for task in pending:
            task.cancel()
        if refused in done:
            raise NodeConnectError(refused.result())
        if connected not in done:
            why = "its process exited" if exited in done else "no answer within 20 s"
            stderr = self.stderr.decode(errors="replace")
            raise RuntimeError(f"the node client did not connect, {why}: {stderr}")
        self.transport = str(connected.result()["transport"])
        return self

    async def _read_stdout(self, stdout: asyncio.StreamReader) -> None:
        while line := await stdout.readline():
            try:
                item = json.loads(line)
            except ValueError:  # not the driver's: keep it for error messages
                self.stderr += line
                continue
            if "ack" in item:
                future = self.acks.pop(item["ack"], None)
                if future is not None and not future.done():
                    future.set_result(item)
                continue
            if item["event"] == "disconnect":
                self.disconnected.set()
            self.queue(item["event"]).put_nowait(item["data"])
        self.disconnected.set()  # the process ended

    async def _read_stderr(self, stderr: asyncio.StreamReader) -> None:
        while chunk := await stderr.read(4096):
            self.stderr += chunk

    def _command(self, command: dict[str, Any]) -> None:
        if self.proc is None or self.proc.stdin is None:
            raise RuntimeError("the node client is not started")
        self.proc.stdin.write(json.dumps(command).encode() + b"\n")

    async def next(self, event: str, wait: float = 5.0) -> Any:
        try:
            return await asyncio.wait_for(self.queue(event).get(), wait)
        except TimeoutError:
            stderr = self.stderr.decode(errors="replace")
            raise TimeoutError(f"no {event} from the node client in {wait}s; {stderr}") from None

    def emit(self, event: str, data: Any = None) -> None:
        """Emit without waiting for an acknowledgement; ``None`` sends no argument at all,
        as python-socketio does."""
        self._command({"emit": event} if data is None else {"emit": event, "data": data})

    async def call(
        self, event: str, data: Any = None, *, binary: bytes | None = None, wait: float = 5.0
    ) -> Any:
        """Emit and wait for the acknowledgement; ``binary`` goes as a Buffer argument."""
        ack_id = next(self.ack_ids)
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self.acks[ack_id] = future
        command: dict[str, Any] = {"emit": event, "ack": ack_id, "timeout": int(wait * 1000)}
        if binary is not None:
            command["binary"] = base64.b64encode(binary).decode()
        elif data is not None:  # None: no argument, as python-socketio does
            command["data"] = data
        self._command(command)
        # The client's own timeout answers first; ours only guards against a dead process.
        reply = await asyncio.wait_for(future, wait + 5)
        if "error" in reply:
            raise TimeoutError(f"{event} was not acknowledged within {wait}s")
        return reply["data"]

    def send_raw(self, frame: str) -> None:
        """One engine.io message frame as is (the client adds the engine.io type ``4``)."""
        self._command({"raw": frame})

    @property
    def connected(self) -> bool:
        return (
            self.proc is not None
            and self.proc.returncode is None
            and not self.disconnected.is_set()
        )

    async def close(self) -> None:
        """End the client: stdin closed asks it to disconnect and exit; a client that does
        not is terminated by its PID."""
        proc = self.proc
        if proc is None:
            return
        if proc.stdin is not None and not proc.stdin.is_closing():
            proc.stdin.close()
        try:
            await asyncio.wait_for(proc.wait(), 5)
        except TimeoutError:
            proc.terminate()
            try:
                await asyncio.wait_for(proc.wait(), 5)
            except TimeoutError:
                proc.kill()
                await proc.wait()
        for task in self.tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
