// Reading a file that holds a secret (a plain private key, an HSM PIN): refused when users other
// than its owner may read it, since then the secret may already be out.

import { readFileSync, statSync } from 'node:fs';

export type SecretFileRead =
  | { ok: true; text: string }
  | { ok: false; problem: 'exposed' }
  | { ok: false; problem: 'unreadable'; cause: unknown };

export function readSecretFile(path: string): SecretFileRead {
  try {
    if (process.platform !== 'win32' && (statSync(path).mode & 0o077) !== 0) {
      return { ok: false, problem: 'exposed' };
    }
    return { ok: true, text: readFileSync(path, 'utf8') };
  } catch (cause) {
    return { ok: false, problem: 'unreadable', cause };
  }
}
