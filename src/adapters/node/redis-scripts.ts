// The Lua scripts of the Redis shared state (node/redis-state.ts): each runs atomically on the
// server, so what it reads and what it writes cannot be split by another instance's command.

/**
 * One token bucket, taken atomically: the same arithmetic as MemoryRateLimiter's (in doubles,
 * stored with 17 significant digits, so a bucket reads back exactly as it was written). A bucket
 * left idle expires once it would be full again, which is what an absent bucket is. Times are
 * the instance's (its clock stamps the decision too); a bucket stamped later by another
 * instance's clock, or by this one's before it was set back, does not refill until time passes
 * it. (In memory a set-back clock restamps the bucket; here instances whose clocks differ would
 * then refill the difference at every turn between them.) Redis expires the key by its own
 * clock: a step of that clock forward empties the bucket early (one extra burst, as a restart).
 */
export const TAKE_TOKEN = `
local cap = tonumber(ARGV[1])
local rate = tonumber(ARGV[2])
local now = tonumber(ARGV[3])
local held = redis.call('HMGET', KEYS[1], 't', 'u')
local tokens, updated
if held[1] then
  tokens = tonumber(held[1])
  updated = tonumber(held[2])
  if now > updated then
    tokens = tokens + ((now - updated) / 1000) * rate
    updated = now
  end
  if tokens > cap then tokens = cap end
else
  tokens = cap
  updated = now
end
local taken = 0
if tokens >= 1 then
  tokens = tokens - 1
  taken = 1
end
redis.call('HSET', KEYS[1], 't', string.format('%.17g', tokens), 'u', string.format('%.17g', updated))
-- Never full again (no refill, or not within 30 000 years): kept.
local ttl = 0
if rate > 0 then ttl = math.ceil(updated - now + ((cap - tokens) / rate) * 1000) + 1000 end
if ttl > 0 and ttl < 1e15 then
  redis.call('PEXPIRE', KEYS[1], ttl)
else
  redis.call('PERSIST', KEYS[1])
end
return taken
`;

/**
 * The server's run, its count of evicted keys and its eviction policy, read inside a script
 * (INFO), so that what a script decides holds for the server as it is at that moment.
 */
const SERVER_NOW = `
local run = string.match(redis.call('INFO', 'server'), 'run_id:(%w+)')
local evicted = string.match(redis.call('INFO', 'stats'), 'evicted_keys:(%d+)')
local policy = string.match(redis.call('INFO', 'memory'), 'maxmemory_policy:([%w-]+)')
`;

/** The server's clock (TIME) in milliseconds, as `now`: expiries and epochs are by its clock. */
const SERVER_MS = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
`;

/**
 * The epoch, kept or begun, atomically: `<run_id> <ms> <evicted_keys>`, its start by the
 * server's own clock (TIME), so no instance's clock can date it. The one there is kept if it
 * was written on this run of the server, no key has been evicted since, and it does not begin
 * in the future (whoever wrote it: instances that notice one restart agree on the first new
 * epoch); else a new one is written (none, not an epoch, a restart or failover since, an
 * eviction since, even one no instance saw happen), or if it is still ARGV[1], an epoch the
 * instance refused (one older than the one it held). Returns the epoch, the server's time and
 * its eviction policy; a server that may evict is given no epoch (returns only its policy).
 */
export const KEEP_EPOCH = `${SERVER_NOW}
if policy ~= 'noeviction' then return {'', '', policy or ''} end
${SERVER_MS}
local held = redis.call('GET', KEYS[1])
local hrun, hat, hevicted
if held then hrun, hat, hevicted = string.match(held, '^(%S+) (%d+) (%d+)$') end
if hrun == run and hevicted == evicted and tonumber(hat) <= now and held ~= ARGV[1] then
  return {held, tostring(now), policy}
end
local fresh = run .. ' ' .. tostring(now) .. ' ' .. evicted
redis.call('SET', KEYS[1], fresh)
return {fresh, tostring(now), policy}
`;

/**
 * A used nonce, recorded only while the epoch is still the one the instance holds (ARGV[1]) and
 * still true of the server (same run, no eviction since, no eviction possible): keys emptied or
 * evicted, or a failover behind a proxy that kept the connection, are seen at the very next
 * verification, not at the next look. And only while the server's clock is not ahead of where
 * the instance expects it (ARGV[3], from the offset measured at its last look) by more than
 * ARGV[4]: Redis expires keys by its own clock, so a step forward of it ends every key's life
 * early by the step, used nonces included. A nonce recorded raises, in the same step, how long
 * the instance's skew note (KEYS[3], field ARGV[5], skew ARGV[6]) says its nonces live, so a
 * note never says less, even of an instance killed right after (a re-review, 11-29); ARGV[5]
 * '' (the start's probe nonce, no receipt's) raises none. The nonce lives ARGV[2] ms (its life
 * by the instance's clock) or until the server's clock reaches ARGV[7], whichever is later: a
 * host clock that ran ahead, and is set back later, counted the life short by its lead, and its
 * receipt would verify again once the key was gone (a review, 11-29); the instance's
 * forgetClock reckons by the server's clock accordingly. Past ARGV[8] ms (longer than any receipt can
 * verify) the receipt expires too far past the server's clock to be kept as long as it needs:
 * refused, -3 (a re-review: capped, a host two hours ahead verified a receipt twice).
 * -1: another epoch; -2: the server's clock ran ahead; -3: too far ahead of the server's clock; 1: first use; 0: used before.
 */
export const CONSUME_NONCE = `${SERVER_NOW}
local held = redis.call('GET', KEYS[1])
if held ~= ARGV[1] or policy ~= 'noeviction' then return -1 end
local hrun, hat, hevicted = string.match(held, '^(%S+) (%d+) (%d+)$')
if hrun ~= run or hevicted ~= evicted then return -1 end
${SERVER_MS}
if now > tonumber(ARGV[3]) + tonumber(ARGV[4]) then return -2 end
local keep = tonumber(ARGV[7]) - now
if keep > tonumber(ARGV[8]) then return -3 end
local ttl = math.max(tonumber(ARGV[2]), keep)
if not redis.call('SET', KEYS[2], '1', 'PX', ttl, 'NX') then return 0 end
if ARGV[5] == '' then return 1 end
local lives = now + ttl
local note = redis.call('HGET', KEYS[3], ARGV[5])
local skew, at, untilMs
if note then skew, at, untilMs = string.match(note, '^(%d+) (%d+) (%d+)$') end
if not skew then
  redis.call('HSET', KEYS[3], ARGV[5], ARGV[6] .. ' ' .. tostring(now) .. ' ' .. tostring(lives))
elseif tonumber(untilMs) < lives then
  redis.call('HSET', KEYS[3], ARGV[5], skew .. ' ' .. at .. ' ' .. tostring(lives))
end
return 1
`;

/**
 * Each instance's receipt skew (MGE_CLOCK_SKEW_SECONDS), in one hash: field ARGV[1] (the
 * instance), value `<skew ms> <server ms of its last note> <server ms its last used nonce
 * expires>` (raised by CONSUME_NONCE as each is recorded; 0 when none). A used nonce is kept
 * for the skew of the instance that used it plus the margin ARGV[5], so one allowing more
 * than that would verify it again once it is gone. Refused (nothing written), with why: a live
 * other (noted within ARGV[3] ms) whose skew differs from ARGV[2] by more than ARGV[4]; a
 * stopped one whose skew is smaller than ARGV[2] by more than that, while the receipts of its
 * nonces could still verify under ARGV[2] (their expiry is its nonces' less its skew and the
 * margin). A stopped note is dropped once that is past for the largest skew, ARGV[7].
 * ARGV[6] '1': the instance stops (its note is marked stopped at once, without the checks).
 * Every call runs HDEL (of no field), so a user the ACL denies it is refused at start.
 * Returns {why, skew, ms left}, why '' when noted.
 */
export const NOTE_SKEW = `
redis.call('HDEL', KEYS[1], '')
${SERVER_MS}
local mine = tonumber(ARGV[2])
local stale = tonumber(ARGV[3])
local agreement = tonumber(ARGV[4])
local margin = tonumber(ARGV[5])
local myUntil = 0
local mineHeld = redis.call('HGET', KEYS[1], ARGV[1])
if mineHeld then myUntil = tonumber(string.match(mineHeld, ' (%d+)$') or '0') end
if ARGV[6] == '1' then
  redis.call('HSET', KEYS[1], ARGV[1], ARGV[2] .. ' 0 ' .. tostring(myUntil))
  return {'', '', ''}
end
local all = redis.call('HGETALL', KEYS[1])
for i = 1, #all, 2 do
  local skew, at, untilMs = string.match(all[i + 1], '^(%d+) (%d+) (%d+)$')
  if skew == nil then
    redis.call('HDEL', KEYS[1], all[i])
  elseif all[i] ~= ARGV[1] then
    skew = tonumber(skew)
    local expiry = tonumber(untilMs) - skew - margin
    local live = math.abs(now - tonumber(at)) <= stale
    if not live and now >= expiry + tonumber(ARGV[7]) then
      redis.call('HDEL', KEYS[1], all[i])
    elseif live and math.abs(skew - mine) > agreement then
      return {'live', tostring(skew), '0'}
    elseif not live and mine - skew > agreement and now < expiry + mine then
      return {'stopped', tostring(skew), tostring(expiry + mine - now)}
    end
  end
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2] .. ' ' .. tostring(now) .. ' ' .. tostring(myUntil))
return {'', '', ''}
`;

/** When an epoch (`<run_id> <ms> <evicted_keys>`) began, by the server's clock; undefined if it is not one. */
export function epochStart(text: string): number | undefined {
  const m = /^\S+ (\d{1,16}) \d+$/.exec(text);
  return m === null ? undefined : Number(m[1]);
}
