// The licenses of an installation, found through a time-ordered number (#15.3). An issue to a new
// installation inserts three index entries keyed by a hash, each at a random page of an index
// that grows with the store: the challenge's (transactions.dedupe_key), the installation's key
// thumbprint (installations.id) and, until this migration, the same thumbprint again in the
// licenses' index by installation. On a store of a million licenses each is a page written to
// the log, and later into the file, at a random place (e2e/bench/issue-probe.mjs: 1.35 log
// frames an issue each, against 0.08 for an index that grows at its end).
//
// The first two are looked up by the hash itself; the third need not be. Each installation gets
// a number, `seq`, in the order installations are first stored (INTEGER PRIMARY KEY
// AUTOINCREMENT: the rowid itself, kept by VACUUM and never handed out twice), and each license
// the number of its installation, `installation_seq`, indexed: a new installation's license is
// written at the end of that index. A trigger keeps `installation_seq` for every write of a
// license's installation (commits, imports, anything), from the installations table in the same
// SQLite transaction (a commit stores the installation before its license).
//
// A license bound to an installation that has no row (a format-1 challenge names no product,
// so its installation is not stored) keeps `installation_seq` NULL and is found by its
// thumbprint through a partial index holding only such licenses (as are those of an installation
// deleted or renamed, which Licensor never does). Every read of the licenses of
// an installation asks both, and checks the thumbprint of what it reads.

/** Migration (numbered in migrations.ts). */
export const INSTALLATION_SEQ_SQL = `
  CREATE TABLE installations_numbered (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    last_seen_at INTEGER NOT NULL,
    body TEXT NOT NULL
  );
  INSERT INTO installations_numbered (seq, id, last_seen_at, body)
    SELECT rowid, id, last_seen_at, body FROM installations ORDER BY rowid;
  DROP TABLE installations;
  ALTER TABLE installations_numbered RENAME TO installations;

  ALTER TABLE licenses ADD COLUMN installation_seq INTEGER;
  UPDATE licenses SET installation_seq =
    (SELECT seq FROM installations WHERE installations.id = licenses.installation_id)
    WHERE installation_id IS NOT NULL;
  DROP INDEX licenses_by_installation;
  CREATE INDEX licenses_by_installation_seq ON licenses (installation_seq)
    WHERE installation_seq IS NOT NULL;
  CREATE INDEX licenses_by_unnumbered_installation ON licenses (installation_id)
    WHERE installation_seq IS NULL AND installation_id IS NOT NULL;

  CREATE TRIGGER licenses_installation_seq_on_insert AFTER INSERT ON licenses
    WHEN NEW.installation_id IS NOT NULL
    BEGIN
      UPDATE licenses SET installation_seq =
        (SELECT seq FROM installations WHERE id = NEW.installation_id)
        WHERE rowid = NEW.rowid;
    END;
  CREATE TRIGGER licenses_installation_seq_on_rebind AFTER UPDATE OF installation_id ON licenses
    WHEN OLD.installation_id IS NOT NEW.installation_id
    BEGIN
      UPDATE licenses SET installation_seq =
        (SELECT seq FROM installations WHERE id = NEW.installation_id)
        WHERE rowid = NEW.rowid;
    END;
  -- Installations are never deleted nor renamed; if one were, its licenses fall back to their
  -- thumbprint rather than keep a number no installation holds.
  CREATE TRIGGER installations_unnumber_on_delete AFTER DELETE ON installations
    BEGIN
      UPDATE licenses SET installation_seq = NULL WHERE installation_seq = OLD.seq;
    END;
  CREATE TRIGGER installations_unnumber_on_rename AFTER UPDATE OF id, seq ON installations
    WHEN OLD.id IS NOT NEW.id OR OLD.seq IS NOT NEW.seq
    BEGIN
      UPDATE licenses SET installation_seq = NULL WHERE installation_seq = OLD.seq;
    END;
`;

/**
 * The rowids of the licenses of one installation (three parameters, each its thumbprint): by its
 * number, or by the thumbprint for those whose installation had no row when they were written.
 * The caller also compares `installation_id`.
 */
export const LICENSE_ROWIDS_OF_INSTALLATION = `(
  SELECT rowid FROM licenses
    WHERE installation_seq = (SELECT seq FROM installations WHERE id = ?)
  UNION ALL
  SELECT rowid FROM licenses WHERE installation_seq IS NULL AND installation_id = ?)`;
