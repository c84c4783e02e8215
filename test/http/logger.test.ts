import { describe, expect, it } from 'vitest';
import { jsonLogger, redact } from '../../src/http/logger.js';

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
});
