// The storage boundary. The SDK keeps three things: the installation's private key, one state
// document (replaced whole on every change), and an append-only audit trail. A CMS can plug its
// own store (a database table, a secrets vault) by implementing this interface.
import type { AuditEntry, CheckAttempt } from '../types.js';

export const STATE_FORMAT = 'licensor-sdk-state';

export interface StoredPendingChallenge {
  id: string;
  token: string;
  expiresAt: number;
  requestedBy: string;
}

/**
 * A request closed without a license key: the vendor declined it (relayed by a signed status),
 * or an operator cancelled it here. A key that answers it later is refused.
 */
export interface StoredClosedRequest extends StoredPendingChallenge {
  outcome: 'rejected' | 'cancelled';
  /** rejected: the vendor's time (from the status); cancelled: this installation's clock (s). */
  closedAt: number;
  /** `vendor`, or the id of the operator who cancelled it. */
  closedBy: string;
  reason: string | null;
}

/**
 * The state document. Only signed tokens carry trust: everything shown to the operator is derived
 * from them again at load, so an edited field is either re-derived or detected.
 */
/**
 * Where the audit trail stood at the last change: the link of that change's entry. The state is
 * sealed, so a trail cut short before that entry is named even when the cut is at its end.
 */
export interface AuditAnchor {
  /** The `link` of the entry of the last change (null when there was none). */
  head: string | null;
}

export interface StoredState {
  format: typeof STATE_FORMAT;
  /** 2: sealed with a key derived from the installation key, and anchoring the audit trail. */
  v: 2;
  installationId: string;
  license: null | { token: string; appliedAt: number };
  pending: StoredPendingChallenge[];
  /** Latest accepted status token, whatever its outcome. */
  lastStatus: string | null;
  /**
   * Latest accepted status token whose outcome was VALID: the grace period runs from it. Kept
   * beside a later non-VALID one only if not signed after it (beyond the skew).
   */
  lastValidStatus: string | null;
  lastAttempt: CheckAttempt | null;
  /**
   * The time of the latest status recorded (seconds), which the next one replaces even when it is
   * older (the vendor's latest answer): a stored status older than this was put back by an edit.
   * (Absent in documents of older SDKs: read as 0.)
   */
  statusTime: number;
  /** Trusted time (seconds): the latest status's time, or a license token's issue time after it. */
  trustedTime: number;
  /** Highest local clock reading seen since the last signed status (seconds). */
  observedTime: number;
  /**
   * How far this machine's clock is behind the vendor's (seconds; negative: ahead), as the last
   * version 2 status measured it; 0 within the tolerated skew. Local readings are corrected by it.
   */
  clockOffset: number;
  /** Null only in a state written by an SDK before the audit chain (format 1). */
  audit: AuditAnchor | null;
  /**
   * The signed key sets (licensor-keyset+jwt) applied, oldest first: the chain from the vendor
   * keys the installation shipped with to the keys it trusts now (keyset.ts). Verified again at
   * every load. (Absent in documents of older SDKs: read as none.)
   */
  keysets: string[];
  /**
   * Requests closed without a key, newest first (at most MAX_CLOSED_REQUESTS): what the
   * operator sees as declined or cancelled. (Absent in documents of older SDKs: read as none.)
   */
  closed: StoredClosedRequest[];
}

/** What a store keeps: the state and its seal (see seal.ts), written and read back as is. */
export type StateDocument = StoredState & { seal: string };

export interface LicensorStore {
  /** The 32-byte Ed25519 seed, or null before first use. */
  loadInstallationKey(): Promise<Uint8Array | null>;
  /** Stores a new key; must refuse to overwrite an existing one. */
  saveInstallationKey(seed: Uint8Array): Promise<void>;
  /** The state document as stored (validated by the SDK), or null before first use. */
  loadState(): Promise<unknown | null>;
  /**
   * Replaces the state document atomically: after a crash it is either old or new. The document
   * is the state plus its `seal`; store it as given.
   */
  saveState(document: StateDocument): Promise<void>;
  /**
   * Optional, and worth providing: records beside the installation key, as durably as the key,
   * that this installation writes sealed states (called after each sealed write; keep it
   * idempotent and cheap). A state without a seal (format 1, an SDK before seals) is then read
   * as an edit, not as an old state: without it, an edit that strips the seal and empties the
   * audit trail goes unseen.
   */
  saveSealMark?(): Promise<void>;
  /** Optional, with saveSealMark: true once it was called for this installation. */
  loadSealMark?(): Promise<boolean>;
  appendAudit(entry: AuditEntry): Promise<void>;
  loadAudit(): Promise<AuditEntry[]>;
  /**
   * Optional: the places (1-based lines) of torn appends loadAudit skipped, for `verifyAudit`
   * to report. A store whose appends cannot tear (a database) leaves it out.
   */
  loadAuditTears?(): Promise<number[]>;
  /** Optional: the last entry alone (the SDK chains the next one to it); else loadAudit(). */
  lastAudit?(): Promise<AuditEntry | null>;
  /**
   * Optional: runs `work` while no other process changes this store (load → change → save).
   * Without it, only the operations of one Licensor object are serialised. A CMS running on
   * several nodes that share one store MUST provide it (a row lock in its database): the nodes
   * are then one installation with one check chain, never copies of each other.
   */
  exclusive?<T>(work: () => Promise<T>): Promise<T>;
  /**
   * Optional, with `exclusive`: runs `work` (one Verify License) while no other process of this
   * store runs one; a lock of its own, apart from `exclusive`. Two checks of one installation at
   * once would fork its check chain, so they take turns here; the SDK takes `exclusive` only to
   * record the answer, and reads and other changes go on during the network wait. A store with
   * `exclusive` and without this method holds `exclusive` for the whole check instead (reads of
   * other processes then wait for the service's answer, up to the verify timeout).
   */
  exclusiveVerify?<T>(work: () => Promise<T>): Promise<T>;
}
