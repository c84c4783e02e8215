// Structured logs: one JSON object per line. Fields whose names say they hold credentials are
// replaced before writing, so a careless call site still cannot put an API key or a secret in
// the log; call sites log key ids (`by`), never keys.

export type LogFields = { [key: string]: unknown };

export interface Logger {
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
}

const SECRET_FIELD = /^(authorization|x-api-key|api[-_]?keys?|keys?|secret|secret[-_]?key|password|token|signature)$/i;

/** Copies `fields` with credential-named fields masked and errors reduced to name and message. */
export function redact(fields: LogFields): LogFields {
  const out: LogFields = {};
  for (const [k, v] of Object.entries(fields)) {
    if (SECRET_FIELD.test(k)) out[k] = '[redacted]';
    else if (v instanceof Error) out[k] = { name: v.name, message: v.message };
    else out[k] = v;
  }
  return out;
}

/**
 * A logger writing JSON lines through `write` (stdout on Node, console elsewhere).
 * @example const log = jsonLogger((line) => process.stdout.write(line + '\n'))
 */
export function jsonLogger(write: (line: string) => void, now: () => number = Date.now): Logger {
  const emit = (level: string, msg: string, fields: LogFields = {}): void => {
    const line = { time: new Date(now()).toISOString(), level, msg, ...redact(fields) };
    try {
      write(JSON.stringify(line));
    } catch {
      // A log line that cannot be written (or serialized) must never fail the request.
    }
  };
  return {
    info: (msg, fields) => emit('info', msg, fields),
    warn: (msg, fields) => emit('warn', msg, fields),
    error: (msg, fields) => emit('error', msg, fields),
  };
}

/**
 * Logs an error (or, with `level`, a warning) that may repeat for every request: `key` names
 * the kind, e.g. per tenant.
 */
export type RepeatedError = (key: string, msg: string, fields: LogFields, level?: 'warn' | 'error') => void;

/**
 * The first error of a kind is logged at once, then at most one line per `everyMs` for that
 * kind, saying how many it left out. A full disk refuses every check, and a line per check
 * (~80 000 in 15 s seen) would fill the disk the log may share.
 */
export function repeatLimited(logger: Logger, everyMs = 10_000, now: () => number = Date.now): RepeatedError {
  const last = new Map<string, { at: number; left: number }>();
  return (key, msg, fields, level = 'error') => {
    const t = now();
    const seen = last.get(key);
    // A clock set back (t before the last line) logs at once: else nothing for the whole step.
    if (seen !== undefined && t - seen.at < everyMs && t >= seen.at) {
      seen.left++;
      return;
    }
    last.set(key, { at: t, left: 0 });
    logger[level](msg, seen !== undefined && seen.left > 0 ? { ...fields, left_out: seen.left, left_out_since: new Date(seen.at).toISOString() } : fields);
  };
}

/**
 * Warnings any client can cause as fast as it can send (a refused credential): up to `burst`
 * lines at once and `perSecond` on average (a token bucket); past that, lines are counted, and
 * the next line let through carries how many were left out (`left_out`) since when. A flood of
 * requests with no key logged a line each, ~10 000 a second.
 */
export function rateLimitedWarn(logger: Logger, perSecond: number, burst: number, now: () => number = Date.now): (msg: string, fields: LogFields) => void {
  let tokens = burst;
  let at = now();
  let left = 0;
  let leftSince = 0;
  return (msg, fields) => {
    const t = now();
    // A clock set back refills nothing (it drove the count far below zero: silent for the step).
    tokens = Math.min(burst, tokens + (Math.max(0, t - at) / 1000) * perSecond);
    at = t;
    if (tokens < 1) {
      if (left++ === 0) leftSince = t;
      return;
    }
    tokens -= 1;
    logger.warn(msg, left === 0 ? fields : { ...fields, left_out: left, left_out_since: new Date(leftSince).toISOString() });
    left = 0;
  };
}

/**
 * rateLimitedWarn with a bucket of its own per `key`: one client's flood hides no other
 * client's lines. Keys must come from a bounded set (here: one for every keyless or unknown
 * credential, one per configured key id), or the map grows with them.
 */
export function rateLimitedWarnEach(logger: Logger, perSecond: number, burst: number, now: () => number = Date.now): (key: string, msg: string, fields: LogFields) => void {
  const buckets = new Map<string, (msg: string, fields: LogFields) => void>();
  return (key, msg, fields) => {
    let warn = buckets.get(key);
    if (warn === undefined) buckets.set(key, (warn = rateLimitedWarn(logger, perSecond, burst, now)));
    warn(msg, fields);
  };
}

/**
 * JSON lines through `console.log`: what the Bun, Deno and Workers adapters log to when given no
 * logger (else Bun and Deno drop refused keys, failed stores and 500s).
 */
export function consoleLogger(): Logger {
  return jsonLogger((line) => console.log(line));
}

/** Discards everything; for tests and embedders that log elsewhere. */
export const silentLogger: Logger = { info() {}, warn() {}, error() {} };
