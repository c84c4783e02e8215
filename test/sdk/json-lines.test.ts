// The audit export reader on its own: line splitting across chunks, a last line without a
// newline, multi-byte characters cut between chunks, and typed errors for bad lines and
// broken connections.

import { describe, expect, it } from 'vitest';
import { jsonLines } from '../../src/sdk/json-lines.js';
import { MGENetworkError, MGEProtocolError } from '../../src/sdk/index.js';
import { AUDIT_ENTRY, type Shape } from '../../src/sdk/shapes.js';

/** Any JSON object: the line splitting on its own. */
const OBJECT: Shape = { what: 'an object', is: (v) => typeof v === 'object' && v !== null };

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

async function collect(body: ReadableStream<Uint8Array>, shape: Shape = OBJECT): Promise<unknown[]> {
  const out: unknown[] = [];
  for await (const v of jsonLines(body, 'GET', 'http://mge.test/x', shape)) out.push(v);
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

  // A review (11-29): `null` threw a raw TypeError, and `{"hello": "world"}` was yielded as an entry.
  it('refuses a line that is neither a decision nor a rule change, naming it', async () => {
    const decision = { decision_id: 'dec-1', approved: false, reasoning: 'r', rule_ids: [], violations: [], warnings: [] };
    const change = { kind: 'rule_change', rule_id: 'r', op: 'put', policy_version: 'sha256:00', by: 'key-1', timestamp: '2026-11-29T00:00:00.000Z' };
    await expect(collect(streamOf([bytes(`${JSON.stringify(decision)}\n${JSON.stringify(change)}\n`)]), AUDIT_ENTRY)).resolves.toEqual([decision, change]);
    for (const bad of ['null', '42', '"str"', '{"hello":"world"}', '[1,2]', '{"kind":"rule_change"}']) {
      const e = await collect(streamOf([bytes(`${JSON.stringify(decision)}\n${bad}\n`)]), AUDIT_ENTRY).catch((x: unknown) => x);
      expect(e, bad).toBeInstanceOf(MGEProtocolError);
      expect((e as Error).message).toBe(`GET http://mge.test/x: line 2 of the export is not a decision or a rule change entry: \`${bad}\``);
    }
  });

  it('turns a connection broken mid-stream into MGENetworkError, after the entries already read', async () => {
    const seen: unknown[] = [];
    const run = async () => {
      for await (const v of jsonLines(streamOf([bytes('{"a":1}\n'), new Error('socket hang up')]), 'GET', 'http://mge.test/x', OBJECT)) seen.push(v);
    };
    await expect(run()).rejects.toBeInstanceOf(MGENetworkError);
    expect(seen).toEqual([{ a: 1 }]);
  });
});
