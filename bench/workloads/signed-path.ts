// The signed path: evaluate + receipt + audit append, as the HTTP check route does it, timed
// with mitata. Filled in against src/receipt and src/audit once both exist.

export interface SignedPath {
  rows: { what: string; p50_ns: number; p99_ns: number; ops_per_s: number }[];
}

export async function measureSignedPath(_opts: { minMs: number }): Promise<SignedPath | { skipped: string }> {
  return { skipped: 'the audit layer (src/audit) has not landed yet' };
}
