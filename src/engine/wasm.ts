// Instantiating the VM (assembly/) and the raw call protocol: write the input region, call
// evaluate(len), read the result struct. One compiled WebAssembly.Module serves every tenant;
// each loaded bundle gets its own small instance (its own memory), so tenants never share
// VM state and a trap in one cannot disturb another.
//
// Cloudflare Workers refuse to compile wasm from bytes at run time: pass the precompiled
// module (`import mod from './mge.wasm'`) as `wasm`. Elsewhere the embedded copy is used.

import { ABI_VERSION, ST_OK, ST_OVER_BUDGET } from '../../assembly/format.js';
import { OverBudgetError } from '../ir/glob-work.js';
import { WASM_BASE64 } from './wasm-embedded.js';
import { lowerCase, upperCase } from '../builtins/case-map.js';

/** The VM cannot be trusted with this check: trap, ABI or bundle mismatch, bad result. */
export class VmError extends Error {
  override readonly name = 'VmError';
  /** The id of the rule the VM was evaluating when it trapped, when one was (set by the evaluator). */
  ruleId?: string;
  constructor(
    message: string,
    readonly status?: number,
    /** The index (in the bundle) of the rule being evaluated at the trap. */
    readonly ruleIndex?: number,
  ) {
    super(message);
  }
}

const STATUS_TEXT: Record<number, string> = {
  1: 'bundle has a bad magic number',
  2: 'bundle format or ABI version mismatch',
  3: 'bundle length mismatch',
  4: 'bundle checksum mismatch (corrupted bytes)',
  5: 'bundle sections out of bounds',
  6: 'no bundle loaded',
  7: 'malformed input region',
  8: 'bad bytecode (unknown opcode, operand or jump)',
  9: 'VM stack overflow or underflow',
  10: 'VM result region full',
  11: 'VM out of memory',
  12: 'VM host call failed',
  13: 'glob matching over the check\'s budget',
};

export function statusText(status: number): string {
  return STATUS_TEXT[status] ?? `VM status ${status}`;
}

interface VmExports {
  memory: WebAssembly.Memory;
  abi_version(): number;
  reserve(len: number): number;
  load(len: number): number;
  input_ptr(): number;
  result_ptr(): number;
  evaluate(len: number): number;
  reset(): void;
  /** Absent from a VM of an older build (a precompiled module a Worker imports): no rule is named then. */
  current_rule?(): number;
}

function isVmExports(e: WebAssembly.Exports): boolean {
  return e.memory instanceof WebAssembly.Memory &&
    ['abi_version', 'reserve', 'load', 'input_ptr', 'result_ptr', 'evaluate', 'reset']
      .every((k) => typeof e[k] === 'function');
}

function decodeBase64(s: string): Uint8Array {
  const bin = atob(s);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

let embedded: Promise<WebAssembly.Module> | undefined;

/** The embedded VM module, compiled once per process. */
function embeddedModule(): Promise<WebAssembly.Module> {
  embedded ??= WebAssembly.compile(decodeBase64(WASM_BASE64) as BufferSource).catch((err: unknown) => {
    embedded = undefined; // tried again by the next engine
    // Workers' own words ("Wasm code generation disallowed by embedder") do not say the way out.
    throw new Error(
      `the VM's WebAssembly could not be compiled from bytes here (${String(err)}); a runtime that refuses that, as Cloudflare Workers do, takes the precompiled module: \`import wasm from 'mge/mge.wasm'\`, then \`createEngine({ rules, wasm })\``,
      { cause: err },
    );
  });
  return embedded;
}

/** current_rule() when no rule was being evaluated. */
const NO_RULE = 0xffffffff;

// A leading U+FEFF is text here, not a byte order mark to drop (the default): dropped, `lower()`
// of `\uFEFFabc` lost a code point in the VM and not in the oracle.
const utf8 = new TextDecoder('utf-8', { ignoreBOM: true });
const encoder = new TextEncoder();

/** One VM instance with one bundle loaded; the engine's only door into wasm memory. */
export class VmInstance {
  private u8: Uint8Array;
  private dv: DataView;
  readonly inputPtr: number;
  readonly resultPtr: number;

  constructor(private readonly exp: VmExports) {
    this.u8 = new Uint8Array(exp.memory.buffer);
    this.dv = new DataView(exp.memory.buffer);
    this.inputPtr = exp.input_ptr();
    this.resultPtr = exp.result_ptr();
  }

  get memory(): WebAssembly.Memory {
    return this.exp.memory;
  }

  /** Views over memory, re-acquired when memory grew (growth detaches the old buffer). */
  // Growing wasm memory detaches the old ArrayBuffer, so a zero length is the cheap sign that
  // the views are stale (reading memory.buffer on every call costs a runtime call).
  bytes(): Uint8Array {
    if (this.u8.byteLength === 0) this.refresh();
    return this.u8;
  }

  view(): DataView {
    if (this.u8.byteLength === 0) this.refresh();
    return this.dv;
  }

  private refresh(): void {
    this.u8 = new Uint8Array(this.exp.memory.buffer);
    this.dv = new DataView(this.exp.memory.buffer);
  }

  /** Grow memory so [0, end) is addressable. */
  ensure(end: number): void {
    const have = this.exp.memory.buffer.byteLength;
    if (end <= have) return;
    this.exp.memory.grow(Math.ceil((end - have) / 65536));
    this.refresh();
  }

  /** Run one check over `len` bytes of input; throws VmError on any failure. */
  evaluate(len: number): void {
    let status: number;
    try {
      status = this.exp.evaluate(len);
    } catch (e) {
      const st = this.view().getUint32(this.resultPtr, true);
      const at = this.exp.current_rule?.();
      const ruleIndex = at === undefined || at === NO_RULE ? undefined : at;
      this.exp.reset();
      if (st === ST_OVER_BUDGET) throw new OverBudgetError(ruleIndex); // the rules' fault, not the VM's
      throw new VmError(`VM trapped: ${st !== 0 ? statusText(st) : String(e)}`, st || undefined, ruleIndex);
    }
    if (status !== ST_OK) throw new VmError(`VM refused the check: ${statusText(status)}`, status);
  }
}

/** A compiled VM module; load() instantiates it with a bundle. */
export class Vm {
  constructor(readonly module: WebAssembly.Module) {}

  /**
   * Instantiate and load `bytes`; throws VmError when the VM refuses them (corrupted bundle,
   * version or ABI mismatch).
   */
  async load(bytes: Uint8Array): Promise<VmInstance> {
    let inst: VmInstance | undefined;
    const imports = {
      env: {
        case_map: (src: number, len: number, dst: number, cap: number, upper: number): number =>
          inst === undefined ? -1 : caseMap(inst, src, len, dst, cap, upper !== 0),
        abort: (): never => {
          throw new VmError('VM aborted');
        },
      },
    };
    const instance = await WebAssembly.instantiate(this.module, imports);
    if (!isVmExports(instance.exports)) throw new VmError('the wasm module is not the MGE VM (exports missing)');
    const exp = instance.exports as unknown as VmExports;
    const abi = exp.abi_version();
    if (abi !== ABI_VERSION) throw new VmError(`VM ABI version ${abi}, host expects ${ABI_VERSION}`);
    const at = exp.reserve(bytes.length);
    new Uint8Array(exp.memory.buffer).set(bytes, at);
    const st = exp.load(bytes.length);
    if (st !== ST_OK) throw new VmError(`VM refused the bundle: ${statusText(st)}`, st);
    inst = new VmInstance(exp);
    return inst;
  }
}

/** lower()/upper() of non-ASCII text, by MGE's own tables (builtins/case-map.ts), as the oracle maps it. */
function caseMap(inst: VmInstance, src: number, len: number, dst: number, cap: number, upper: boolean): number {
  const mem = inst.bytes();
  if (src + len > mem.length || dst + cap > mem.length) return -1;
  const s = utf8.decode(mem.subarray(src, src + len));
  const mapped = upper ? upperCase(s) : lowerCase(s);
  const r = encoder.encodeInto(mapped, mem.subarray(dst, dst + cap));
  return r.read === mapped.length ? r.written : -1;
}

/**
 * The VM module: the precompiled one given (required on Cloudflare Workers) or the embedded one.
 *
 * @example const vm = await loadVm(); const inst = await vm.load(compileBundle(rules).bytes)
 */
export async function loadVm(opts: { wasm?: WebAssembly.Module } = {}): Promise<Vm> {
  return new Vm(opts.wasm ?? (await embeddedModule()));
}
