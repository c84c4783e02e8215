// Prometheus text exposition (format 0.0.4) for /metrics, without a client library: a few
// counters, one histogram and gauges read at scrape time. Label values are escaped as the format
// requires, so a tenant name cannot forge a series.

type Labels = Record<string, string>;

function escapeLabel(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

function labelText(labels: Labels): string {
  const parts = Object.entries(labels).map(([k, v]) => `${k}="${escapeLabel(v)}"`);
  return parts.length === 0 ? '' : `{${parts.join(',')}}`;
}

/** Label names and values, NUL-separated: no label here holds a NUL (tenant names are validated, the rest are ours). */
function slotKey(labels: Labels): string {
  let key = '';
  for (const name in labels) key += name + '\u0000' + labels[name] + '\u0000';
  return key;
}

/** A monotonically increasing count per label set. */
export class Counter {
  private readonly values = new Map<string, { labels: Labels; value: number }>();
  constructor(readonly name: string, readonly help: string) {}

  inc(labels: Labels = {}, by = 1): void {
    // Counted on every check: the key is a cheap join, the escaped text is built at scrape time.
    const key = slotKey(labels);
    const slot = this.values.get(key);
    if (slot) slot.value += by;
    else this.values.set(key, { labels, value: by });
  }

  get(labels: Labels = {}): number {
    return this.values.get(slotKey(labels))?.value ?? 0;
  }

  render(): string {
    let out = `# HELP ${this.name} ${this.help}\n# TYPE ${this.name} counter\n`;
    for (const { labels, value } of this.values.values()) out += `${this.name}${labelText(labels)} ${value}\n`;
    return out;
  }
}

/** Cumulative buckets (`le`), a sum and a count, as Prometheus histograms are defined. */
export class Histogram {
  private readonly counts: number[];
  private sum = 0;
  private count = 0;
  constructor(readonly name: string, readonly help: string, readonly buckets: readonly number[]) {
    this.counts = buckets.map(() => 0);
  }

  observe(value: number): void {
    this.sum += value;
    this.count += 1;
    for (let i = 0; i < this.buckets.length; i++) if (value <= this.buckets[i]) this.counts[i] += 1;
  }

  render(): string {
    let out = `# HELP ${this.name} ${this.help}\n# TYPE ${this.name} histogram\n`;
    this.buckets.forEach((le, i) => (out += `${this.name}_bucket{le="${le}"} ${this.counts[i]}\n`));
    out += `${this.name}_bucket{le="+Inf"} ${this.count}\n${this.name}_sum ${this.sum}\n${this.name}_count ${this.count}\n`;
    return out;
  }
}

/** A value read when scraped, one sample per label set. */
export interface GaugeSample {
  labels: Labels;
  value: number;
}

export function renderGauge(name: string, help: string, samples: readonly GaugeSample[]): string {
  let out = `# HELP ${name} ${help}\n# TYPE ${name} gauge\n`;
  for (const s of samples) out += `${name}${labelText(s.labels)} ${s.value}\n`;
  return out;
}

/** The server's own series; gauges that depend on the engine or the log are added by the route. */
export class ServerMetrics {
  readonly checks = new Counter('mge_checks_total', 'Checks answered, by tenant and outcome (approved, denied).');
  readonly checkErrors = new Counter('mge_check_errors_total', 'Checks not answered with a decision, by tenant and HTTP status.');
  readonly latency = new Histogram('mge_check_duration_seconds', 'Time from request to signed, logged decision.', [
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1,
  ]);
  readonly verifications = new Counter('mge_receipt_verifications_total', 'Receipts verified, by tenant and result (valid or the reason code).');
  readonly reloads = new Counter('mge_rule_reloads_total', 'Rule set swaps, by source (files, api) and result (ok, rejected).');
  readonly responses = new Counter('mge_http_responses_total', 'HTTP responses, by status code.');
  readonly connectionsRefused = new Counter('mge_connections_refused_total', 'Connections closed as they arrived: the server held as many as it may (MGE_MAX_CONNECTIONS).');
  /** Connections open now; set by a server that counts them (the Node adapter). */
  connectionsOpen: (() => number) | undefined;
  /** 1 while the rules directory's last reload was refused (set by the Node reloader). */
  rulesDirRefused = 0;
  /** Whether the shared state store (MGE_REDIS_URL) is connected; absent without one. */
  sharedStateUp: (() => boolean) | undefined;
}
