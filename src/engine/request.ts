// The shape of a check request (SPEC §2), checked on an already-parsed value. HTTP bodies are
// also parsed strictly (src/json/strict-parse.ts); this walk covers library callers who pass
// objects, so that anything we hash is something two parties cannot read differently.

import type { CheckRequest, Json } from '../ir/types.js';
import { actionText } from '../receipt/decision-hash.js';
import { overUtf8Bytes } from '../json/utf8.js';
import { CanonicalizationError, canonicalizeWithin } from '../receipt/jcs.js';
import { MAX_VALUE_DEPTH } from '../compile/encode.js';
import { TENANT_NAME_RULE, TENANT_PATTERN } from '../ir/tenant-name.js';

/**
 * SPEC §2's limits on a request's values, counted as the strict parser counts them
 * (src/json/strict-parse.ts), so an object passed in and the same request sent as JSON text
 * get the same answer: containers nest at most `maxDepth` deep (the request itself is level
 * 1), strings and keys have at most `maxStringBytes` UTF-8 bytes, arrays `maxArrayItems` items.
 */
export interface RequestLimits {
  maxDepth: number;
  maxStringBytes: number;
  maxArrayItems: number;
}

export const DEFAULT_REQUEST_LIMITS: RequestLimits = {
  maxDepth: 32,
  maxStringBytes: 8 * 1024,
  maxArrayItems: 1024,
};

/** Names these limits had in older versions, when they counted UTF-16 units. */
const RENAMED: Readonly<Record<string, string>> = { maxStringLength: 'maxStringBytes (UTF-8 bytes)', maxArrayLength: 'maxArrayItems' };

/**
 * The defaults with `given` over them. An unknown name or a value that is not a positive
 * integer throws: a misspelt limit silently falling back to its default is a limit not applied.
 * @example requestLimits({ maxDepth: 8 }) // { maxDepth: 8, maxStringBytes: 8192, maxArrayItems: 1024 }
 */
export function requestLimits(given: Partial<RequestLimits> = {}): RequestLimits {
  const limits = { ...DEFAULT_REQUEST_LIMITS };
  for (const [name, value] of Object.entries(given)) {
    if (!Object.hasOwn(DEFAULT_REQUEST_LIMITS, name)) {
      const renamed = Object.hasOwn(RENAMED, name) ? `: it is now \`${RENAMED[name]}\`` : '';
      throw new TypeError(`unknown request limit \`${name}\`${renamed}; the limits are maxDepth, maxStringBytes, maxArrayItems`);
    }
    // `undefined` keeps the default (it must never switch a limit off).
    if (value === undefined) continue;
    if (!(Number.isSafeInteger(value) && value > 0)) throw new TypeError(`request limit \`${name}\` must be a positive integer, got \`${String(value)}\``);
    // Deeper than the VM's encoder reads, a request was denied by the VM and approved by the
    // oracle, and far deeper it overflowed the stack of the canonical writer.
    if (name === 'maxDepth' && value > MAX_VALUE_DEPTH) throw new TypeError(`request limit \`maxDepth\` is at most ${MAX_VALUE_DEPTH} (the depth the VM reads values to), got \`${value}\``);
    limits[name as keyof RequestLimits] = value;
  }
  return limits;
}

/** Throws RequestError unless `tenant` fits TENANT_PATTERN. */
export function checkTenant(tenant: string): void {
  // A number (a tenant id from a database, in plain JavaScript) passed the pattern as its
  // text, then found no policy of that name and was judged by the baseline alone.
  if (typeof tenant !== 'string') throw new RequestError(`invalid tenant name: not a string (got ${tenant === null ? 'null' : Array.isArray(tenant) ? 'a list' : typeof tenant})`);
  if (!TENANT_PATTERN.test(tenant)) throw new RequestError(`invalid tenant name \`${tenant}\` (${TENANT_NAME_RULE})`);
}

/** A request that is not of the SPEC §2 shape; HTTP answers 400 with `detail`. */
export class RequestError extends Error {
  override readonly name = 'RequestError';
  constructor(readonly detail: string) {
    super(detail);
  }
}

/** A valid request, plus `action`/`context` as read once and hashed (for `action_hash`). */
export interface ValidatedRequest {
  request: CheckRequest;
  rawAction: Json;
  rawContext: Json | undefined;
  /** C({action, context}) of the raw values (context `{}` when absent): what action_hash hashes. */
  actionText: string;
}

const TOP_LEVEL_KEYS = new Set(['action', 'context', 'audience']);

/**
 * Checks a parsed request against SPEC §2 and expands the string-action shorthand.
 * @example validateRequest({ action: 'db.write' }).request.action // { type: 'db.write' }
 */
export function validateRequest(value: unknown, limits: RequestLimits = DEFAULT_REQUEST_LIMITS): ValidatedRequest {
  try {
    return readRequest(value, limits);
  } catch (err) {
    // A library caller's getter or Proxy that throws: the request could not be read, and the
    // caller is told so as for any other bad request (not with its own Error thrown back).
    if (err instanceof RequestError) throw err;
    throw new RequestError(`the request could not be read: ${shown(err)}`);
  }
}

/** What was thrown, as text; a value that cannot be shown (its `message` or `toString` throws) is said so. */
function shown(err: unknown): string {
  try {
    return err instanceof Error ? String(err.message) : String(err);
  } catch {
    return 'it threw a value that cannot be shown';
  }
}

function readRequest(value: unknown, limits: RequestLimits): ValidatedRequest {
  if (!isPlainObject(value)) throw new RequestError('the request must be a JSON object');
  // Each member is read once, and what is evaluated is parsed back from the canonical text that
  // action_hash hashes: an object whose getters (or a Proxy) answer differently on each read
  // was hashed as one action and evaluated as another, and its receipt approved the first
  // (`db.drop` refused alone, approved behind a getter).
  const members: Record<string, unknown> = {};
  for (const key of Object.keys(value)) {
    if (!TOP_LEVEL_KEYS.has(key)) {
      throw new RequestError(`unknown top-level field \`${key}\`; a request has \`action\`, \`context\` and \`audience\``);
    }
    // `{ action, context: maybe }` with nothing in `maybe` is a request without a context, as
    // its JSON (and the SDK's) is, not refused here alone.
    const member = value[key];
    if (member !== undefined) members[key] = member;
  }
  const actionText = checkedActionText(members, limits);
  const read = JSON.parse(actionText) as { action?: Json; context: Json };
  const rawAction = read.action;
  const rawContext = read.context;
  const audience = members['audience'];

  let action: CheckRequest['action'];
  if (typeof rawAction === 'string') {
    action = { type: rawAction };
  } else if (isPlainObject(rawAction)) {
    if (typeof rawAction['type'] !== 'string') throw new RequestError('`action.type` must be a string');
    action = rawAction as CheckRequest['action'];
  } else {
    throw new RequestError('`action` must be an object with a string `type`, or a string');
  }
  // `null` was written as the absent context's `{}`: refused as it was sent.
  if (members['context'] === null || !isPlainObject(rawContext)) throw new RequestError('`context` must be an object');
  if (audience !== undefined && (typeof audience !== 'string' || audience === '')) {
    throw new RequestError('`audience` must be a non-empty string: the id of the executor the receipt is for');
  }
  const request: CheckRequest = { action, context: rawContext as CheckRequest['context'] };
  if (audience !== undefined) request.audience = audience;
  return { request, rawAction: rawAction as Json, rawContext, actionText };
}

/**
 * Checks every value of the request against the limits and, in the same walk, writes
 * C({action, context}) (through src/receipt/decision-hash.ts actionText): one pass over the
 * request instead of a check and then a canonicalization. The canonical walk says only what
 * it refused; then checkJson walks again to say where (test/engine/request.test.ts holds both
 * to the same answers).
 */
function checkedActionText(request: Record<string, unknown>, limits: RequestLimits): string {
  try {
    const { action, context, audience } = request;
    if (audience !== undefined) canonicalizeWithin(audience, limits, 1);
    return actionText(action as Json | undefined, context as Json | undefined, (v) => canonicalizeWithin(v, limits, 1));
  } catch (err) {
    if (!(err instanceof CanonicalizationError)) throw err;
    checkJson(request, limits, 0, []);
    throw new RequestError(err.message);
  }
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

/** Where a value sits below the request: keys and indices, pushed and popped by the walk. */
type Way = (string | number)[];

/** The way as text (`request.context.items[2]`), built only when something is refused. */
function wayText(way: Way): string {
  let out = 'request';
  for (const step of way) out += typeof step === 'number' ? `[${step}]` : `.${step}`;
  return out;
}

function refuse(what: string, way: Way): never {
  throw new RequestError(`${what} at \`${wayText(way)}\``);
}

/**
 * One walk: JSON types only, limits, safe integers, well-formed strings. A valid request (the
 * usual case) builds no path text: `way` holds the steps, and only an error formats them.
 */
function checkJson(v: unknown, limits: RequestLimits, depth: number, way: Way): void {
  switch (typeof v) {
    case 'string':
      checkString(v, limits, way);
      return;
    case 'number':
      if (!Number.isFinite(v)) refuse('non-finite number', way);
      if (Number.isInteger(v) && !Number.isSafeInteger(v)) {
        // Said of `1e300` too: every double that large is a whole number, which a reader with
        // big integers or exact decimals may read otherwise ("integer" alone puzzles).
        throw new RequestError(`integer outside ±(2^53−1) at \`${wayText(way)}\`: two parties could read it differently (every number this large is whole, however written; send it as a string)`);
      }
      return;
    case 'boolean':
      return;
    case 'object':
      if (v === null) return;
      // `depth` containers hold v, so v is level depth + 1.
      if (depth >= limits.maxDepth) refuse(`nesting deeper than ${limits.maxDepth}`, way);
      if (Array.isArray(v)) {
        if (v.length > limits.maxArrayItems) refuse(`array longer than ${limits.maxArrayItems} items`, way);
        for (let i = 0; i < v.length; i++) {
          way.push(i);
          checkJson(v[i], limits, depth + 1, way);
          way.pop();
        }
        return;
      }
      if (!isPlainObject(v)) refuse('a value that is not JSON', way);
      // for…in without inherited keys is Object.keys, without building the array.
      for (const key in v) {
        if (!Object.prototype.hasOwnProperty.call(v, key)) continue;
        checkString(key, limits, way);
        way.push(key);
        checkJson(v[key], limits, depth + 1, way);
        way.pop();
      }
      return;
    default:
      // Below the top level an undefined member is refused, not dropped: what was evaluated
      // and hashed must be what the caller holds (drop it before asking).
      refuse(v === undefined ? 'an undefined value (JSON has none: leave the member out)' : 'a value that is not JSON', way);
  }
}

function checkString(s: string, limits: RequestLimits, way: Way): void {
  if (overUtf8Bytes(s, limits.maxStringBytes)) refuse(`string longer than ${limits.maxStringBytes} bytes`, way);
  if (!s.isWellFormed()) refuse('lone UTF-16 surrogate in a string', way);
}
