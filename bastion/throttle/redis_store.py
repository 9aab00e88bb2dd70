"""Counters in Redis, shared by every node: each operation is one Lua script, so atomic.

Expiry is decided by the `now` the caller passes (the injected clock), stored in the
hash beside the count; Redis's own TTL only collects garbage, with a margin.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import redis

from bastion.throttle.store import Counted

_GC_MARGIN_MS = 24 * 3600 * 1000

# Adds one to the counter KEYS[1] (ARGV: now, window, sliding, GC margin); `count` is the new value.
_BUMP = """
local window = tonumber(ARGV[2])
local expires = tonumber(redis.call('HGET', KEYS[1], 'e') or '0')
local count
if expires <= now then
  count = 1
  redis.call('HSET', KEYS[1], 'c', 1, 'e', now + window)
else
  count = redis.call('HINCRBY', KEYS[1], 'c', 1)
  if ARGV[3] == '1' then redis.call('HSET', KEYS[1], 'e', now + window) end
end
redis.call('PEXPIRE', KEYS[1], window + tonumber(ARGV[4]))
"""
_INCREMENT = "local now = tonumber(ARGV[1])" + _BUMP + "return count"

# The same unless the count already reached ARGV[5] (0: no such limit) or the hold KEYS[2] is in
# force: {the new count, or -1 when not counted; the hold's end in ms, or 0}.
_INCREMENT_UNLESS_HELD = """
local now = tonumber(ARGV[1])
local current = 0
if tonumber(redis.call('HGET', KEYS[1], 'e') or '0') > now then
  current = tonumber(redis.call('HGET', KEYS[1], 'c') or '0')
end
local refuse_from = tonumber(ARGV[5])
if refuse_from > 0 and current >= refuse_from then return {-1, 0} end
local held = tonumber(redis.call('GET', KEYS[2]) or '0')
if held > now then return {-1, held} end
""" + _BUMP + "return {count, 0}"

_COUNT = """
local expires = tonumber(redis.call('HGET', KEYS[1], 'e') or '0')
if expires <= tonumber(ARGV[1]) then return 0 end
return tonumber(redis.call('HGET', KEYS[1], 'c') or '0')
"""

_DECREMENT = """
local expires = tonumber(redis.call('HGET', KEYS[1], 'e') or '0')
if expires > tonumber(ARGV[1]) and tonumber(redis.call('HGET', KEYS[1], 'c') or '0') > 0 then
  redis.call('HINCRBY', KEYS[1], 'c', -1)
end
return 1
"""

_CLAIM = """
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
if current > tonumber(ARGV[2]) then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', math.max(tonumber(ARGV[1]) - tonumber(ARGV[2]), 1) + tonumber(ARGV[3]))
return 1
"""

_HOLD = """
local until_ms = tonumber(ARGV[1])
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
if until_ms > current then
  redis.call('SET', KEYS[1], until_ms, 'PX', math.max(until_ms - tonumber(ARGV[2]), 1) + tonumber(ARGV[3]))
end
return 1
"""


def _ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


class RedisStore:
    name = "redis"

    def __init__(self, url: str, prefix: str = "bastion:", timeout: float = 0.25) -> None:
        self.client = redis.Redis.from_url(url, socket_timeout=timeout, socket_connect_timeout=timeout,
                                           retry_on_timeout=False)
        self.prefix = prefix
        self._increment = self.client.register_script(_INCREMENT)
        self._count = self.client.register_script(_COUNT)
        self._hold = self.client.register_script(_HOLD)
        self._decrement = self.client.register_script(_DECREMENT)
        self._claim = self.client.register_script(_CLAIM)
        self._increment_unless_held = self.client.register_script(_INCREMENT_UNLESS_HELD)

    def increment(self, key: str, window: timedelta, now: datetime, sliding: bool = False) -> int:
        window_ms = int(window.total_seconds() * 1000)
        return int(self._increment(keys=[self.prefix + "c:" + key],
                                   args=[_ms(now), window_ms, "1" if sliding else "0", _GC_MARGIN_MS]))

    def increment_unless_held(self, key: str, window: timedelta, now: datetime, sliding: bool = False,
                              refuse_from: int | None = None) -> Counted:
        window_ms = int(window.total_seconds() * 1000)
        count, held = self._increment_unless_held(
            keys=[self.prefix + "c:" + key, self.prefix + "h:" + key],
            args=[_ms(now), window_ms, "1" if sliding else "0", _GC_MARGIN_MS, refuse_from or 0])
        return Counted(None if count < 0 else count, datetime.fromtimestamp(held / 1000, UTC) if held else None)

    def count(self, key: str, now: datetime) -> int:
        return int(self._count(keys=[self.prefix + "c:" + key], args=[_ms(now)]))

    def decrement(self, key: str, now: datetime) -> None:
        self._decrement(keys=[self.prefix + "c:" + key], args=[_ms(now)])

    def claim_hold(self, key: str, until: datetime, now: datetime) -> bool:
        return bool(self._claim(keys=[self.prefix + "h:" + key], args=[_ms(until), _ms(now), _GC_MARGIN_MS]))

    def reset(self, *keys: str) -> None:
        if keys:
            self.client.delete(*(self.prefix + kind + key for key in keys for kind in ("c:", "h:")))

    def reset_and_check_mark(self, mark: str, *keys: str) -> bool:
        """Delete the counters of `keys` and tell whether `mark` is set, in one round trip."""
        pipe = self.client.pipeline(transaction=False)
        if keys:
            pipe.delete(*(self.prefix + kind + key for key in keys for kind in ("c:", "h:")))
        pipe.exists(self.prefix + "m:" + mark)
        return bool(pipe.execute()[-1])

    def set_mark(self, mark: str, seconds: float) -> None:
        self.client.set(self.prefix + "m:" + mark, 1, px=max(1, int(seconds * 1000)))

    def hold(self, key: str, until: datetime, now: datetime) -> None:
        self._hold(keys=[self.prefix + "h:" + key], args=[_ms(until), _ms(now), _GC_MARGIN_MS])

    def held_until(self, key: str, now: datetime, *, also: Sequence[str] = ()) -> datetime | None:
        ends = [int(value) for value in self.client.mget([self.prefix + "h:" + one for one in (key, *also)])
                if value is not None]
        latest = max(ends, default=0)
        return datetime.fromtimestamp(latest / 1000, UTC) if latest > _ms(now) else None

    def ping(self) -> None:
        self.client.ping()
