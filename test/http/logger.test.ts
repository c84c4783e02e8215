import { describe, expect, it } from 'vitest';
import { jsonLogger, rateLimitedWarn, redact, repeatLimited, type LogFields } from '../../src/http/logger.js';

describe('structured logs', () => {
  it('writes one JSON object per line with time, level and message', () => {
    const lines: string[] = [];
    const log = jsonLogger((l) => lines.push(l), () => Date.parse('2026-11-25T00:00:00.000Z'));
    log.warn('rules change ignored', { dir: 'rules' });
    expect(lines.map((l) => JSON.parse(l))).toEqual([{ time: '2026-11-25T00:00:00.000Z', level: 'warn', msg: 'rules change ignored', dir: 'rules' }]);
  });

  it('masks credential-named fields and reduces errors to name and message', () => {
    const out = redact({ authorization: 'Bearer k', 'x-api-key': 'k', secret: 's', apiKeys: 'a:b:c', by: 'key-0123', error: new RangeError('bad') });
    expect(out).toEqual({ authorization: '[redacted]', 'x-api-key': '[redacted]', secret: '[redacted]', apiKeys: '[redacted]', by: 'key-0123', error: { name: 'RangeError', message: 'bad' } });
  });

  it('never throws from a log call', () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    const log = jsonLogger(() => {
      throw new Error('stdout closed');
    });
    expect(() => log.error('x', { cyclic })).not.toThrow();
  });

  it('lets refused-request lines through up to a burst and a rate, and says how many it left out', () => {
    let t = Date.parse('2026-11-28T00:00:00.000Z');
    const lines: LogFields[] = [];
    const warn = rateLimitedWarn({ info() {}, error() {}, warn: (msg, fields) => lines.push({ msg, ...fields }) }, 10, 5, () => t);
    for (let i = 0; i < 8; i++) warn('request refused', { n: i });
    expect(lines.map((l) => l.n)).toEqual([0, 1, 2, 3, 4]); // the burst
    t += 250; // 2.5 lines' worth of time: two more
    for (let i = 8; i < 12; i++) warn('request refused', { n: i });
    expect(lines.slice(5)).toEqual([
      { msg: 'request refused', n: 8, left_out: 3, left_out_since: '2026-11-28T00:00:00.000Z' },
      { msg: 'request refused', n: 9 },
    ]);
    t += 60_000; // a quiet minute fills the bucket to its burst, not beyond
    for (let i = 12; i < 20; i++) warn('request refused', { n: i });
    expect(lines.slice(7).map((l) => l.n)).toEqual([12, 13, 14, 15, 16]);
    expect(lines[7]).toMatchObject({ left_out: 2, left_out_since: '2026-11-28T00:00:00.250Z' });
    // A clock set back an hour refills nothing, and lines come again as time passes from there.
    t -= 3_600_000;
    warn('request refused', { n: 20 });
    t += 100; // one line's worth
    warn('request refused', { n: 21 });
    expect(lines.slice(12).map((l) => l.n)).toEqual([21]);
  });

  it('logs a repeated error again at once after the clock is set back, not after the step', () => {
    let t = Date.parse('2026-11-28T00:00:00.000Z');
    const lines: LogFields[] = [];
    const repeated = repeatLimited({ info() {}, warn() {}, error: (msg, fields) => lines.push({ msg, ...fields }) }, 10_000, () => t);
    repeated('audit:t', 'audit append failed', { n: 1 });
    repeated('audit:t', 'audit append failed', { n: 2 }); // within 10 s: left out
    t -= 3_600_000;
    repeated('audit:t', 'audit append failed', { n: 3 });
    expect(lines.map((l) => l.n)).toEqual([1, 3]);
    expect(lines[1]).toMatchObject({ left_out: 1 });
  });
});
