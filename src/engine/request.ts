// The shape of a check request (SPEC §2), checked on an already-parsed value. HTTP bodies are
// also parsed strictly (src/json/strict-parse.ts); this walk covers library callers who pass
// objects, so that anything we hash is something two parties cannot read differently.

import type { CheckRequest, Json } from '../ir/types.js';

export interface RequestLimits {
  maxDepth: number;
  maxStringLength: number;
  maxArrayLength: number;
}

export const DEFAULT_REQUEST_LIMITS: RequestLimits = {
  maxDepth: 32,
  maxStringLength: 8 * 1024,
  maxArrayLength: 1024,
};

/** A request that is not of the SPEC §2 shape; HTTP answers 400 with `detail`. */
export class RequestError extends Error {
  override readonly name = 'RequestError';
  constructor(readonly detail: string) {
    super(detail);
  }
}

/** A valid request, plus the raw `action`/`context` exactly as received (for `action_hash`). */
export interface ValidatedRequest {
  request: CheckRequest;
  rawAction: Json;
  rawContext: Json | undefined;
}

const TOP_LEVEL_KEYS = new Set(['action', 'context', 'audience']);

/**
 * Checks a parsed request against SPEC §2 and expands the string-action shorthand.
 * @example validateRequest({ action: 'db.write' }).request.action // { type: 'db.write' }
 */
export function validateRequest(value: unknown, limits: RequestLimits = DEFAULT_REQUEST_LIMITS): ValidatedRequest {
  if (!isPlainObject(value)) throw new RequestError('the request must be a JSON object');
  for (const key of Object.keys(value)) {
    if (!TOP_LEVEL_KEYS.has(key)) {
      throw new RequestError(`unknown top-level field \`${key}\`; a request has \`action\`, \`context\` and \`audience\``);
    }
  }
  // The fast walk only answers yes or no; the full one names what is wrong (and decides).
  if (!isValidJson(value, limits, 0)) checkJson(value, limits, 0, 'request');
  const rawAction = value['action'] as Json | undefined;
  const rawContext = value['context'] as Json | undefined;
  const audience = value['audience'];

  let action: CheckRequest['action'];
  if (typeof rawAction === 'string') {
    action = { type: rawAction };
  } else if (isPlainObject(rawAction)) {
    if (typeof rawAction['type'] !== 'string') throw new RequestError('`action.type` must be a string');
    action = rawAction as CheckRequest['action'];
  } else {
    throw new RequestError('`action` must be an object with a string `type`, or a string');
  }
  if (rawContext !== undefined && !isPlainObject(rawContext)) {
    throw new RequestError('`context` must be an object');
  }
  if (audience !== undefined && typeof audience !== 'string') {
    throw new RequestError('`audience` must be a string');
  }
  const request: CheckRequest = { action, context: (rawContext ?? {}) as CheckRequest['context'] };
  if (audience !== undefined) request.audience = audience;
  return { request, rawAction: rawAction as Json, rawContext };
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

/**
 * checkJson's rules without building the path of every value: true when checkJson would not
 * throw. Requests are valid almost always, so the paths are only worth building for an error.
 */
function isValidJson(v: unknown, limits: RequestLimits, depth: number): boolean {
  if (depth > limits.maxDepth) return false;
  switch (typeof v) {
    case 'string':
      return v.length <= limits.maxStringLength && v.isWellFormed();
    case 'number':
      return Number.isFinite(v) && (!Number.isInteger(v) || Number.isSafeInteger(v));
    case 'boolean':
      return true;
    case 'object': {
      if (v === null) return true;
      if (Array.isArray(v)) {
        if (v.length > limits.maxArrayLength) return false;
        for (let i = 0; i < v.length; i++) if (!isValidJson(v[i], limits, depth + 1)) return false;
        return true;
      }
      if (!isPlainObject(v)) return false;
      for (const key in v) {
        if (!Object.prototype.hasOwnProperty.call(v, key)) return false;
        if (key.length > limits.maxStringLength || !key.isWellFormed()) return false;
        if (!isValidJson(v[key], limits, depth + 1)) return false;
      }
      return true;
    }
    default:
      return false;
  }
}

/** One walk: JSON types only, limits, safe integers, well-formed strings. */
function checkJson(v: unknown, limits: RequestLimits, depth: number, at: string): void {
  if (depth > limits.maxDepth) throw new RequestError(`nesting deeper than ${limits.maxDepth} at \`${at}\``);
  switch (typeof v) {
    case 'string':
      checkString(v, limits, at);
      return;
    case 'number':
      if (!Number.isFinite(v)) throw new RequestError(`non-finite number at \`${at}\``);
      if (Number.isInteger(v) && !Number.isSafeInteger(v)) {
        throw new RequestError(`integer outside ±(2^53−1) at \`${at}\`: two parties could read it differently`);
      }
      return;
    case 'boolean':
      return;
    case 'object':
      if (v === null) return;
      if (Array.isArray(v)) {
        if (v.length > limits.maxArrayLength) {
          throw new RequestError(`array longer than ${limits.maxArrayLength} items at \`${at}\``);
        }
        for (let i = 0; i < v.length; i++) checkJson(v[i], limits, depth + 1, `${at}[${i}]`);
        return;
      }
      if (!isPlainObject(v)) throw new RequestError(`a value that is not JSON at \`${at}\``);
      for (const key of Object.keys(v)) {
        checkString(key, limits, at);
        checkJson(v[key], limits, depth + 1, `${at}.${key}`);
      }
      return;
    default:
      throw new RequestError(`a value that is not JSON at \`${at}\``);
  }
}

function checkString(s: string, limits: RequestLimits, at: string): void {
  if (s.length > limits.maxStringLength) {
    throw new RequestError(`string longer than ${limits.maxStringLength} characters at \`${at}\``);
  }
  if (!s.isWellFormed()) throw new RequestError(`lone UTF-16 surrogate in a string at \`${at}\``);
}
