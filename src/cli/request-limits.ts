// SPEC §2's request limits from the environment (MGE_MAX_BODY_BYTES, MGE_MAX_DEPTH,
// MGE_MAX_STRING_BYTES, MGE_MAX_ARRAY_ITEMS): read by `mge serve` and by `mge check`, so a
// request the server would take is one `mge check` takes too, and the other way round.

import { MAX_VALUE_DEPTH } from '../compile/encode.js';
import type { JsonLimits } from '../json/strict-parse.js';
import { envSetting, UsageError } from './args.js';

/** The largest body MGE_MAX_BODY_BYTES may allow: 16 MiB (a check is a few hundred bytes). */
const MAX_BODY_BYTES = 16 * 1024 * 1024;

/** The setting `name` as a whole number from `min` to `max`; undefined when unset (the default holds). */
export function wholeNumberSetting(name: string, text: string | undefined, min: number, max: number): number | undefined {
  const given = envSetting(text);
  if (given === undefined) return undefined;
  const n = /^\d{1,9}$/.test(given.trim()) ? Number(given.trim()) : NaN;
  if (!(n >= min && n <= max)) throw new UsageError(`${name} \`${given}\` is not a whole number from ${min} to ${max}`);
  return n;
}

/** The limits the environment sets (each unset one keeps its default); a bad value is a UsageError. */
export function requestLimitsFrom(env: NodeJS.ProcessEnv): Partial<JsonLimits> {
  const limits = {
    maxBytes: wholeNumberSetting('MGE_MAX_BODY_BYTES', env.MGE_MAX_BODY_BYTES, 1024, MAX_BODY_BYTES),
    maxDepth: wholeNumberSetting('MGE_MAX_DEPTH', env.MGE_MAX_DEPTH, 1, MAX_VALUE_DEPTH),
    maxStringBytes: wholeNumberSetting('MGE_MAX_STRING_BYTES', env.MGE_MAX_STRING_BYTES, 1, MAX_BODY_BYTES),
    maxArrayItems: wholeNumberSetting('MGE_MAX_ARRAY_ITEMS', env.MGE_MAX_ARRAY_ITEMS, 1, MAX_BODY_BYTES),
  };
  return Object.fromEntries(Object.entries(limits).filter(([, v]) => v !== undefined));
}

/** The limits set, as a start line says them. */
export function limitsText(limits: Partial<JsonLimits>): string {
  const names: Record<keyof JsonLimits, string> = { maxBytes: 'body bytes', maxDepth: 'depth', maxStringBytes: 'string bytes', maxArrayItems: 'array items' };
  return Object.entries(limits).map(([k, v]) => `${names[k as keyof JsonLimits]} ${v}`).join(', ');
}
