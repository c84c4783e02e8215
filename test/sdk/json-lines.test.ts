// The audit export reader on its own: line splitting across chunks, a last line without a
// newline, multi-byte characters cut between chunks, and typed errors for bad lines and
// broken connections.

import { describe, expect, it } from 'vitest';
import { jsonLines } from '../../src/sdk/json-lines.js';
import { MGENetworkError, MGEProtocolError } from '../../src/sdk/index.js';

function streamOf(chunks: (Uint8Array | Error)[]): ReadableStream<Uint8Array> {
  let i = 0;
  return new ReadableStream({
    pull(ctl) {
      const c = chunks[i++];
      if (c === undefined) ctl.close();
      else if (c instanceof Error) ctl.error(c);
      else ctl.enqueue(c);
    },
  });
}

async function collect(body: ReadableStream<Uint8Array>): Promise<unknown[]> {
  const out: unknown[] = [];
  for await (const v of jsonLines(body, 'GET', 'http://mge.test/x')) out.push(v);
  return out;
}

const bytes = (s: string) => new TextEncoder().encode(s);

describe('jsonLines', () => {
  it('splits lines across chunks, keeps a last line without newline, skips blank lines', async () => {
    const all = bytes('{"a":"é"}\n\n{"b":2}\r\n{"c":3}');
    // Cut inside the two-byte `é` too.
    const chunks = [all.slice(0, 7), all.slice(7, 13), all.slice(13)];
    await expect(collect(streamOf(chunks))).resolves.toEqual([{ a: 'é' }, { b: 2 }, { c: 3 }]);
  });

  it('names the line that is not JSON', async () => {
    const e = await collect(streamOf([bytes('{"a":1}\n{oops\n')])).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(MGEProtocolError);
    expect((e as Error).message).toBe('GET http://mge.test/x: line 2 of the export is not JSON');
  });

  it('turns a connection broken mid-stream into MGENetworkError, after the entries already read', async () => {
    const seen: unknown[] = [];
    const run = async () => {
      for await (const v of jsonLines(streamOf([bytes('{"a":1}\n'), new Error('socket hang up')]), 'GET', 'http://mge.test/x')) seen.push(v);
    };
    await expect(run()).rejects.toBeInstanceOf(MGENetworkError);
    expect(seen).toEqual([{ a: 1 }]);
  });
});
