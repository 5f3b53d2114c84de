"""The counters port on Redis (``redis.asyncio``), shared by every api, ingest and worker process.

Every key and channel is prefixed (``cc:`` by default) so CultureCast can share a Redis with
other programs, or with another CultureCast, without collisions. Connection failures and
timeouts become ``EngineUnavailable``; Redis's own errors (a key used as another kind) become
``StorageError``, so callers never see redis-py's exceptions.

Presence uses ``ZADD ... GT``, so Redis 6.2 or newer is required.

Commands are pipelined per turn of the event loop: the commands asked for during one turn go
to Redis as one pipeline on the next, so a burst of N concurrent beats or plays costs one
round trip and one pool checkout instead of N per step. Each command still answers its caller
alone, and they run in the order asked; each compare-and-set swap (one per heartbeat) is its
own atomic script on the server, so two swaps of one key in a batch run in order and the
second sees the first's write (and fails if it expected the older value).

Distinct counts are exact sets up to ``UNIQUE_EXACT_LIMIT`` members per key and HyperLogLog
past it (see the port and ``_UNIQUE_ADD_SCRIPT``).

Pub/sub is at-most-once, as in Redis itself: each subscription owns one connection and a
background reader that moves messages into a bounded inbox (the oldest are dropped when a
subscriber is too slow; see ``memory.Inbox``). Messages published while a connection is being
re-established are lost.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
from collections.abc import AsyncIterator, Iterator, Mapping
from typing import Any, Final, Self

import redis.asyncio as aioredis
from redis import exceptions as redis_errors
from redis.asyncio.client import PubSub
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff
from redis.commands.core import AsyncScript

from culturecast.storage.counters.memory import DEFAULT_SUBSCRIBER_BUFFER, Inbox
from culturecast.storage.counters.port import UNIQUE_EXACT_LIMIT, Subscription
from culturecast.storage.errors import EngineUnavailable, StorageError

# Modest limits: a counter that cannot be updated within seconds is better reported than
# waited for, since view counting and chat must not stall behind a sick Redis.
_CONNECT_TIMEOUT_S = 2.0
_SOCKET_TIMEOUT_S = 5.0
_HEALTH_CHECK_INTERVAL_S = 15
# One quick retry rides over a dropped idle connection; more would only delay the error.
_RETRIES = 1
# How long a subscription's reader waits before looping, so the health check (a PING on an idle
# pub/sub connection) runs and a silently dead connection is noticed.
_READER_POLL_S = 5.0
_SUBSCRIBE_CONFIRM_S = 5.0
_COMMAND_CONNECTIONS = 32
# One connection per open subscription; beyond this, subscribe fails with EngineUnavailable.
_SUBSCRIPTION_CONNECTIONS = 1000


@contextlib.contextmanager
def _engine_errors() -> Iterator[None]:
    try:
        yield
    except (redis_errors.ConnectionError, redis_errors.TimeoutError, OSError) as exc:
        raise EngineUnavailable(f"redis did not answer: {exc}") from exc
    except redis_errors.ResponseError as exc:
        if str(exc).startswith("WRONGTYPE"):
            raise StorageError("the key holds another kind of value") from exc
        raise StorageError(f"redis refused the command: {exc}") from exc
    except redis_errors.RedisError as exc:
        raise StorageError(f"redis failed: {exc}") from exc


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


class RedisSubscription:
    """One channel on its own pub/sub connection; a reader task fills the inbox."""

    def __init__(self, owner: RedisCounters, pubsub: PubSub, capacity: int) -> None:
        self._owner = owner
        self._pubsub = pubsub
        self._inbox = Inbox(capacity)
        self._reader: asyncio.Task[None] | None = None

    @property
    def dropped(self) -> int:
        """Messages lost because this subscriber fell more than its buffer behind."""
        return self._inbox.dropped

    async def confirm(self, channel: str) -> None:
        """Send SUBSCRIBE and wait for Redis's confirmation: from then on no message is missed."""
        await self._pubsub.subscribe(channel)
        async with asyncio.timeout(_SUBSCRIBE_CONFIRM_S):
            while True:
                reply = await self._pubsub.get_message(timeout=_SUBSCRIBE_CONFIRM_S)
                if reply is not None and reply["type"] == "subscribe":
                    break
        self._reader = asyncio.create_task(self._read(), name=f"redis-subscription:{channel}")

    async def _read(self) -> None:
        try:
            while True:
                reply = await self._pubsub.get_message(
                    ignore_subscribe_messages=True, timeout=_READER_POLL_S
                )
                if reply is not None and reply["type"] == "message":
                    self._inbox.put(reply["data"])
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            # Retries are exhausted: tell the consumer instead of pretending the channel is quiet.
            self._inbox.end(EngineUnavailable(f"redis subscription lost: {exc}"))

    def __aiter__(self) -> AsyncIterator[bytes]:
        return self._inbox

    async def close(self) -> None:
        if self._inbox.closed and self._reader is None:
            return
        self._inbox.end()
        self._owner.forget_subscription(self)
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader
            self._reader = None
        # Closing the dedicated connection unsubscribes: Redis drops a client's subscriptions
        # with the client. An UNSUBSCRIBE first would need the cancelled reader's replies.
        with contextlib.suppress(redis_errors.RedisError, OSError):
            await self._pubsub.aclose()  # type: ignore[no-untyped-call]  # redis-py lacks hints


class RedisCounters:
    """The counters port on one Redis database, every key and channel under ``key_prefix``."""

    engine: Final = "redis"

    def __init__(
        self,
        client: aioredis.Redis,
        pubsub_client: aioredis.Redis,
        key_prefix: str = "cc:",
        *,
        subscriber_buffer: int = DEFAULT_SUBSCRIBER_BUFFER,
        exact_limit: int = UNIQUE_EXACT_LIMIT,
    ) -> None:
        self._client = client
        self._pubsub_client = pubsub_client
        self._prefix = key_prefix
        self._subscriber_buffer = subscriber_buffer
        self._subscriptions: set[RedisSubscription] = set()
        self._closed = False
        self._batch = _TurnBatcher(client)
        self._exact_limit = exact_limit
        self._unique_add = client.register_script(_UNIQUE_ADD_SCRIPT)
        self._unique_count = client.register_script(_UNIQUE_COUNT_SCRIPT)

    @classmethod
    async def open(
        cls,
        url: str,
        key_prefix: str = "cc:",
        *,
        subscriber_buffer: int = DEFAULT_SUBSCRIBER_BUFFER,
    ) -> Self:
        """Connect to ``url`` (``redis://host:port/db``) and check that Redis answers."""
        options: dict[str, Any] = {
            "socket_connect_timeout": _CONNECT_TIMEOUT_S,
            "socket_timeout": _SOCKET_TIMEOUT_S,
            "health_check_interval": _HEALTH_CHECK_INTERVAL_S,
            "retry": Retry(ExponentialBackoff(cap=0.5, base=0.05), _RETRIES),
        }
        # Commands share a bounded pool: a burst of heartbeats waits for a free connection
        # instead of opening hundreds of sockets (or failing with "Too many connections").
        commands = aioredis.Redis.from_pool(
            aioredis.BlockingConnectionPool.from_url(
                url, max_connections=_COMMAND_CONNECTIONS, timeout=_SOCKET_TIMEOUT_S, **options
            )
        )
        # Each subscription holds a connection for its lifetime, so subscriptions get their own
        # pool and can never starve the commands.
        subscriptions = aioredis.Redis.from_pool(
            aioredis.ConnectionPool.from_url(
                url, max_connections=_SUBSCRIPTION_CONNECTIONS, **options
            )
        )
        counters = cls(commands, subscriptions, key_prefix, subscriber_buffer=subscriber_buffer)
        try:
            await counters.ping()
        except BaseException:
            await counters.close()
            raise
        return counters

    @property
    def key_prefix(self) -> str:
        return self._prefix

    # -- plain counters -------------------------------------------------------------------

    async def incr(self, key: str, amount: int = 1) -> int:
        return int(await self._call("INCRBY", self._key(key), amount))

    async def get_int(self, key: str) -> int:
        value = await self._call("GET", self._key(key))
        if value is None:
            return 0
        try:
            return int(value)
        except ValueError:
            raise StorageError(f"key {key!r} does not hold an integer") from None

    # -- hashes of numbers ----------------------------------------------------------------

    async def hincr(self, key: str, field: str, amount: float = 1) -> float:
        return float(await self._call("HINCRBYFLOAT", self._key(key), field, amount))

    async def hincr_many(self, key: str, amounts: Mapping[str, float]) -> None:
        if not amounts:
            return
        full_key = self._key(key)
        self._check_open()
        with _engine_errors():
            # MULTI/EXEC: one round trip, and a concurrent htake sees all of it or none.
            async with self._client.pipeline(transaction=True) as pipe:
                for field, amount in amounts.items():
                    pipe.hincrbyfloat(full_key, field, amount)
                await pipe.execute()

    async def hgetall(self, key: str) -> dict[str, float]:
        raw = await self._call("HGETALL", self._key(key))
        return _numbers(raw)

    async def htake(self, key: str) -> dict[str, float]:
        full_key = self._key(key)
        self._check_open()
        with _engine_errors():
            # MULTI/EXEC runs both commands with nothing in between, so an increment lands
            # either before (and is returned) or after (in a fresh hash).
            async with self._client.pipeline(transaction=True) as pipe:
                pipe.hgetall(full_key)
                pipe.delete(full_key)
                raw, _deleted = await pipe.execute()
        return _numbers(raw)

    # -- unique sets ----------------------------------------------------------------------

    async def unique_add(self, key: str, member: str) -> bool:
        return bool(await self._script(self._unique_add, key, member, self._exact_limit))

    async def unique_count(self, key: str) -> int:
        return int(await self._script(self._unique_count, key))

    # -- presence -------------------------------------------------------------------------

    async def presence_touch(self, key: str, member: str, now: float) -> None:
        # GT keeps the latest sighting when touches arrive out of order (still adds new members).
        await self._call("ZADD", self._key(key), "GT", now, member)

    async def presence_count(self, key: str, since: float) -> int:
        return int(await self._call("ZCOUNT", self._key(key), since, "+inf"))

    async def presence_prune(self, key: str, before: float) -> int:
        return int(await self._call("ZREMRANGEBYSCORE", self._key(key), "-inf", f"({before!r}"))

    # -- flags ----------------------------------------------------------------------------

    async def set_flag(self, key: str, ttl_s: int, value: str = "1") -> bool:
        _check_ttl(ttl_s)
        return bool(await self._call("SET", self._key(key), value, "NX", "EX", ttl_s))

    async def get_flag(self, key: str) -> str | None:
        value = await self._call("GET", self._key(key))
        return None if value is None else _text(value)

    async def set_value(self, key: str, value: str, ttl_s: int) -> None:
        _check_ttl(ttl_s)
        await self._call("SET", self._key(key), value, "EX", ttl_s)

    async def swap_value(self, key: str, expected: str | None, value: str, ttl_s: int) -> bool:
        _check_ttl(ttl_s)
        if expected is None:
            return bool(await self._call("SET", self._key(key), value, "NX", "EX", ttl_s))
        # One script, so the comparison and the write are one atomic step on the server.
        self._check_open()
        with _engine_errors():
            return await self._batch.swap(self._key(key), expected, value, ttl_s)

    # -- any key --------------------------------------------------------------------------

    async def delete(self, *keys: str) -> int:
        if not keys:
            return 0
        return int(await self._call("DEL", *(self._key(key) for key in dict.fromkeys(keys))))

    async def expire(self, key: str, ttl_s: int) -> None:
        _check_ttl(ttl_s)
        await self._call("EXPIRE", self._key(key), ttl_s)

    # -- pub/sub --------------------------------------------------------------------------

    async def publish(self, channel: str, message: bytes) -> None:
        await self._call("PUBLISH", self._key(channel), message)

    async def subscribe(self, channel: str) -> Subscription:
        self._check_open()
        subscription = RedisSubscription(
            self, self._pubsub_client.pubsub(), capacity=self._subscriber_buffer
        )
        try:
            with _engine_errors():
                await subscription.confirm(self._key(channel))
        except BaseException:
            await subscription.close()
            raise
        self._subscriptions.add(subscription)
        return subscription

    def forget_subscription(self, subscription: RedisSubscription) -> None:
        """Called by a closing subscription; not part of the port."""
        self._subscriptions.discard(subscription)

    # -- lifecycle ------------------------------------------------------------------------

    async def ping(self) -> None:
        await self._call("PING")

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        for subscription in tuple(self._subscriptions):
            await subscription.close()
        for client in (self._client, self._pubsub_client):
            with contextlib.suppress(redis_errors.RedisError, OSError):
                await client.aclose()

    # -- internals ------------------------------------------------------------------------

    def _key(self, key: str) -> str:
        return self._prefix + key

    def _check_open(self) -> None:
        # redis-py would silently reconnect a closed client; a closed port must refuse instead.
        if self._closed:
            raise EngineUnavailable("the redis counters are closed")

    async def _script(self, script: AsyncScript, key: str, *args: str | int) -> Any:
        self._check_open()
        with _engine_errors():
            # redis-py's Script sends EVALSHA and loads the script itself after a NOSCRIPT.
            return await script(keys=[self._key(key)], args=list(args))

    async def _call(self, *args: Any) -> Any:
        self._check_open()
        with _engine_errors():
            # By name, in the turn's pipeline: redis-py's typed command methods return
            # Awaitable | Any, so typing gains nothing; its response callbacks still apply.
            return await self._batch.call(*args)


# A distinct-count key is a Redis set while it holds at most ``exact_limit`` members, so small
# counts are exact; the add that passes the limit turns it, inside the same script, into a
# HyperLogLog holding the same members (keeping its expiry). Scripts run one at a time on the
# server, so however many processes add at once the switch happens exactly once and no member
# added around it is lost. TYPE's status reply reaches Lua as a table with the field ``ok``.
_UNIQUE_ADD_SCRIPT = """
if redis.call('TYPE', KEYS[1])['ok'] == 'string' then
  return redis.call('PFADD', KEYS[1], ARGV[1])
end
local added = redis.call('SADD', KEYS[1], ARGV[1])
if added == 1 and redis.call('SCARD', KEYS[1]) > tonumber(ARGV[2]) then
  local ttl = redis.call('PTTL', KEYS[1])
  local members = redis.call('SMEMBERS', KEYS[1])
  redis.call('DEL', KEYS[1])
  for i = 1, #members, 1000 do
    redis.call('PFADD', KEYS[1], unpack(members, i, math.min(i + 999, #members)))
  end
  if ttl > 0 then
    redis.call('PEXPIRE', KEYS[1], ttl)
  end
end
return added
"""
_UNIQUE_COUNT_SCRIPT = """
local kind = redis.call('TYPE', KEYS[1])['ok']
if kind == 'string' then
  return redis.call('PFCOUNT', KEYS[1])
end
if kind == 'none' then
  return 0
end
return redis.call('SCARD', KEYS[1])
"""

_SWAP_SCRIPT = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[2], 'EX', ARGV[3])
  return 1
end
return 0
"""
_SWAP_SHA = hashlib.sha1(_SWAP_SCRIPT.encode()).hexdigest()


class _TurnBatcher:
    """Sends the commands asked for during one event-loop turn as one pipeline (see the
    module docstring); callers await their own answer. Commands run in the order asked."""

    def __init__(self, client: aioredis.Redis) -> None:
        self._client = client
        self._waiting: list[tuple[tuple[Any, ...], asyncio.Future[Any]]] = []
        # Batches in flight, held so they are not garbage-collected before they finish.
        self._in_flight: set[asyncio.Task[None]] = set()

    async def call(self, *args: Any) -> Any:
        loop = asyncio.get_running_loop()
        answer: asyncio.Future[Any] = loop.create_future()
        if not self._waiting:
            loop.call_soon(self._send)
        self._waiting.append((args, answer))
        return await answer

    async def swap(self, key: str, expected: str, value: str, ttl_s: int) -> bool:
        return bool(await self.call("EVALSHA", _SWAP_SHA, 1, key, expected, value, ttl_s))

    def _send(self) -> None:
        batch, self._waiting = self._waiting, []
        task = asyncio.ensure_future(self._run(batch))
        self._in_flight.add(task)
        task.add_done_callback(self._in_flight.discard)

    async def _run(self, batch: list[tuple[tuple[Any, ...], asyncio.Future[Any]]]) -> None:
        try:
            answers = await self._pipeline([args for args, _ in batch])
        except Exception as exc:  # every caller gets the failure; none waits forever
            for _, answer in batch:
                if not answer.done():
                    answer.set_exception(exc)
            return
        except BaseException:
            for _, answer in batch:
                answer.cancel()
            raise
        for (_, answer), result in zip(batch, answers, strict=True):
            if answer.done():  # its caller was cancelled
                continue
            if isinstance(result, Exception):
                answer.set_exception(result)
            else:
                answer.set_result(result)

    async def _pipeline(self, commands: list[tuple[Any, ...]]) -> list[Any]:
        answers = await self._execute(commands)
        unrun = [i for i, a in enumerate(answers) if isinstance(a, redis_errors.NoScriptError)]
        if unrun:
            # The script cache was flushed (or Redis restarted): load it once and resend the
            # swaps that answered NOSCRIPT — they did not run; the batch's other commands did.
            await self._client.script_load(_SWAP_SCRIPT)
            again = await self._execute([commands[i] for i in unrun])
            for i, answer in zip(unrun, again, strict=True):
                answers[i] = answer
        return answers

    async def _execute(self, commands: list[tuple[Any, ...]]) -> list[Any]:
        pipe = self._client.pipeline(transaction=False)
        for args in commands:
            pipe.execute_command(*args)
        return list(await pipe.execute(raise_on_error=False))


def _numbers(raw: Mapping[bytes, bytes]) -> dict[str, float]:
    return {_text(field): float(value) for field, value in raw.items()}


def _check_ttl(ttl_s: int) -> None:
    if ttl_s < 1:
        raise ValueError(f"ttl_s must be a whole number of seconds >= 1, not {ttl_s!r}")
