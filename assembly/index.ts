// The VM's whole interface (ABI version in format.ts). The host protocol, per check:
// write the input region at input_ptr(), call evaluate(len), read the result at result_ptr().
// Loading: reserve(len) gives where to write the bundle bytes, then load(len) validates them.
// Any status other than 0, and any trap, means the host must deny (src/engine/wasm.ts).

import { ABI_VERSION } from './format';
import { scratchReset, resultPtr } from './mem';
import { inputBase, loadBundle, reserve as reserveBundle } from './state';
import { currentRule, evaluate as run } from './vm';

export function abi_version(): i32 {
  return ABI_VERSION;
}

/** Grow memory for a bundle of `len` bytes and return where to write it. */
export function reserve(len: u32): usize {
  return reserveBundle(len);
}

/** Validate the bundle written at reserve()'s pointer; 0 when it is usable. */
export function load(len: u32): i32 {
  return loadBundle(len);
}

export function input_ptr(): usize {
  return inputBase;
}

export function result_ptr(): usize {
  return resultPtr;
}

/** Evaluate the request in the input region (`len` bytes); 0 on success. */
export function evaluate(len: u32): i32 {
  return run(len);
}

/** After a trap in evaluate(): the index of the rule it was evaluating, or 0xffffffff for none. */
export function current_rule(): u32 {
  return currentRule();
}

/** Forget the previous evaluation's scratch (evaluate() also does this on entry). */
export function reset(): void {
  scratchReset(inputBase);
}
