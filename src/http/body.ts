// Request bodies, read under a byte limit (SPEC §2: 64 KiB by default). The declared
// Content-Length is checked before reading; the stream is then read with a running count and
// cancelled as soon as it passes the limit, so a chunked or lying client cannot make the server
// buffer more than the limit.

import type { Json } from '../ir/types.js';
import { JsonInputError, jsonLimits, parseStrictJson, type JsonLimits } from '../json/strict-parse.js';
import { decodeUtf8 } from '../json/utf8.js';
import { BadRequest, PayloadTooLarge, RequestTimeout, UnsupportedMediaType } from './problem.js';

/**
 * A body the adapter already read (capped at the limit + 1), with the request's Content-Type,
 * so a route needs neither the web Request's body stream nor its Headers object.
 */
export interface PreReadBody {
  bytes: Uint8Array;
  contentType: string | undefined;
  contentEncoding?: string | undefined;
  transferEncoding?: string | undefined;
  /**
   * Set when the adapter stopped reading at this many bytes: the body was longer, whatever the
   * route's own limit (a route spelled another way, `%76erify`, got the 64 KiB pre-read and
   * then parsed its first 64 KiB as if they were the whole body).
   */
  cutAt?: number;
}

/** The media type without parameters, lower-cased: `application/json; charset=utf-8` → `application/json`. */
export function mediaType(headers: Headers): string | undefined {
  return mediaTypeOf(headers.get('content-type') ?? undefined);
}

function mediaTypeOf(contentType: string | undefined): string | undefined {
  if (contentType === 'application/json') return contentType; // the usual case, without splitting
  return contentType?.split(';', 1)[0].trim().toLowerCase();
}

/** `application/json` or any `application/*+json`. */
export function isJsonMediaType(type: string | undefined): boolean {
  return type === 'application/json' || (type !== undefined && /^application\/[a-z0-9.+-]+\+json$/.test(type));
}

/** Throws 415 unless the Content-Type says JSON. */
function requireJson(contentType: string | undefined): void {
  const type = mediaTypeOf(contentType);
  if (!isJsonMediaType(type)) {
    throw new UnsupportedMediaType(type === undefined ? 'Content-Type must be application/json' : `Content-Type \`${type}\` is not application/json`);
  }
}

/**
 * Throws 415 for a compressed body (RFC 9110 §15.5.16): MGE reads bodies as sent, and a gzip
 * body used to be refused as "not valid UTF-8" (400), which sends the client looking in the
 * wrong place. `identity` is no coding.
 */
function requireIdentity(contentEncoding: string | undefined, transferEncoding: string | undefined): void {
  const content = codingsOf(contentEncoding, 'identity');
  if (content.length > 0) throw new UnsupportedMediaType(`Content-Encoding \`${content.join(', ')}\` is not supported: send the body uncompressed`);
  // A transfer coding other than chunked (`gzip, chunked`): the servers undo the chunking
  // only, so the bytes would be read as sent (Node, Deno and workerd evaluated them; Bun 400).
  const transfer = codingsOf(transferEncoding, 'chunked');
  if (transfer.length > 0) throw new UnsupportedMediaType(`Transfer-Encoding \`${transfer.join(', ')}\` is not supported: send the body uncompressed (chunked alone is fine)`);
}

/** The codings a header lists, lower-cased, but for the one that changes nothing here. */
function codingsOf(header: string | undefined, neutral: string): string[] {
  if (header === undefined) return [];
  return header.split(',').map((c) => c.trim().toLowerCase()).filter((c) => c !== '' && c !== neutral);
}

function tooLarge(maxBytes: number): PayloadTooLarge {
  return new PayloadTooLarge(`the body is larger than ${maxBytes} bytes`);
}

/**
 * The body as UTF-8 text, at most `maxBytes` bytes; 413 past that, 400 if it is not UTF-8.
 * @example const text = await readBodyText(c.req.raw, 64 * 1024)
 */
export async function readBodyText(req: Request, maxBytes: number, preRead?: PreReadBody, deadlineMs = BODY_DEADLINE_MS): Promise<string> {
  // Bytes the adapter already read (capped at the limit + 1; its server refused a malformed
  // Content-Length and left a declared size over the limit unread): no stream, no headers.
  if (preRead !== undefined) {
    requireIdentity(preRead.contentEncoding, preRead.transferEncoding);
    if (preRead.cutAt !== undefined) throw tooLarge(Math.min(maxBytes, preRead.cutAt));
    if (preRead.bytes.byteLength > maxBytes) throw tooLarge(maxBytes);
    return decode(preRead.bytes, preRead.contentType);
  }
  requireIdentity(req.headers.get('content-encoding') ?? undefined, req.headers.get('transfer-encoding') ?? undefined);
  const declared = req.headers.get('content-length');
  if (declared !== null) {
    if (!/^\d{1,15}$/.test(declared.trim())) throw new BadRequest('invalid Content-Length');
    if (Number(declared) > maxBytes) throw tooLarge(maxBytes);
  }
  const body = req.body;
  if (body === null) return '';
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  // A body that stops coming holds its connection for as long as the client likes: Deno's
  // server has no request timeout (200 stalled uploads were all still open after 43 s).
  // Past the deadline the read is given up: 408, and the runtime ends the connection.
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new RequestTimeout()), deadlineMs);
  });
  // Heard even while no read is racing it (a 413's cancel awaiting at the deadline): an
  // unheard rejection would end the process.
  deadline.catch(() => undefined);
  try {
    for (;;) {
      let next: ReadableStreamReadResult<Uint8Array>;
      try {
        next = await Promise.race([reader.read(), deadline]);
      } catch (err) {
        if (err instanceof RequestTimeout) {
          void reader.cancel().catch(() => undefined);
          throw err;
        }
        // The client went away mid-body (or sent a broken chunk): its fault, not ours.
        throw new BadRequest('the body could not be read to its end');
      }
      const { done, value } = next;
      if (done) break;
      total += value.byteLength;
      if (total > maxBytes) {
        await reader.cancel().catch(() => undefined);
        throw tooLarge(maxBytes);
      }
      chunks.push(value);
    }
  } finally {
    clearTimeout(timer);
  }
  return decode(chunks.length === 1 ? chunks[0] : concat(chunks, total), req.headers.get('content-type'));
}

/** How long a body read through the web Request (Bun, Deno, Workers) may take to arrive whole. */
const BODY_DEADLINE_MS = 30_000;

/** UTF-8's names: WHATWG's labels and IANA's `csUTF8`, the rarer ones too. */
const UTF8_LABEL = /^(?:utf-?8|unicode-1-1-utf-8|unicode(?:11|20)utf8|x-unicode20utf8|csutf8)$/i;

/** Charsets whose text is never UTF-8 (ASCII in them holds NUL bytes): refused as named. */
const WIDE_CHARSET = /^(?:utf-?(?:16|32)(?:le|be)?|ucs-?[24]|iso-10646-ucs-[24]|unicode|csunicode)$/i;

/**
 * The body as text: always UTF-8 (RFC 8259 §8.1), whatever charset the Content-Type names, so
 * ASCII sent as `charset=iso-8859-1` still reads. Bytes that are not UTF-8 under another charset
 * are 415 naming it (a 400 "not valid UTF-8" would leave the client guessing why), and so
 * is any body under UTF-16 or UTF-32: its ASCII is valid UTF-8 full of NULs, which was answered
 * `found \u0000` (400) or, for a rule, "got string" (422), sending the client the wrong way.
 * Under any other charset only ASCII reads the same both ways: a byte past
 * 0x7F is 415 even where it is valid UTF-8 (`Ã©` in Latin-1 is the UTF-8 of `é`: the client and
 * MGE would each hash and act on a different text).
 */
function decode(bytes: Uint8Array, contentType: string | null | undefined): string {
  // Read once. Only a Content-Type with parameters (`;`) can name a charset; most checks send none.
  const charset = contentType != null && contentType.includes(';') ? charsetOf(contentType) : undefined;
  if (charset !== undefined && WIDE_CHARSET.test(charset)) {
    throw new UnsupportedMediaType(`MGE reads bodies only as UTF-8: the Content-Type names charset \`${charset}\`; send UTF-8`);
  }
  const other = charset !== undefined && charset !== '' && !UTF8_LABEL.test(charset);
  if (other && !bytes.every((b) => b < 0x80)) {
    const named = /^[\w.:+-]{1,40}$/.test(charset) ? `charset \`${charset}\`` : 'another charset';
    throw new UnsupportedMediaType(`MGE reads bodies only as UTF-8, and under the ${named} the Content-Type names only ASCII reads the same; send UTF-8`);
  }
  try {
    return decodeUtf8(bytes);
  } catch {
    throw new BadRequest('the body is not valid UTF-8');
  }
}

/**
 * The `charset` parameter of a Content-Type (RFC 9110 §5.6.6: a token or a quoted string), if
 * any. Two that differ are 415: a client reading the last and MGE the first would each read
 * the body as another text.
 */
function charsetOf(contentType: string): string | undefined {
  const parameter = /;[ \t]*([!#$%&'*+.^`|~\w-]+)[ \t]*=[ \t]*(?:"((?:[^"\\]|\\.)*)"|([^;"]*))/g;
  let charset: string | undefined;
  for (let m = parameter.exec(contentType); m !== null; m = parameter.exec(contentType)) {
    if (m[1].toLowerCase() !== 'charset') continue;
    const value = (m[2]?.replace(/\\(.)/g, '$1') ?? m[3]).trim();
    if (charset !== undefined && charset.toLowerCase() !== value.toLowerCase()) {
      throw new UnsupportedMediaType('the Content-Type names two charsets; send UTF-8, named once or not at all');
    }
    charset = value;
  }
  return charset;
}

function concat(chunks: Uint8Array[], total: number): Uint8Array {
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.byteLength;
  }
  return out;
}

/** The verify route's path: its body holds a whole decision, with limits of its own (verifyLimits). */
export const VERIFY_PATH = '/api/v1/receipts/verify';

const VERIFY_MAX_BYTES = 1024 * 1024;

/**
 * What `POST /api/v1/receipts/verify` reads. Its body holds a decision the server issued,
 * which the check-request limits of SPEC §2 do not bound: a warning per applicable rule, a
 * rule's long message (an approved decision with 1 100 warnings, 133 KB, was refused
 * 413, and one with a 9 000-byte message 400, so the action it approved could never run).
 * Up to 1 MiB in all, strings and lists as long as that; four more levels than a check (the
 * decision's own, and an `explanation` of the request's values).
 */
export function verifyLimits(limits: JsonLimits): JsonLimits {
  const maxBytes = Math.max(limits.maxBytes, VERIFY_MAX_BYTES);
  return jsonLimits({ maxBytes, maxStringBytes: maxBytes, maxArrayItems: Math.max(limits.maxArrayItems, maxBytes), maxDepth: limits.maxDepth + 4 });
}

/**
 * A JSON body under every limit of SPEC §2: 415 unless JSON, 413 past `maxBytes`, 400 for
 * anything the strict parser refuses (duplicate keys, depth, unsafe integers, …).
 * @example const body = await readJsonBody(c.req.raw, DEFAULT_JSON_LIMITS)
 */
export async function readJsonBody(req: Request, limits: JsonLimits, preRead?: PreReadBody): Promise<Json> {
  requireJson(preRead !== undefined ? preRead.contentType : req.headers.get('content-type') ?? undefined);
  const text = await readBodyText(req, limits.maxBytes, preRead);
  try {
    return parseStrictJson(text, limits);
  } catch (err) {
    if (err instanceof JsonInputError) {
      if (err.reason === 'too_large') throw tooLarge(limits.maxBytes);
      throw new BadRequest(`malformed JSON: ${err.message}`, { reason: err.reason });
    }
    throw err;
  }
}
