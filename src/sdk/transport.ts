// One HTTP exchange with the MGE server: auth header, per-attempt timeout, typed errors, and
// retries with backoff — but only for calls the caller marks idempotent. A governance check is
// never retried: it appends to the audit log and takes rate-limit tokens, and a receipt verify
// consumes its nonce, so sending either twice is not the same as sending it once.
// Only web-standard APIs (fetch, AbortController, setTimeout), so it runs in every runtime.

import { httpError, MGEConfigError, MGEError, MGENetworkError, MGEProtocolError, MGETimeoutError, type Problem } from './errors.js';
import type { Shape } from './shapes.js';
import { jsonText } from './json-text.js';

export type FetchLike = (input: string, init: RequestInit) => Promise<Response>;

export interface TransportOptions {
  apiKey?: string;
  /** Per attempt, until the response headers (and, for JSON calls, the body) arrived; between two chunks of the audit export. Default 10 000. */
  timeoutMs?: number;
  /** Extra attempts for idempotent calls. Default 2. */
  retries?: number;
  /** First backoff delay; doubles per attempt, with jitter. Default 200. */
  retryDelayMs?: number;
  /** Cap on any single backoff delay, including a server's `Retry-After`. Default 5 000. */
  maxRetryDelayMs?: number;
  fetch?: FetchLike;
}

export interface Call {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  path: string;
  query?: Record<string, string | number | boolean | undefined>;
  /** A value sent as JSON, or a string sent as is with `contentType`. */
  body?: unknown;
  contentType?: string;
  /** Safe to send more than once (retried on network errors, timeouts, 429, 502, 503, 504). */
  idempotent: boolean;
  /** The caller's cancellation: stops the attempt in flight and any retry, rejecting with its reason. */
  signal?: AbortSignal;
  /**
   * A removal: a 404 to a retry after an attempt whose outcome is unknown (no answer: a network
   * error, a timeout) is that attempt's work, done, not "no such thing" (until 11-29 a DELETE
   * whose answer was lost threw MGENotFound for the rule it had deleted; a review). After a
   * 429 or 503 nothing was done: a 404 then is one.
   */
  removal?: true;
}

/**
 * One id as a path segment, percent-encoded. `.` and `..` are no id MGE gives (rule and decision
 * ids start with a letter or digit) and a URL resolves them away, encoded or not:
 * `DELETE /api/v1/rules/.` was sent as `DELETE /api/v1/rules/`, the route that empties the set
 * behind a proxy that trims a trailing slash (a review, 11-29). Refused.
 */
export function pathSegment(id: string, what: string): string {
  // An empty id too: `DELETE /api/v1/rules/` is the route that empties the set behind such a proxy.
  if (typeof id !== 'string' || id === '' || id === '.' || id === '..') throw new MGEConfigError(`\`${String(id)}\` is not a ${what}: it would name another path`);
  return encodeURIComponent(id);
}

/**
 * A key fetch cannot put in a header (a line break, a NUL, a space, non-ASCII) failed every
 * call with fetch's own message, which quotes the header, key and all (two
 * keys joined by a newline in a variable, printed in the logs). Never repeated here.
 */
function refuseBadApiKey(apiKey: unknown): void {
  if (apiKey === undefined || apiKey === null) return;
  if (typeof apiKey !== 'string') throw new MGEConfigError(`\`apiKey\` is a string (got ${typeof apiKey})`);
  if (!/^[\x21-\x7e]*$/.test(apiKey)) {
    throw new MGEConfigError('`apiKey` holds a character an HTTP header cannot carry (a line break, a space, a NUL or non-ASCII; read from a file or a variable, trim it); the key is not repeated here');
  }
}

/**
 * `work`, or a rejection as soon as `signal` aborts: a `fetch` given in the options that ignores
 * its signal must not hold a call past its timeout (it would hang for ever).
 */
function untilAborted<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    const done = (): void => signal.removeEventListener('abort', onAbort);
    work.then((v) => (done(), resolve(v)), (e: unknown) => (done(), reject(e)));
  });
}

/** Statuses worth another attempt: overload and gateway trouble, never a client error. */
const RETRY_STATUS = new Set([429, 502, 503, 504]);

/**
 * A base URL is http(s) with its scheme, or a path on the page's own origin (`/mge`, `./mge`,
 * in a browser). `localhost:8080` failed only at the first call, as "fetch failed" or "Failed to
 * parse URL".
 */
function refuseBadBaseUrl(baseUrl: string): void {
  // From plain JavaScript: `new MGEClient({ baseUrl })` failed as "baseUrl.startsWith is not a function".
  if (typeof baseUrl !== 'string') {
    throw new MGEConfigError(`the base URL is the first argument, a string or a URL (got ${baseUrl === null ? 'null' : typeof baseUrl}): new MGEClient('http://127.0.0.1:8080', { apiKey })`);
  }
  // `user:pass@` anywhere before the path, with a scheme or not: never echoed.
  if (/^(?:[a-z][a-z0-9+.-]*:)?(?:\/\/)?[^/?#]*@/i.test(baseUrl)) {
    throw new MGEConfigError('the base URL holds credentials (`user:password@`), which fetch does not send: give the key as `apiKey`');
  }
  // `//host` is another host, not a path on the page's own origin.
  if (baseUrl.startsWith('//')) throw new MGEConfigError(`base URL \`${baseUrl}\` names a host without a scheme: write it with one, e.g. \`https:${baseUrl}\``);
  if (baseUrl === '' || /^\.{0,2}(\/|$)/.test(baseUrl)) return;
  let protocol: string | undefined;
  try {
    protocol = new URL(baseUrl).protocol;
  } catch {
    protocol = undefined;
  }
  if (protocol !== 'http:' && protocol !== 'https:') {
    throw new MGEConfigError(`base URL \`${baseUrl}\` is not an http(s) URL: write it with its scheme, e.g. \`http://127.0.0.1:8080\``);
  }
}

/**
 * A numeric option as given, or its default when left out; NaN, infinite or negative values are
 * refused here (`retries: Number(process.env.X)` with X unset made every read retry forever,
 * and `timeoutMs: NaN` acted as a 1 ms timeout).
 */
function numberOption(name: string, value: number | null | undefined, fallback: number, min?: number): number {
  if (value === undefined || value === null) return fallback;
  // Timers take at most 2^31 − 1 ms; Node runs a longer one after 1 ms.
  if (typeof value !== 'number' || !Number.isFinite(value) || (min !== undefined && value < min) || value > MAX_TIMER_MS) {
    const got = typeof value === 'string' ? `the string \`${value}\` (convert it with Number())` : String(value);
    throw new MGEConfigError(`\`${name}\` must be a finite number${min === undefined ? '' : ` of at least ${min}`}, at most ${MAX_TIMER_MS}; got ${got}`);
  }
  return value;
}

const MAX_TIMER_MS = 2 ** 31 - 1;

export class Transport {
  readonly baseUrl: string;
  /**
   * Not enumerable: `console.log(client)` and JSON.stringify used to show the key. (Not a `#`
   * field, which a deep Proxy, as Vue's `reactive` makes, cannot read.)
   */
  declare private readonly apiKey: string | undefined;
  private readonly fetchFn: FetchLike;
  /** Per attempt; a streamed body (the audit export) is held to it between chunks too. */
  readonly timeoutMs: number;
  private readonly retries: number;
  private readonly retryDelayMs: number;
  private readonly maxRetryDelayMs: number;

  constructor(baseUrl: string | URL, opts: TransportOptions = {}) {
    if (baseUrl instanceof URL) baseUrl = baseUrl.href; // what fetch itself takes
    refuseBadBaseUrl(baseUrl);
    this.baseUrl = baseUrl.replace(/(?<!\/)\/+$/, ''); // from the run's start: linear
    refuseBadApiKey(opts.apiKey);
    Object.defineProperty(this, 'apiKey', { value: opts.apiKey, enumerable: false });
    // Bound, because a bare `fetch` called as a method throws "Illegal invocation" in browsers.
    this.fetchFn = opts.fetch ?? ((input, init) => globalThis.fetch(input, init));
    this.timeoutMs = numberOption('timeoutMs', opts.timeoutMs, 10_000, 1);
    // A negative count has meant "no retry" (one attempt) all along.
    this.retries = Math.max(0, Math.floor(numberOption('retries', opts.retries, 2)));
    this.retryDelayMs = numberOption('retryDelayMs', opts.retryDelayMs, 200, 0);
    this.maxRetryDelayMs = numberOption('maxRetryDelayMs', opts.maxRetryDelayMs, 5_000, 0);
  }

  /** Sends `call` and parses the JSON answer, which must have `shape` (else MGEProtocolError). */
  async json<T>(call: Call, shape: Shape): Promise<T> {
    return this.attempt(call, async (res, url) => {
      const text = await res.text();
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch {
        throw new MGEProtocolError(call.method, url, `expected JSON, got \`${text.slice(0, 80)}\``);
      }
      if (!shape.is(value)) throw new MGEProtocolError(call.method, url, `expected ${shape.what}, got \`${text.slice(0, 80)}\``);
      return value as T;
    });
  }

  /** Sends `call` and discards the answer's body (204 responses). */
  async empty(call: Call): Promise<void> {
    await this.attempt(call, async (res) => {
      await res.body?.cancel();
    });
  }

  /** Sends `call` and hands back the open response (for streaming bodies). */
  async stream(call: Call): Promise<Response> {
    return this.attempt(call, async (res) => res);
  }

  private url(call: Call): string {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(call.query ?? {})) if (v !== undefined) q.set(k, String(v));
    const qs = q.toString();
    return this.baseUrl + call.path + (qs ? `?${qs}` : '');
  }

  /**
   * The body as sent, written once before any attempt: a value JSON cannot carry is the
   * caller's error (MGEConfigError), not a network error to retry.
   */
  private bodyOf(call: Call): string | undefined {
    if (call.body === undefined || typeof call.body === 'string') return call.body;
    return jsonText(call.body, `${call.method} ${call.path}: the body`);
  }

  private init(call: Call, body: string | undefined, signal: AbortSignal): RequestInit {
    const headers: Record<string, string> = { accept: 'application/json, application/problem+json' };
    if (this.apiKey) headers.authorization = `Bearer ${this.apiKey}`;
    if (body !== undefined) headers['content-type'] = call.contentType ?? 'application/json';
    // A redirect is not followed (a 302 turned a check into a GET, and the JWKS would
    // be fetched from wherever it pointed): MGE's API never redirects.
    return { method: call.method, headers, body, signal, redirect: 'manual' };
  }

  /** Runs attempts until one succeeds, a non-retryable failure happens, or retries run out. */
  private async attempt<T>(call: Call, read: (res: Response, url: string) => Promise<T>): Promise<T> {
    const url = this.url(call);
    const body = this.bodyOf(call);
    const attempts = call.idempotent ? this.retries + 1 : 1;
    const cancel = call.signal;
    let unanswered = false;
    for (let i = 0; ; i++) {
      cancel?.throwIfAborted();
      const last = i === attempts - 1;
      const ctl = new AbortController();
      let timedOut = false;
      const timer = setTimeout(() => {
        timedOut = true;
        ctl.abort();
      }, this.timeoutMs);
      const onCancel = (): void => ctl.abort();
      cancel?.addEventListener('abort', onCancel);
      let retryAfter: number | undefined;
      try {
        const res = await untilAborted(this.fetchFn(url, this.init(call, body, ctl.signal)), ctl.signal);
        if (res.type === 'opaqueredirect' || (res.status >= 300 && res.status < 400)) {
          await res.body?.cancel();
          const to = res.headers.get('location');
          throw new MGEProtocolError(call.method, url, `the server answered with a redirect${to ? ` to \`${to.slice(0, 200)}\`` : ''}, which is not followed: MGE's API does not redirect; give the client the final address`);
        }
        if (res.ok || (call.removal && unanswered && res.status === 404)) return await untilAborted(read(res, url), ctl.signal);
        const problem = await untilAborted(readProblem(res), ctl.signal);
        if (last || !RETRY_STATUS.has(res.status)) throw httpError(problem, call.method, url);
        retryAfter = parseRetryAfter(res.headers.get('retry-after'));
      } catch (e) {
        // The caller's own cancellation is theirs to handle, as with fetch: its reason, untyped.
        if (cancel?.aborted) throw cancel.reason;
        const err = timedOut
          ? new MGETimeoutError(call.method, url, this.timeoutMs)
          : e instanceof MGEError
            ? e
            : new MGENetworkError(call.method, url, e);
        const transient = err instanceof MGETimeoutError || err instanceof MGENetworkError;
        unanswered ||= transient; // the server may have done it
        if (last || !transient) throw err;
      } finally {
        clearTimeout(timer);
        cancel?.removeEventListener('abort', onCancel);
      }
      await sleep(this.backoff(i, retryAfter), cancel);
    }
  }

  /** Exponential backoff with "equal jitter", so many clients do not retry in lockstep. */
  private backoff(attempt: number, retryAfterMs?: number): number {
    const exp = Math.min(this.maxRetryDelayMs, this.retryDelayMs * 2 ** attempt);
    const jittered = exp / 2 + Math.random() * (exp / 2);
    return Math.min(this.maxRetryDelayMs, Math.max(jittered, retryAfterMs ?? 0));
  }
}

/** The problem+json body, or one made from the status line when the body is something else. */
async function readProblem(res: Response): Promise<Problem> {
  const text = await res.text().catch(() => '');
  try {
    const body: unknown = JSON.parse(text);
    if (body && typeof body === 'object' && !Array.isArray(body)) {
      const p = body as Record<string, unknown>;
      return {
        ...p,
        title: typeof p.title === 'string' ? p.title : res.statusText || `HTTP ${res.status}`,
        // The status line is authoritative: it is what proxies and retries look at too.
        status: res.status,
      };
    }
  } catch {
    // not JSON: fall through
  }
  return { title: res.statusText || `HTTP ${res.status}`, status: res.status, detail: text.slice(0, 500) || undefined };
}

/** `Retry-After` in seconds or as an HTTP date, in milliseconds from now. */
function parseRetryAfter(v: string | null): number | undefined {
  if (!v) return undefined;
  if (/^\d+$/.test(v.trim())) return Number(v) * 1000;
  const at = Date.parse(v);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}

/** Waits `ms`, or rejects with the signal's reason as soon as it aborts. */
function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const done = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      if (signal?.aborted) reject(signal.reason);
      else resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done);
  });
}
