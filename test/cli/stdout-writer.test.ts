// `mge serve`'s stdout (src/cli/serve.ts stdoutWriter): a reader that stops reading holds at
// most the backlog; later lines are dropped and counted, and a line says how many once the
// reader is back. Until 11-28 the queue, and the process, grew without bound (a review).

import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { stdoutWriter } from '../../src/cli/serve.js';

describe('stdoutWriter', () => {
  it('drops and counts lines past the backlog while the reader stalls, and says so when it drains', async () => {
    const written: string[] = [];
    const stalled: Array<() => void> = [];
    let reading = false;
    const out = new Writable({
      highWaterMark: 1024,
      write(chunk: Buffer, _enc, done) {
        written.push(chunk.toString());
        if (reading) done();
        else stalled.push(done);
      },
    });
    const write = stdoutWriter(out, 10_000);
    const line = `${'x'.repeat(99)}\n`;
    for (let i = 0; i < 500; i++) write(line);
    // The first chunk waits in the stalled reader; the queue holds ~10 000 bytes more.
    expect(out.writableLength).toBeLessThanOrEqual(10_000 + line.length);
    reading = true;
    stalled.shift()!();
    await new Promise((r) => setImmediate(r));
    const lines = written.join('').split('\n').filter((l) => l !== '');
    const kept = lines.filter((l) => l === line.trim()).length;
    const note = JSON.parse(lines[lines.length - 1]) as { level: string; msg: string; dropped: number };
    expect(note).toMatchObject({ level: 'warn', msg: 'log lines dropped: stdout was not read fast enough' });
    expect(kept).toBeGreaterThan(90);
    expect(kept + note.dropped).toBe(500);
    // The reader back: every line goes through again.
    write(line);
    await new Promise((r) => setImmediate(r));
    expect(written[written.length - 1]).toBe(line);
  });
});
