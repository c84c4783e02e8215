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

/** Discards everything; for tests and embedders that log elsewhere. */
export const silentLogger: Logger = { info() {}, warn() {}, error() {} };
