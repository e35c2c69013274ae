// Shape check of the state document as it comes back from a store. Anything that is not exactly
// the document this SDK writes is refused: ERR_STATE_FOREIGN when it is not ours at all,
// ERR_STATE_CORRUPT when it is ours but damaged. Trust in its contents is checked later.
import { type SdkError, StateCorruptError, StateForeignError } from './errors.js';
import { seal, sealHolds } from './seal.js';
import {
  type AuditAnchor,
  STATE_FORMAT,
  type StateDocument,
  type StoredClosedRequest,
  type StoredPendingChallenge,
  type StoredState,
} from './store/store.js';
import type { CheckAttempt } from './types.js';

type Json = Record<string, unknown>;

const RESTORE =
  'Restore the state from a backup; do not delete it, or this installation loses its license.';

function corrupt(what: string): SdkError {
  return new StateCorruptError(`The stored license state is damaged (${what}). ${RESTORE}`);
}

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isTime(value: unknown): value is number {
  return Number.isSafeInteger(value) && (value as number) >= 0;
}

function stringOrNull(value: unknown, what: string): string | null {
  if (value === null || typeof value === 'string') return value;
  throw corrupt(what);
}

function parseLicense(value: unknown): StoredState['license'] {
  if (value === null) return null;
  if (!isObject(value) || typeof value.token !== 'string' || !isTime(value.appliedAt)) {
    throw corrupt('license');
  }
  return { token: value.token, appliedAt: value.appliedAt };
}

function parsePending(value: unknown): StoredPendingChallenge[] {
  if (!Array.isArray(value)) throw corrupt('pending');
  return value.map((entry) => {
    if (
      !isObject(entry) ||
      typeof entry.id !== 'string' ||
      typeof entry.token !== 'string' ||
      !isTime(entry.expiresAt) ||
      typeof entry.requestedBy !== 'string'
    ) {
      throw corrupt('pending challenge');
    }
    return {
      id: entry.id,
      token: entry.token,
      expiresAt: entry.expiresAt,
      requestedBy: entry.requestedBy,
    };
  });
}

function parseClosed(value: unknown): StoredClosedRequest[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw corrupt('closed');
  // Each entry is a pending challenge's record plus how it was closed.
  const challenges = parsePending(value);
  return (value as Json[]).map((entry, index) => {
    if (
      (entry.outcome !== 'rejected' && entry.outcome !== 'cancelled') ||
      !isTime(entry.closedAt) ||
      typeof entry.closedBy !== 'string'
    ) {
      throw corrupt('closed request');
    }
    return {
      ...challenges[index]!,
      outcome: entry.outcome,
      closedAt: entry.closedAt,
      closedBy: entry.closedBy,
      reason: stringOrNull(entry.reason, 'closed request reason'),
    };
  });
}

function parseAttempt(value: unknown): CheckAttempt | null {
  if (value === null) return null;
  if (!isObject(value) || !isTime(value.at) || typeof value.ok !== 'boolean') {
    throw corrupt('lastAttempt');
  }
  return {
    at: value.at,
    ok: value.ok,
    code: stringOrNull(value.code, 'lastAttempt.code'),
    message: stringOrNull(value.message, 'lastAttempt.message'),
  };
}

function parseKeysets(value: unknown): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value) || !value.every((token) => typeof token === 'string')) {
    throw corrupt('keysets');
  }
  return [...value];
}

function parseAnchor(value: unknown): AuditAnchor {
  if (!isObject(value)) throw corrupt('audit');
  return { head: stringOrNull(value.head, 'audit.head') };
}

/** A state read back: the document, and whether it carried a seal (format 1 did not). */
export interface ParsedState {
  state: StoredState;
  /** The seal as stored; null for a format-1 document (written before states were sealed). */
  seal: string | null;
  /** A format-1 document that carries a `seal` or an `audit` anchor (format 1 wrote neither). */
  sealedMembers: boolean;
}

export function parseStoredState(raw: unknown): ParsedState {
  if (!isObject(raw)) throw corrupt('not a JSON object');
  if (raw.format !== STATE_FORMAT) {
    throw new StateForeignError(
      'The state store holds a document that is not a Licensor SDK state. Point the SDK at its own state directory.',
    );
  }
  if (raw.v !== 1 && raw.v !== 2) {
    throw corrupt(`unknown state version ${String(raw.v)}; upgrade the SDK`);
  }
  if (typeof raw.installationId !== 'string') throw corrupt('installationId');
  if (!isTime(raw.trustedTime)) throw corrupt('trustedTime');
  if (!isTime(raw.observedTime)) throw corrupt('observedTime');
  const statusTime = raw.statusTime ?? 0;
  if (!isTime(statusTime)) throw corrupt('statusTime');
  const clockOffset = raw.clockOffset ?? 0;
  if (!Number.isSafeInteger(clockOffset)) throw corrupt('clockOffset');
  if (raw.v === 2 && typeof raw.seal !== 'string') throw corrupt('seal');
  const state: StoredState = {
    format: STATE_FORMAT,
    v: 2,
    installationId: raw.installationId,
    license: parseLicense(raw.license),
    pending: parsePending(raw.pending),
    lastStatus: stringOrNull(raw.lastStatus, 'lastStatus'),
    lastValidStatus: stringOrNull(raw.lastValidStatus, 'lastValidStatus'),
    lastAttempt: parseAttempt(raw.lastAttempt),
    statusTime,
    trustedTime: raw.trustedTime,
    observedTime: raw.observedTime,
    clockOffset: clockOffset as number,
    audit: raw.v === 2 ? parseAnchor(raw.audit) : null,
    keysets: parseKeysets(raw.keysets),
    closed: parseClosed(raw.closed),
  };
  return {
    state,
    seal: raw.v === 2 ? (raw.seal as string) : null,
    sealedMembers: raw.v === 1 && ('seal' in raw || 'audit' in raw),
  };
}

/** The members in one fixed order: the text the seal covers. */
function sealedText(state: StoredState): string {
  const ordered: Omit<StoredState, 'keysets' | 'closed'> & {
    keysets?: string[];
    closed?: StoredClosedRequest[];
  } = {
    format: state.format,
    v: 2,
    installationId: state.installationId,
    license: state.license && { token: state.license.token, appliedAt: state.license.appliedAt },
    pending: state.pending.map((entry) => ({
      id: entry.id,
      token: entry.token,
      expiresAt: entry.expiresAt,
      requestedBy: entry.requestedBy,
    })),
    lastStatus: state.lastStatus,
    lastValidStatus: state.lastValidStatus,
    lastAttempt: state.lastAttempt && {
      at: state.lastAttempt.at,
      ok: state.lastAttempt.ok,
      code: state.lastAttempt.code,
      message: state.lastAttempt.message,
    },
    statusTime: state.statusTime,
    trustedTime: state.trustedTime,
    observedTime: state.observedTime,
    clockOffset: state.clockOffset,
    audit: state.audit && { head: state.audit.head },
    // Only when there are any: a state sealed before key sets existed keeps its seal.
    ...(state.keysets.length > 0 ? { keysets: [...state.keysets] } : {}),
    // Likewise: a state sealed before requests could be closed keeps its seal.
    ...(state.closed.length > 0
      ? {
          closed: state.closed.map((entry) => ({
            id: entry.id,
            token: entry.token,
            expiresAt: entry.expiresAt,
            requestedBy: entry.requestedBy,
            outcome: entry.outcome,
            closedAt: entry.closedAt,
            closedBy: entry.closedBy,
            reason: entry.reason,
          })),
        }
      : {}),
  };
  return JSON.stringify(ordered);
}

/** The document to store: the state in format 2 and its seal under the installation's key. */
export function sealState(state: StoredState, seed: Uint8Array): StateDocument {
  return { ...state, v: 2, seal: seal(seed, 'state', sealedText(state)) };
}

/** True when `parsed` carries the seal this installation's key makes for it. */
export function stateSealHolds(parsed: ParsedState, seed: Uint8Array): boolean {
  return sealHolds(seed, 'state', sealedText(parsed.state), parsed.seal);
}

export function initialState(installationId: string): StoredState {
  return {
    format: STATE_FORMAT,
    v: 2,
    installationId,
    license: null,
    pending: [],
    lastStatus: null,
    lastValidStatus: null,
    lastAttempt: null,
    statusTime: 0,
    trustedTime: 0,
    observedTime: 0,
    clockOffset: 0,
    audit: { head: null },
    keysets: [],
    closed: [],
  };
}
