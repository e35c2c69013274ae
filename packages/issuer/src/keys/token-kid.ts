// The `kid` in a compact token's header, read without verifying anything: which key signed a
// token on record (transactions, licenses). Used to count and find what a key signed.

/** The kid in a compact token's header (null when there is no token or it has none). */
export function kidOfToken(token: string | null): string | null {
  if (token === null) return null;
  try {
    const header = JSON.parse(Buffer.from(token.split('.')[0] ?? '', 'base64url').toString());
    return typeof header.kid === 'string' ? header.kid : null;
  } catch {
    return null;
  }
}
