// Ids for check records, `chk_` + 16 random bytes in base64url (contract: ids are
// `<prefix>_<22 base64url chars>`). randomBytes(16) is a system call per id; on the hot path
// the bytes come from a pool refilled 256 ids at a time.
import { randomFillSync } from 'node:crypto';

const idBytes = 16;
const pool = Buffer.alloc(idBytes * 256);
let offset = pool.length;

export function newCheckId(): string {
  if (offset === pool.length) {
    randomFillSync(pool);
    offset = 0;
  }
  const id = pool.toString('base64url', offset, offset + idBytes);
  offset += idBytes;
  return `chk_${id}`;
}
