// OPA on the workloads, through @open-policy-agent/opa-wasm: Rego compiled to WebAssembly by
// `opa build -t wasm`. The rules are data, indexed by action type (`data.rules[type]`), so a
// check visits only the rules of its action, as MGE's index does. The `opa` binary is not
// published on npm; without it on PATH (or in MGE_BENCH_OPA) this engine is reported as
// skipped, with the reason, and the Rego below stays ready for a machine that has it.

import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { loadPolicy } from '@open-policy-agent/opa-wasm';
import type { EngineFactory } from './engine.js';
import type { Workload } from './index.js';
import type { RuleSpec } from './rules.js';

export const REGO_POLICY = `package mge

import rego.v1

default deny := false

deny if {
	some r in data.rules[input.action.type]
	violated(r)
}

violated(r) if {
	r.kind == "prod-write"
	input.context.environment == r.environment
}

violated(r) if {
	r.kind == "blocked-ext"
	some e in r.extensions
	endswith(input.action.path, e)
}

violated(r) if {
	r.kind == "role-allow"
	not input.context.role in r.roles
}

violated(r) if {
	r.kind == "encryption"
	not input.context.encryption.algorithm in r.algorithms
}

violated(r) if {
	r.kind == "amount-ceiling"
	input.action.amount > r.ceiling
}
`;

/** The rules as OPA data: specs grouped by the action they govern. */
export function regoData(rules: readonly RuleSpec[]): { rules: Record<string, RuleSpec[]> } {
  const byAction: Record<string, RuleSpec[]> = {};
  for (const r of rules) (byAction[r.action] ??= []).push(r);
  return { rules: byAction };
}

/** The bytes of `name` in a .tar.gz (ustar: 512-byte headers, octal sizes). */
function untarFile(tgz: Uint8Array, name: string): Uint8Array | undefined {
  const tar = gunzipSync(tgz);
  const text = (from: number, len: number) => tar.subarray(from, from + len).toString('latin1').replace(/\0.*$/s, '');
  for (let at = 0; at + 512 <= tar.length && tar[at] !== 0;) {
    const size = parseInt(text(at + 124, 12).trim(), 8);
    if (text(at, 100).replace(/^\/+/, '') === name) return tar.subarray(at + 512, at + 512 + size);
    at += 512 + Math.ceil(size / 512) * 512;
  }
  return undefined;
}

let compiled: Uint8Array | { skipped: string } | undefined;

/** Compiles REGO_POLICY with the opa binary (once per process), or says why it cannot. */
export function compileRego(): Uint8Array | { skipped: string } {
  return (compiled ??= compileOnce());
}

function compileOnce(): Uint8Array | { skipped: string } {
  const opa = process.env.MGE_BENCH_OPA ?? 'opa';
  const dir = mkdtempSync(join(tmpdir(), 'mge-bench-opa-'));
  try {
    writeFileSync(join(dir, 'policy.rego'), REGO_POLICY);
    execFileSync(opa, ['build', '-t', 'wasm', '-e', 'mge/deny', '-o', join(dir, 'bundle.tar.gz'), join(dir, 'policy.rego')], { stdio: 'pipe' });
    const wasm = untarFile(readFileSync(join(dir, 'bundle.tar.gz')), 'policy.wasm');
    return wasm ?? { skipped: 'opa build produced no policy.wasm' };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return {
      skipped: code === 'ENOENT'
        ? 'no `opa` binary here (it is not published on npm, the only registry reachable); Rego policy in bench/workloads/opa.ts'
        : `opa build failed: ${err instanceof Error ? err.message : String(err)}`,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export const createOpaEngine: EngineFactory = async (w: Workload) => {
  const wasm = compileRego();
  if ('skipped' in wasm) return wasm;
  const policy = await loadPolicy(wasm);
  policy.setData(regoData(w.rules));
  return {
    name: 'opa-wasm',
    prepare({ request }) {
      return () => {
        const result = policy.evaluate(request) as { result: boolean }[];
        return result[0]?.result === false;
      };
    },
  };
};
