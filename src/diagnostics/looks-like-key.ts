// Whether a value reads as key material rather than a name: said before a configuration value
// is printed where a name would be (a banner, a log line, a /metrics label, an error message).

/**
 * True for what reads as random key material: 40 or more hex digits (`openssl rand -hex`), or
 * 20 or more base64/base64url characters that mix two of upper case, lower case and digits
 * and switch between them at least 35 times in 100 (random text switches about 60 times; a
 * name such as `AcmeCorp2024Production` 29). Hex with dashes or fewer than 40 digits (a UUID, a
 * 24-hex object id) reads as an id, not a key: random hex switches about 47 times in 100.
 * A guess both ways, so it is used where a wrong guess costs little, or with a second sign.
 * @example looksLikeKey('q8V2xY0pL3mN7bR1tK9wZ5cH') // true
 */
export function looksLikeKey(text: string): boolean {
  if (/^[0-9a-fA-F-]+$/.test(text)) return /^[0-9a-fA-F]{40,}$/.test(text);
  if (text.length < 20 || !/^[A-Za-z0-9_+/=-]+$/.test(text)) return false;
  const letters = text.replace(/[_+/=-]/g, '');
  const classes = [/[A-Z]/, /[a-z]/, /[0-9]/].filter((c) => c.test(letters)).length;
  if (classes < 2) return false;
  let switches = 0;
  for (let i = 1; i < letters.length; i++) if (classOf(letters[i]) !== classOf(letters[i - 1])) switches++;
  return switches >= 0.35 * (letters.length - 1);
}

/**
 * True for what reads as a name: words of letters joined by `-`, `_` or `.`, digits only in a
 * word after the first (`acme-production-eu`, `tenant-eu-west-1`), and not a key (a base64url
 * key can have that shape).
 */
export function readsAsName(text: string): boolean {
  return /^[A-Za-z]+(?:[-_.][A-Za-z0-9]+)*$/.test(text) && !looksLikeKey(text);
}

function classOf(c: string): number {
  return c >= 'A' && c <= 'Z' ? 0 : c >= 'a' && c <= 'z' ? 1 : 2;
}
