// The link from a license token to the challenge it answers: `chal` in the license claims.

import { splitCompact } from './jws/header.js';
import { base64urlEncode } from './lib/base64url.js';
import { sha256 } from './lib/sha256.js';
import { asciiBytes } from './lib/utf8.js';
import { normaliseToken } from './normalise.js';

/** base64url(SHA-256(ASCII of the normalised compact token)); pasted or armoured forms agree. */
export function challengeHash(token: string): string {
  const compact = normaliseToken(token, 'challenge');
  splitCompact(compact);
  return base64urlEncode(sha256(asciiBytes(compact)));
}
