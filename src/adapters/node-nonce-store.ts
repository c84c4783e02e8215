// `mge serve`'s used nonces, kept in the data dir so a restart does not forget them (SPEC §5:
// a receipt verifies once). Until 11-26 they were in memory only, and a receipt verified just
// before a restart verified again after it, until it expired.
//
// The memory store decides (atomically, per tenant, as before); each nonce it accepts is then
// appended to `<data>/nonces.jsonl` and synced before the verification is answered, so an
// answered "valid" is never forgotten by a crash. A write that fails rejects (the verify route
// answers `nonce_store_unavailable`, fail closed) and the nonce stays used. At start the file's
// unexpired nonces are loaded and the file is rewritten with only them; while running it is
// rewritten the same way once it holds more lines than twice the live nonces (and 10 000).

import { open, rename, type FileHandle } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { MemoryNonceStore, type NonceStore } from '../state/nonce-store.js';
import { readIfPresent, syncDir, temporaryNameFor, writeSynced } from './node-new-file.js';

export const NONCES_FILE = 'nonces.jsonl';
const COMPACT_AFTER = 10_000;

const lineOf = (tenant: string, nonce: string, expiresAtMs: number): string => `${JSON.stringify({ e: expiresAtMs, n: nonce, t: tenant })}\n`;

export class NodeNonceStore implements NonceStore {
  private writes: Promise<unknown> = Promise.resolve();
  private lines = 0;

  private constructor(
    private readonly file: string,
    private readonly memory: MemoryNonceStore,
    private fh: FileHandle,
    private readonly now: () => number,
  ) {}

  /** Opens (or creates) `<dataDir>/nonces.jsonl`, keeping its unexpired nonces. */
  static async open(dataDir: string, opts: { maxEntries?: number; now?: () => number } = {}): Promise<NodeNonceStore> {
    const now = opts.now ?? Date.now;
    const memory = new MemoryNonceStore(opts.maxEntries, now);
    const file = join(dataDir, NONCES_FILE);
    const text = (await readIfPresent(file)) ?? '';
    const t = now();
    for (const line of text.split('\n')) {
      let entry: unknown;
      try {
        entry = JSON.parse(line);
      } catch {
        continue; // an empty line, or the torn last one of a crash mid-write (its verify was not answered)
      }
      const { e, n, t: tenant } = (entry ?? {}) as { e?: unknown; n?: unknown; t?: unknown };
      if (typeof e === 'number' && typeof n === 'string' && typeof tenant === 'string' && e >= t) await memory.consumeOnce(tenant, n, e);
    }
    const store = new NodeNonceStore(file, memory, await open(file, 'a', 0o600), now);
    await store.compact();
    return store;
  }

  async consumeOnce(tenant: string, nonce: string, expiresAtMs: number): Promise<'ok' | 'replayed' | 'full'> {
    const r = await this.memory.consumeOnce(tenant, nonce, expiresAtMs);
    if (r !== 'ok') return r;
    // Appends are chained, so a compaction never runs between another append's write and sync.
    const written = this.writes.then(async () => {
      await this.fh.appendFile(lineOf(tenant, nonce, expiresAtMs));
      await this.fh.datasync();
      if (++this.lines > COMPACT_AFTER) {
        this.memory.evictExpired(this.now()); // a heap peek when nothing has expired
        if (this.lines > 2 * this.memory.size) await this.compact();
      }
    });
    this.writes = written.catch(() => undefined);
    await written;
    return 'ok';
  }

  /** Rewrites the file with the unexpired nonces only (aside, synced, then renamed over it). */
  private async compact(): Promise<void> {
    this.memory.evictExpired(this.now());
    let text = '';
    let n = 0;
    for (const { tenant, nonce, expiresAtMs } of this.memory.entries()) {
      text += lineOf(tenant, nonce, expiresAtMs);
      n++;
    }
    const tmp = temporaryNameFor(this.file);
    await writeSynced(tmp, text, 0o600);
    await rename(tmp, this.file);
    await syncDir(dirname(this.file)); // else a power cut could bring back the old file, without later appends
    const old = this.fh;
    this.fh = await open(this.file, 'a', 0o600);
    this.lines = n;
    await old.close();
  }

  /** Waits for the appends under way, then closes the file. */
  async close(): Promise<void> {
    await this.writes;
    await this.fh.close();
  }
}
