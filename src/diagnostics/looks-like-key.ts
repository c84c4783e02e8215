// Whether a value reads as key material rather than a name: said before a configuration value
// is printed where a name would be (a banner, a log line, a /metrics label, an error message).

/**
 * True for what reads as random key material: 40 or more hex digits (`openssl rand -hex`), or
 * 20 or more base64/base64url characters that mix two of upper case, lower case and digits
 * and switch between them at least 4 times in 10 (random text switches about 6 times in 10;
 * a name such as `AcmeCorp2024Production` 3 times). UUIDs and 24-hex object ids read as names.
 * A guess both ways (a few random keys in 100 read as names, and a name can read as a key), so
 * it is used where a wrong guess costs little, or with a second sign.
 * @example looksLikeKey('q8V2xY0pL3mN7bR1tK9wZ5cH') // true
 */
export function looksLikeKey(text: string): boolean {
  if (/^[0-9a-fA-F]{40,}$/.test(text)) return true;
  if (text.length < 20 || !/^[A-Za-z0-9_+/=-]+$/.test(text)) return false;
  const letters = text.replace(/[_+/=-]/g, '');
  const classes = [/[A-Z]/, /[a-z]/, /[0-9]/].filter((c) => c.test(letters)).length;
  if (classes < 2) return false;
  let switches = 0;
  for (let i = 1; i < letters.length; i++) if (classOf(letters[i]) !== classOf(letters[i - 1])) switches++;
  return switches >= 0.4 * (letters.length - 1);
}

function classOf(c: string): number {
  return c >= 'A' && c <= 'Z' ? 0 : c >= 'a' && c <= 'z' ? 1 : 2;
}
