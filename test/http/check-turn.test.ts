// Checks wait for their turn (AppDeps.checkTurn) before any work, and the Node adapter's turn
// is one setImmediate shared by every check read in the same event-loop turn.
import { describe, expect, it } from 'vitest';
import { nodeCheckTurn } from '../../src/adapters/node/check-turn.js';
import { harness, KEYS } from './harness.js';

const CHECK = '/api/v1/governance/check';

/** A gate the test opens by hand, counting how often the app asked for it. */
function gate() {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => (open = resolve));
  const g = { asked: 0, open, turn: () => (g.asked++, promise) };
  return g;
}

const ticks = async (n: number) => {
  for (let i = 0; i < n; i++) await new Promise((r) => setImmediate(r));
};

/**
 * Until the app asked for `n` turns (reading a body takes a varying number of ticks on a busy
 * machine), or 10 s: a fresh clone's CI run of 11-29 saw none asked within 2 000 ticks.
 */
const asked = async (g: { asked: number }, n: number) => {
  for (const end = Date.now() + 10_000; g.asked < n && Date.now() < end; ) await ticks(1);
  await ticks(5); // and a few more: nothing may start before the turn
  return g.asked;
};

describe('checkTurn', () => {
  it('holds a check, single or batch, until its turn: nothing evaluated, signed or logged before', async () => {
    const g = gate();
    const h = await harness({ checkTurn: g.turn });
    const single = h.call('POST', CHECK, { key: KEYS.acmeChecker, body: { action: 'db.read' } });
    const batch = h.call('POST', `${CHECK}/batch`, { key: KEYS.acmeChecker, body: { requests: [{ action: 'a' }, { action: 'b' }] } });
    expect(await asked(g, 2)).toBe(2);
    expect(await h.audit.size('acme')).toBe(0);
    g.open();
    expect((await single).status).toBe(200);
    expect((await batch).status).toBe(200);
    expect(await h.audit.size('acme')).toBe(3);
  });

  it('holds a receipt verification until its turn: its nonce is not consumed before', async () => {
    const plain = await harness();
    const res = await plain.call('POST', CHECK, { key: KEYS.acmeChecker, body: { action: 'db.read' } });
    const decision: unknown = await res.json();
    const g = gate();
    const h = await harness({ checkTurn: g.turn, signer: plain.deps.signer, nonceStore: plain.deps.nonceStore });
    const body = { decision, action: 'db.read' };
    const held = h.call('POST', '/api/v1/receipts/verify', { key: KEYS.acmeChecker, body });
    expect(await asked(g, 1)).toBe(1);
    // Not consumed yet: the app that does not wait still finds the nonce fresh.
    expect(await (await plain.call('POST', '/api/v1/receipts/verify', { key: KEYS.acmeChecker, body })).json()).toEqual({ valid: true, approved: true });
    g.open();
    expect(await (await held).json()).toEqual({ valid: false, reason: 'replayed' });
  });

  it('on Node: one promise per event-loop turn, settled after that turn\'s I/O phase', async () => {
    const turn = nodeCheckTurn();
    const first = turn();
    expect(turn()).toBe(first); // every check of this turn waits on the same one
    let settled = false;
    void first.then(() => (settled = true));
    await Promise.resolve();
    await Promise.resolve();
    expect(settled).toBe(false); // not in this turn's microtasks
    await new Promise((r) => setImmediate(r));
    expect(settled).toBe(true);
    expect(turn()).not.toBe(first); // the next turn gets its own
  });
});
