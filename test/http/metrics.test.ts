import { describe, expect, it } from 'vitest';
import { Counter, Histogram, renderGauge } from '../../src/http/metrics.js';

describe('Prometheus text', () => {
  it('renders counters per label set, escaping label values', () => {
    const c = new Counter('mge_checks_total', 'Checks.');
    c.inc({ tenant: 'a', outcome: 'approved' });
    c.inc({ tenant: 'a', outcome: 'approved' });
    c.inc({ tenant: 'x"}\n', outcome: 'denied' });
    expect(c.render()).toBe(
      '# HELP mge_checks_total Checks.\n# TYPE mge_checks_total counter\n' +
        'mge_checks_total{tenant="a",outcome="approved"} 2\n' +
        'mge_checks_total{tenant="x\\"}\\n",outcome="denied"} 1\n',
    );
  });

  it('renders cumulative histogram buckets', () => {
    const h = new Histogram('lat', 'Latency.', [0.001, 0.01]);
    for (const v of [0.0005, 0.005, 0.005, 2]) h.observe(v);
    expect(h.render()).toBe(
      '# HELP lat Latency.\n# TYPE lat histogram\n' +
        'lat_bucket{le="0.001"} 1\nlat_bucket{le="0.01"} 3\nlat_bucket{le="+Inf"} 4\nlat_sum 2.0105\nlat_count 4\n',
    );
  });

  it('renders gauges', () => {
    expect(renderGauge('g', 'G.', [{ labels: { tenant: 't' }, value: 3 }])).toBe('# HELP g G.\n# TYPE g gauge\ng{tenant="t"} 3\n');
  });
});
