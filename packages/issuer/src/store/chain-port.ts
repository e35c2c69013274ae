// The check chain, forks and the nonce window in the shared store (issue #17): what every verify
// service instance reads and writes so that N instances answer as one. Each write is a single
// record (no multi-document transaction: FerretDB has none); the chain head moves by
// compare-and-set on its `version`.

/** What a check showed about where it came from: the evidence of a fork. */
export interface ChainEvidence {
  /** When the service answered it (ms). */
  at: number;
  /** The client address, when known (behind a proxy: with --trust-proxy). */
  address: string | null;
  credentialsInUse: number;
  sdkVersion: string;
  /** The chain value it presented (null: none). */
  presented: string | null;
}

/** Where an installation's check chain stands. One record per installation. */
export interface ChainHead {
  installationId: string;
  licenseId: string;
  /** The newest chain value presented, or null (no check with a chain yet, or re-bound). */
  head: string | null;
  /**
   * Values handed out in answer to checks presenting `head` and not presented yet (newest last,
   * at most CHAIN_ISSUED_LIMIT). An answer lost on the way makes one more of them, not a fork.
   */
  issued: string[];
  /** The newest check that continued the chain. */
  last: ChainEvidence | null;
  /** The open fork of this installation, if any. */
  openForkId: string | null;
  /** Grows with each write; a write is applied only over the version it read. */
  version: number;
  updatedAt: number;
  /**
   * Set by the vendor after restoring the store from a backup (`forks after-restore`): this head
   * came from the backup, and until `until` the first check presenting a value the head does not
   * know re-anchors the chain on it instead of opening a fork. Dropped by the next write that
   * moves the chain (that re-anchor, or a check that continues the chain as restored).
   */
  restored?: RestoreMark;
}

/** A head that came back from a backup of the store (see ChainHead.restored). */
export interface RestoreMark {
  /** When the backup was taken (ms): the head's newest check is no newer. */
  since: number;
  /** The re-anchor is allowed until then (ms); past it, a divergent check is a fork again. */
  until: number;
  /** When the vendor opened the window, and who. */
  openedAt: number;
  openedBy: string;
}

/** Chain values kept per installation while waiting to be presented. */
export const CHAIN_ISSUED_LIMIT = 32;

/**
 * What a fork does: `warn` (record it and tell the copy), `suspend` (the newer branch, the copy,
 * is answered SUSPENDED), `suspend-both` (while the fork is open, the installation that
 * continues the chain is answered SUSPENDED too, until the vendor closes the fork or a key for a
 * challenge re-binds the installation).
 */
export type ForkAction = 'warn' | 'suspend' | 'suspend-both';
export const FORK_ACTIONS: readonly ForkAction[] = ['warn', 'suspend', 'suspend-both'];

/** Where a license's fork policy comes from: its own, or the plan it was issued from. */
export interface ResolvedForkPolicy {
  action: ForkAction;
  source: 'license' | 'plan';
}
export type ForkStatus = 'open' | 'closed';

/** Two checks of one installation that do not continue one chain: a copy, or an older backup. */
export interface ForkRecord {
  id: string; // frk_…
  licenseId: string;
  installationId: string;
  status: ForkStatus;
  detectedAt: number;
  lastSeenAt: number;
  /** Checks that did not continue the chain since it was detected. */
  divergentChecks: number;
  /** The newest check that did not continue the chain (the copy, or the older backup). */
  copy: ChainEvidence;
  /** The newest check that did, when the fork was detected (the installation it copies). */
  original: ChainEvidence | null;
  /** The fork policy in force at the newest divergent check (license, else plan, else default). */
  action: ForkAction;
  closedAt: number | null;
  closedBy: string | null;
  closeReason: string | null;
}

export interface ForkFilter {
  licenseId?: string;
  installationId?: string;
  status?: ForkStatus;
  limit?: number;
}

export interface ChainStore {
  getChainHead(installationId: string): Promise<ChainHead | null>;
  /**
   * Chain heads in installation id order, after `afterInstallationId` (null: from the first), at
   * most `limit` (1 to 1 000): the vendor's walk over every head after a restore.
   */
  listChainHeads(afterInstallationId: string | null, limit: number): Promise<ChainHead[]>;
  /**
   * Writes `head` if the stored one still has `expectedVersion` (null: there is none yet).
   * False when another writer got there first: read again and decide again.
   */
  putChainHead(head: ChainHead, expectedVersion: number | null): Promise<boolean>;
  /**
   * Records a divergent check: the first one creates the fork record with `fork.id`, the next
   * ones count up and keep the newest evidence. Returns the stored record.
   */
  recordFork(fork: ForkRecord): Promise<ForkRecord>;
  getFork(id: string): Promise<ForkRecord | null>;
  listForks(filter: ForkFilter): Promise<ForkRecord[]>;
  /** Closes an open fork; false when it is not open. */
  closeFork(id: string, at: number, by: string, reason: string): Promise<boolean>;
  /**
   * The fork policy set on a license or on a plan (`id` is either: `lic_…` or `pln_…`); null:
   * none set there.
   */
  getForkPolicy(id: string): Promise<ForkAction | null>;
  setForkPolicy(id: string, action: ForkAction | null, at: number): Promise<void>;
  /**
   * The policy a fork of this license follows: the license's own, else the policy of the plan
   * it was issued from, else null (the verify service's default).
   */
  resolveForkPolicy(licenseId: string): Promise<ResolvedForkPolicy | null>;
  /**
   * Holds a check's nonce until `expiresAt` (ms): true the first time, false while it is held
   * (a replay, wherever it was answered). `issuedAt` is the check's signed iat (s): a replay
   * carries the same, and SQLite keys the window by it first so that nonces are written and
   * purged in time order (nonce-keys.ts); MongoDB keys by installation and nonce alone. Expired
   * nonces are removed (TTL index on MongoDB).
   */
  admitNonce(
    installationId: string,
    nonce: string,
    issuedAt: number,
    expiresAt: number,
    now: number,
  ): Promise<boolean>;
}

/**
 * The chains as a check may hold them: step a chain, record a fork, hold a nonce, read a fork
 * and its policy. Closing a fork, setting a policy and walking every head (to open a window after
 * a restore) are the vendor's, through the portal or the CLI (with an audit entry): the verify
 * service's object has none of them.
 */
export type CheckChainStore = Omit<ChainStore, 'closeFork' | 'setForkPolicy' | 'listChainHeads'>;
