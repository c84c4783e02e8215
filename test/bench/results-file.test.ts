import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { writeResultsSection, writeResultsTop } from '../../bench/workloads/results-file.js';

const dir = mkdtempSync(join(tmpdir(), 'mge-results-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('bench/RESULTS.md sections', () => {
  it('each bench replaces its own section, and the peers report keeps them all', () => {
    const file = join(dir, 'RESULTS.md');
    writeResultsTop('# Benchmark results\n\npeers v1', file);
    writeResultsSection('engine-bench', 'engine v1 $& $1', file);
    writeResultsSection('trust-bench', 'trust v1', file);
    writeResultsSection('engine-bench', 'engine v2 $& $1', file);
    writeResultsTop('# Benchmark results\n\npeers v2', file);
    expect(readFileSync(file, 'utf8')).toBe([
      '# Benchmark results\n\npeers v2',
      '<!-- engine-bench:start -->\nengine v2 $& $1\n<!-- engine-bench:end -->',
      '<!-- trust-bench:start -->\ntrust v1\n<!-- trust-bench:end -->',
    ].join('\n\n') + '\n');
  });
});
