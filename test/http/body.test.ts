import { describe, expect, it } from 'vitest';
import { DEFAULT_JSON_LIMITS } from '../../src/json/strict-parse.js';
import { readBodyText, readJsonBody } from '../../src/http/body.js';
import { HttpProblem } from '../../src/http/problem.js';

const json = { 'content-type': 'application/json' };

function chunked(parts: Uint8Array[], onPull: () => void = () => {}): ReadableStream<Uint8Array> {
  let i = 0;
  return new ReadableStream({
    pull(controller) {
      onPull();
      if (i < parts.length) controller.enqueue(parts[i++]);
      else controller.close();
    },
  }, { highWaterMark: 0 }); // pull only when read, so the count shows what readBodyText asked for
}

async function status(p: Promise<unknown>): Promise<number | string> {
  try {
    await p;
    return 'ok';
  } catch (e) {
    return e instanceof HttpProblem ? e.status : String(e);
  }
}

describe('readBodyText', () => {
  it('refuses a declared Content-Length over the limit before reading', async () => {
    let pulled = 0;
    const body = chunked([new Uint8Array(10)], () => pulled++);
    const req = new Request('http://x/', { method: 'POST', body, headers: { 'content-length': '65537' }, duplex: 'half' } as RequestInit);
    expect(await status(readBodyText(req, 65536))).toBe(413);
    expect(pulled).toBe(0);
  });

  it('stops reading an undeclared stream as soon as it passes the limit', async () => {
    let pulled = 0;
    const parts = Array.from({ length: 100 }, () => new Uint8Array(1024));
    const req = new Request('http://x/', { method: 'POST', body: chunked(parts, () => pulled++), duplex: 'half' } as RequestInit);
    expect(await status(readBodyText(req, 4096))).toBe(413);
    expect(pulled).toBeLessThan(10);
  });

  it('gives up a body that stops coming: 408 at the deadline, and the stream is cancelled', async () => {
    let cancelled = false;
    const stalled = new ReadableStream<Uint8Array>({
      start(controller) { controller.enqueue(new TextEncoder().encode('{"action":')); }, // then nothing more
      cancel() { cancelled = true; },
    });
    const req = new Request('http://x/', { method: 'POST', body: stalled, duplex: 'half' } as RequestInit);
    expect(await status(readBodyText(req, 65536, undefined, 50))).toBe(408);
    expect(cancelled).toBe(true);
    // A body that arrives whole in time is read as ever.
    const whole = new Request('http://x/', { method: 'POST', body: chunked([new TextEncoder().encode('{}')]), duplex: 'half' } as RequestInit);
    expect(await readBodyText(whole, 65536, undefined, 50)).toBe('{}');
  });

  it('reads exactly the limit, and refuses invalid UTF-8 with 400', async () => {
    const ok = new Request('http://x/', { method: 'POST', body: 'a'.repeat(4096) });
    expect((await readBodyText(ok, 4096)).length).toBe(4096);
    const bad = new Request('http://x/', { method: 'POST', body: new Uint8Array([0x7b, 0xff, 0x7d]) });
    expect(await status(readBodyText(bad, 4096))).toBe(400);
  });
});

describe('readJsonBody', () => {
  const cases: Array<[string, string | undefined, string, number | string]> = [
    ['plain object', 'application/json', '{"action":"x"}', 'ok'],
    ['+json suffix with charset', 'application/problem+json; charset=utf-8', '{}', 'ok'],
    ['no content type', undefined, '{}', 415],
    ['form content type', 'application/x-www-form-urlencoded', '{}', 415],
    ['duplicate keys', 'application/json', '{"a":1,"a":2}', 400],
    ['depth 33', 'application/json', '['.repeat(33) + ']'.repeat(33), 400],
    ['depth 32', 'application/json', '['.repeat(32) + ']'.repeat(32), 'ok'],
    ['1025 items', 'application/json', `[${Array(1025).fill(0).join(',')}]`, 400],
    ['unsafe integer', 'application/json', '{"n":9007199254740993}', 400],
    ['lone surrogate', 'application/json', '{"s":"\\ud800"}', 400],
    ['trailing garbage', 'application/json', '{} x', 400],
    ['65 KiB', 'application/json', `{"s":"${'a'.repeat(65 * 1024)}"}`, 413],
  ];
  for (const [name, type, body, expected] of cases) {
    it(name, async () => {
      const req = new Request('http://x/', { method: 'POST', body, headers: type ? { 'content-type': type } : {} });
      expect(await status(readJsonBody(req, DEFAULT_JSON_LIMITS))).toBe(expected);
    });
  }

  it('keeps __proto__ as plain data', async () => {
    const req = new Request('http://x/', { method: 'POST', body: '{"__proto__":{"polluted":true}}', headers: json });
    const v = (await readJsonBody(req, DEFAULT_JSON_LIMITS)) as Record<string, unknown>;
    expect(Object.keys(v)).toEqual(['__proto__']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe('a body that breaks off', () => {
  it('is 400, not a server error', async () => {
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        controller.error(new Error('connection reset'));
      },
    });
    const req = new Request('http://x/', { method: 'POST', body, duplex: 'half' } as RequestInit);
    expect(await status(readBodyText(req, 4096))).toBe(400);
  });
});

describe('bytes an adapter already read', () => {
  it('are used instead of the stream, under the same limit', async () => {
    let pulled = 0;
    const req = () => new Request('http://x/', { method: 'POST', body: chunked([new Uint8Array(1)], () => pulled++), duplex: 'half' } as RequestInit);
    const pre = (bytes: Uint8Array) => ({ bytes, contentType: 'application/json' });
    expect(await readBodyText(req(), 10, pre(new TextEncoder().encode('{"a":1}')))).toBe('{"a":1}');
    expect(await status(readBodyText(req(), 10, pre(new Uint8Array(11))))).toBe(413);
    expect(await status(readBodyText(req(), 10, pre(new Uint8Array([0xff]))))).toBe(400);
    expect(pulled).toBe(0);
  });

  it('come with the Content-Type the adapter saw: the Request\'s Headers are not read', async () => {
    const req = new Request('http://x/', { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } });
    Object.defineProperty(req, 'headers', { get: () => { throw new Error('headers read'); } });
    const bytes = new TextEncoder().encode('{"a":1}');
    expect(await readJsonBody(req, DEFAULT_JSON_LIMITS, { bytes, contentType: 'application/json; charset=utf-8' })).toEqual({ a: 1 });
    expect(await status(readJsonBody(req, DEFAULT_JSON_LIMITS, { bytes, contentType: 'text/plain' }))).toBe(415);
    expect(await status(readJsonBody(req, DEFAULT_JSON_LIMITS, { bytes, contentType: undefined }))).toBe(415);
  });
});

describe('a body the adapter cut short', () => {
  it('is 413 even under a larger route limit: its first bytes are never parsed as the whole body', async () => {
    // `{"a":1}` followed by spaces, cut where the adapter stopped: a valid prefix of an invalid body.
    const bytes = new TextEncoder().encode('{"a":1}' + ' '.repeat(10));
    const read = readJsonBody(new Request('http://x/', { method: 'POST' }), { ...DEFAULT_JSON_LIMITS, maxBytes: 1 << 20 }, { bytes, contentType: 'application/json', cutAt: 16 });
    const refused = await read.then(() => undefined, (e: unknown) => e as HttpProblem);
    expect([refused?.status, refused?.detail]).toEqual([413, 'the body is larger than 16 bytes']);
  });
});

describe('a compressed body', () => {
  const json = new TextEncoder().encode('{"a":1}');
  it('is refused with 415 naming the coding, from the Request or from the adapter; identity is no coding', async () => {
    const req = (encoding?: string) => new Request('http://x/', {
      method: 'POST', body: json, headers: { 'content-type': 'application/json', ...(encoding === undefined ? {} : { 'content-encoding': encoding }) },
    });
    for (const read of [
      (enc?: string) => readJsonBody(req(enc), DEFAULT_JSON_LIMITS),
      (enc?: string) => readJsonBody(req(), DEFAULT_JSON_LIMITS, { bytes: json, contentType: 'application/json', contentEncoding: enc }),
    ]) {
      expect(await read('identity')).toEqual({ a: 1 });
      expect(await read()).toEqual({ a: 1 });
      const refused = await read('GZIP').then(() => undefined, (e: unknown) => e as HttpProblem);
      expect([refused?.status, refused?.detail]).toEqual([415, 'Content-Encoding `gzip` is not supported: send the body uncompressed']);
      expect(await status(read('identity, br'))).toBe(415);
    }
  });

  it('is refused with 415 for a transfer coding other than chunked (the servers only undo the chunking)', async () => {
    const fromAdapter = (te?: string) => readJsonBody(new Request('http://x/', { method: 'POST' }), DEFAULT_JSON_LIMITS, { bytes: json, contentType: 'application/json', transferEncoding: te });
    expect(await fromAdapter('chunked')).toEqual({ a: 1 });
    expect(await fromAdapter()).toEqual({ a: 1 });
    const refused = await fromAdapter('gzip, chunked').then(() => undefined, (e: unknown) => e as HttpProblem);
    expect([refused?.status, refused?.detail]).toEqual([415, 'Transfer-Encoding `gzip` is not supported: send the body uncompressed (chunked alone is fine)']);
    // A web Request whose server left the header in place (Deno).
    const req = new Request('http://x/', { method: 'POST', body: json, headers: { 'content-type': 'application/json', 'transfer-encoding': 'GZIP, chunked' } });
    expect(await status(readJsonBody(req, DEFAULT_JSON_LIMITS))).toBe(415);
  });
});
