// The nonce window keyed time first (#15): a check's nonce is held under (its signed iat, its
// installation, the nonce), not `installation.nonce`. Nonces are random, so under the old key
// each admission wrote a leaf of the key index of its own (1.3-1.5 log frames a check, on an
// empty store and on one of a million licenses: e2e/bench/check-pages.mjs) and each purge of
// expired nonces deleted keys scattered over that index. Checks arrive in iat order give or take
// their clocks' skew, so a new key lands at the right edge of the table, beside the one before it,
// and a purge (oldest expiry first, as before) deletes a range at its left edge.
//
// A replay carries the same signed iat, so the same key: it is refused as before. The iat can be
// trusted as part of the key because the verify service admits a bound check's nonce only after
// the check's signature holds over the claims it read (a changed iat fails it); an unbound check
// is answered UNKNOWN whatever its nonce, so its key only keeps its own claimed installation's
// namespace, as `installation.nonce` did. How long a nonce is held is unchanged
// (`expires_at`: the service's clock window twice, or the off-clock hold).
//
// The rows a store holds when it is upgraded carry no iat: they are kept, still refusing their
// replays, under iat -1 (LEGACY_IAT: a check's iat is a NumericDate, never negative) until they
// expire, and the check writer looks a nonce up there too while any remain (nonce-writer.ts).
// Rows already expired are not carried (the purge would have removed them).

/** The iat of a nonce held before this migration (its iat was not stored). */
export const LEGACY_IAT = -1;

/** Migration (numbered in migrations.ts): the window rebuilt on the new key, its rows kept. */
export const NONCE_KEYS_SQL = `
  CREATE TABLE check_nonces_by_time (
    iat INTEGER NOT NULL,
    installation_id TEXT NOT NULL,
    nonce TEXT NOT NULL,
    expires_at INTEGER NOT NULL,
    PRIMARY KEY (iat, installation_id, nonce)
  ) WITHOUT ROWID;
  -- An installation id (a key thumbprint, base64url) holds no '.': the old key splits at its first.
  INSERT INTO check_nonces_by_time (iat, installation_id, nonce, expires_at)
    SELECT ${LEGACY_IAT}, substr(key, 1, instr(key, '.') - 1), substr(key, instr(key, '.') + 1),
      expires_at
    FROM check_nonces;
  DROP TABLE check_nonces;
  ALTER TABLE check_nonces_by_time RENAME TO check_nonces;
  CREATE INDEX check_nonces_by_expiry ON check_nonces (expires_at);
`;

/** The carried rows that had expired already, removed in the migration's transaction. */
export const NONCE_KEYS_EXPIRED_SQL = `DELETE FROM check_nonces WHERE iat = ${LEGACY_IAT} AND expires_at <= ?`;
