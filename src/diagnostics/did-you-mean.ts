// "did you mean `category`?" suggestions (STYLE.md, Cedar-style help texts).
// Shared by the expression parser and the rules loader, so every typo gets the same advice.

/**
 * Optimal-string-alignment distance (Levenshtein plus adjacent transposition), case-insensitive,
 * because `startswith` for `startsWith` is the commonest typo of all.
 */
export function editDistance(a: string, b: string): number {
  const s = a.toLowerCase();
  const t = b.toLowerCase();
  const n = s.length;
  const m = t.length;
  let prev2 = new Array<number>(m + 1).fill(0);
  let prev = Array.from({ length: m + 1 }, (_, j) => j);
  let cur = new Array<number>(m + 1).fill(0);
  for (let i = 1; i <= n; i++) {
    cur[0] = i;
    for (let j = 1; j <= m; j++) {
      const cost = s[i - 1] === t[j - 1] ? 0 : 1;
      let d = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost);
      if (i > 1 && j > 1 && s[i - 1] === t[j - 2] && s[i - 2] === t[j - 1]) {
        d = Math.min(d, prev2[j - 2] + 1);
      }
      cur[j] = d;
    }
    [prev2, prev, cur] = [prev, cur, prev2];
  }
  return prev[m];
}

/** How far a suggestion may be: a third of the word, at least one edit. */
function threshold(word: string): number {
  return Math.max(1, Math.floor(word.length / 3));
}

/**
 * The candidate closest to `word` by edit distance, if it is close enough to be a plausible
 * typo; the earliest candidate wins a tie. An exact match is never suggested.
 *
 * @example didYouMean('contans', ['contains', 'len']) // 'contains'
 */
export function didYouMean(word: string, candidates: readonly string[]): string | undefined {
  const limit = threshold(word);
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const c of candidates) {
    if (c === word) continue;
    // Length alone bounds the distance; skipping saves quadratic work on long inputs.
    if (Math.abs(c.length - word.length) > limit) continue;
    const d = editDistance(word, c);
    if (d <= limit && d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  return best;
}
