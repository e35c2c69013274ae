// The events that no issuer write causes, found by watching the store: check.failed (facts the
// verify service recorded), usage.near-cap (a check's reported usage crosses a share of the
// cap), check.stopped (an installation that checked regularly goes quiet past its expected
// interval), keys.changed (a new version of the signed key set; also written at once by the
// key operation, and made good here after a crash). Each event's id is fixed by what caused it,
// so running the watch twice, from two processes, or again after a restart writes each event
// once (the outbox ignores an id it holds). Nothing here updates a shared document: FerretDB
// loses concurrent updates to one document.

import { createHash } from 'node:crypto';
import type { KeysetClaims } from '@licensor/token';
import type { CheckRecord, KeysetRecord, License } from '../records.js';
import type { OutboxEvent } from '../store/automation-port.js';
import type {
  CheckFailure,
  QuietInstallation,
  QuietInstallationKey,
} from '../store/event-sources-port.js';
import type { LicensorStore } from '../store/ports.js';
import { licenseSummary } from '../store/webhook-events.js';
import { CHECK_FAILURE_WINDOW_MS } from './check-failures.js';

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

function shortHash(text: string): string {
  return createHash('sha256').update(text).digest('base64url').slice(0, 27);
}

export function checkFailedEvent(failure: CheckFailure, license: License): OutboxEvent {
  return {
    id: `msg_${failure.id}`,
    type: 'check.failed',
    at: failure.at,
    data: {
      ...licenseSummary(license),
      reason: failure.reason,
      checkedBy: failure.installationId,
      failedAt: failure.at,
      windowMs: CHECK_FAILURE_WINDOW_MS,
    },
  };
}

export function nearCapEvent(check: CheckRecord, license: License, percent: number): OutboxEvent {
  return {
    id: `msg_cap_${check.id.replace(/^chk_/, '')}`,
    type: 'usage.near-cap',
    at: check.at,
    data: {
      ...licenseSummary(license),
      credentialsInUse: check.credentialsInUse,
      threshold: nearCapThreshold(license.credentials, percent),
      percent,
      checkId: check.id,
      checkedAt: check.at,
      checkedBy: check.installationId,
    },
  };
}

/** Credentials in use at or above which a license is near its cap. */
export function nearCapThreshold(credentials: number, percent: number): number {
  return Math.max(1, Math.ceil((credentials * percent) / 100));
}

export function checkStoppedEvent(
  quiet: QuietInstallation,
  license: License,
  expectedIntervalMs: number,
  now: number,
): OutboxEvent {
  return {
    id: `msg_stop_${shortHash(`${quiet.licenseId}\u0000${quiet.installationId}\u0000${quiet.lastAt}`)}`,
    type: 'check.stopped',
    at: now,
    data: {
      ...licenseSummary(license),
      lastCheckAt: quiet.lastAt,
      silentForMs: now - quiet.lastAt,
      expectedIntervalMs,
      checksBefore: quiet.checks,
    },
  };
}

function claimsOf(record: KeysetRecord): KeysetClaims {
  const payload = record.token.split('.')[1] ?? '';
  return JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as KeysetClaims;
}

/** keys.changed for a version of the key set: what changed since the version before it. */
export function keysChangedEvent(previous: KeysetRecord | null, record: KeysetRecord): OutboxEvent {
  const before = new Map<string, string>();
  if (previous !== null) {
    const old = claimsOf(previous);
    for (const key of old.keys) before.set(key.kid, key.state);
    for (const kid of old.revoked) before.set(kid, 'revoked');
  }
  const now = claimsOf(record);
  const after = new Map<string, { purpose: string | null; state: string }>();
  for (const key of now.keys) after.set(key.kid, { purpose: key.purpose, state: key.state });
  for (const kid of now.revoked) after.set(kid, { purpose: null, state: 'revoked' });
  const changes = [...after]
    .filter(([kid, { state }]) => before.get(kid) !== state)
    .map(([kid, { purpose, state }]) => ({
      kid,
      purpose,
      from: before.get(kid) ?? null,
      to: state,
    }));
  return {
    id: `msg_keys_${record.seq}`,
    type: 'keys.changed',
    at: record.createdAt,
    data: {
      seq: record.seq,
      signedBy: record.signedBy,
      changes,
      keys: now.keys.map((key) => ({ kid: key.kid, purpose: key.purpose, state: key.state })),
      revoked: now.revoked,
    },
  };
}

export interface EventWatchOptions {
  store: LicensorStore;
  /** Clock (ms); default Date.now. */
  now?: () => number;
  /** usage.near-cap fires when reported usage reaches this share of the cap (%); default 90. */
  nearCapPercent?: number;
  /** How often installations are expected to check (ms); default 24 h (the service's default). */
  checkIntervalMs?: number;
  /** check.stopped after this long without a check (ms); default two intervals. */
  stoppedAfterMs?: number;
  /** Checks an installation must have made in the window to count as checking regularly. */
  minChecks?: number;
  /** How far back checks are looked at for check.stopped (ms); default stoppedAfter + 3 intervals. */
  stoppedWindowMs?: number;
  /** How often check.stopped is searched for (ms); default 10 min. */
  stoppedScanMs?: number;
  /** Check records younger than this are left for the next round (late writes; ms). */
  settleMs?: number;
  /**
   * usage.near-cap of a check record written up to this long after its time (a batch the verify
   * service buffered while the store was down, a verify host's clock behind) is still found: the
   * checks of this window behind the cursor are read again (ms); default 6 h.
   */
  lateMs?: number;
  /** How often the late window is read again (ms); default 10 min. */
  lateScanMs?: number;
  /** Quiet installations read per page for check.stopped; default 5000. */
  stoppedPageSize?: number;
  /** On start, checks this far back are read again for usage.near-cap (ms); default 1 day. */
  replayMs?: number;
  /** Key set versions older than this when first seen make no event (ms); default 7 days. */
  keysLookbackMs?: number;
}

export interface WatchRound {
  checkFailed: number;
  nearCap: number;
  stopped: number;
  keysChanged: number;
}

export class EventWatch {
  readonly #store: LicensorStore;
  readonly #now: () => number;
  readonly percent: number;
  readonly intervalMs: number;
  readonly stoppedAfterMs: number;
  readonly #minChecks: number;
  readonly #windowMs: number;
  readonly #stoppedScanMs: number;
  readonly #settleMs: number;
  readonly #replayMs: number;
  readonly #keysLookbackMs: number;
  readonly #lateMs: number;
  readonly #lateScanMs: number;
  readonly #stoppedPageSize: number;
  #cursor: { at: number; id: string } | null = null;
  /** Reported usage of each license's last check read (to see a crossing). */
  readonly #lastUsage = new Map<string, number>();
  #lastStoppedScan = Number.NEGATIVE_INFINITY;
  #lastLateScan = Number.NEGATIVE_INFINITY;
  /** Ids (and times) of the checks read in the late window: a check not among them came late. */
  readonly #read = new Map<string, number>();
  #keyset: KeysetRecord | null | undefined;

  constructor(options: EventWatchOptions) {
    this.#store = options.store;
    this.#now = options.now ?? Date.now;
    this.percent = options.nearCapPercent ?? 90;
    this.intervalMs = options.checkIntervalMs ?? DAY_MS;
    this.stoppedAfterMs = options.stoppedAfterMs ?? 2 * this.intervalMs;
    this.#minChecks = options.minChecks ?? 3;
    this.#windowMs = options.stoppedWindowMs ?? this.stoppedAfterMs + 3 * this.intervalMs;
    this.#stoppedScanMs = options.stoppedScanMs ?? 10 * 60_000;
    this.#settleMs = options.settleMs ?? 60_000;
    this.#replayMs = options.replayMs ?? DAY_MS;
    this.#keysLookbackMs = options.keysLookbackMs ?? 7 * DAY_MS;
    this.#lateMs = options.lateMs ?? 6 * HOUR_MS;
    this.#lateScanMs = options.lateScanMs ?? 10 * 60_000;
    this.#stoppedPageSize = options.stoppedPageSize ?? 5_000;
    if (!(this.percent > 0 && this.percent <= 100)) {
      throw new RangeError('nearCapPercent must be in (0, 100]');
    }
  }

  /**
   * One round of every watch; each writes its events to the outbox before it moves on. A watch
   * that fails (a query the store cannot answer) stops none of the others: the round goes on,
   * then rejects with its error (an AggregateError for more than one).
   */
  async run(): Promise<WatchRound> {
    const errors: unknown[] = [];
    const part = async (scan: () => Promise<number>): Promise<number> => {
      try {
        return await scan();
      } catch (error) {
        errors.push(error);
        return 0;
      }
    };
    const round = {
      checkFailed: await part(() => this.convertCheckFailures()),
      nearCap: (await part(() => this.scanUsage())) + (await part(() => this.scanLateUsage())),
      stopped: await part(() => this.scanStopped()),
      keysChanged: await part(() => this.scanKeysets()),
    };
    if (errors.length === 1) throw errors[0];
    if (errors.length > 1)
      throw new AggregateError(errors, `${errors.length} event watches failed`);
    return round;
  }

  /** check.failed: the verify service's facts, for licenses that exist, as events. */
  async convertCheckFailures(): Promise<number> {
    const { eventSources, automation } = this.#store;
    let written = 0;
    for (;;) {
      const failures = await eventSources.listUnconvertedCheckFailures(200);
      if (failures.length === 0) return written;
      const licenses = await this.#licenses(failures.map((f) => f.licenseId));
      const events = failures.flatMap((failure) => {
        const license = licenses.get(failure.licenseId);
        return license === undefined ? [] : [checkFailedEvent(failure, license)];
      });
      // Events first, then the mark: a crash between writes the same events again (ignored).
      await automation.appendOutboxEvents(events);
      await eventSources.markCheckFailuresConverted(failures.map((f) => f.id));
      written += events.length;
      if (failures.length < 200) return written;
    }
  }

  /** usage.near-cap: reads the checks in arrival order; one event per upward crossing. */
  async scanUsage(): Promise<number> {
    const { eventSources, automation } = this.#store;
    const now = this.#now();
    const before = now - this.#settleMs;
    this.#cursor ??= { at: now - this.#replayMs, id: '' };
    let written = 0;
    for (;;) {
      const checks = await eventSources.listChecksAfter(this.#cursor, before, 500);
      if (checks.length === 0) return written;
      const licenses = await this.#licenses(checks.map((c) => c.licenseId));
      const events: OutboxEvent[] = [];
      for (const check of checks) {
        const license = licenses.get(check.licenseId);
        if (license === undefined || license.credentials <= 0) continue;
        const threshold = nearCapThreshold(license.credentials, this.percent);
        let previous = this.#lastUsage.get(check.licenseId);
        if (previous === undefined) {
          previous = (await eventSources.previousCheck(check.licenseId, check))?.credentialsInUse;
        }
        if (
          check.credentialsInUse >= threshold &&
          (previous === undefined || previous < threshold)
        ) {
          events.push(nearCapEvent(check, license, this.percent));
        }
        this.#remember(check.licenseId, check.credentialsInUse);
        this.#markRead(check);
      }
      await automation.appendOutboxEvents(events);
      written += events.length;
      const last = checks[checks.length - 1]!;
      this.#cursor = { at: last.at, id: last.id };
      if (checks.length < 500) return written;
    }
  }

  /**
   * usage.near-cap of the checks written late: the cursor pages by (at, id), so a check record
   * written after the cursor passed its time (more than `settleMs` late) is never read by
   * scanUsage. Every `lateScanMs` the checks of the last `lateMs` up to the cursor are read
   * again; one not read before came late, and is judged against the license's check before it
   * in time. Its event's id is fixed by the check, so a check judged twice (after a restart)
   * writes its event once. A check written more than `lateMs` after its time is not announced.
   */
  async scanLateUsage(): Promise<number> {
    const now = this.#now();
    if (this.#cursor === null || now - this.#lastLateScan < this.#lateScanMs) return 0;
    this.#lastLateScan = now;
    const { eventSources, automation } = this.#store;
    const from = now - this.#lateMs;
    for (const [id, at] of this.#read) if (at < from) this.#read.delete(id);
    const end = this.#cursor;
    let after = { at: from, id: '' };
    let written = 0;
    for (;;) {
      const page = await eventSources.listChecksAfter(after, end.at + 1, 500);
      if (page.length === 0) return written;
      const late = page.filter(
        (c) => !this.#read.has(c.id) && (c.at < end.at || (c.at === end.at && c.id <= end.id)),
      );
      const licenses = await this.#licenses(late.map((c) => c.licenseId));
      const events: OutboxEvent[] = [];
      for (const check of late) {
        const license = licenses.get(check.licenseId);
        if (license !== undefined && license.credentials > 0) {
          const threshold = nearCapThreshold(license.credentials, this.percent);
          if (check.credentialsInUse >= threshold) {
            const previous = (await eventSources.previousCheck(check.licenseId, check))
              ?.credentialsInUse;
            if (previous === undefined || previous < threshold) {
              events.push(nearCapEvent(check, license, this.percent));
            }
          }
        }
        this.#markRead(check);
      }
      await automation.appendOutboxEvents(events);
      written += events.length;
      const last = page[page.length - 1]!;
      after = { at: last.at, id: last.id };
      if (page.length < 500) return written;
    }
  }

  #markRead(check: CheckRecord): void {
    // Bounded: past a million checks in the window the memory starts again (a check judged
    // again writes nothing new: its event's id is fixed).
    if (this.#read.size >= 1_000_000) this.#read.clear();
    this.#read.set(check.id, check.at);
  }

  #remember(licenseId: string, usage: number): void {
    // Bounded: past 100,000 licenses the memory starts again (the store answers instead).
    if (this.#lastUsage.size >= 100_000) this.#lastUsage.clear();
    this.#lastUsage.set(licenseId, usage);
  }

  /** check.stopped: at most every `stoppedScanMs`. */
  async scanStopped(): Promise<number> {
    const now = this.#now();
    if (now - this.#lastStoppedScan < this.#stoppedScanMs) return 0;
    this.#lastStoppedScan = now;
    // Page by page through every quiet installation (most are of revoked, moved or ended
    // licenses, filtered out below): a page limit must not hide the ones that count.
    let written = 0;
    let after: QuietInstallationKey | null = null;
    for (;;) {
      const quiet = await this.#store.eventSources.listQuietInstallations(
        now - this.#windowMs,
        now - this.stoppedAfterMs,
        this.#minChecks,
        this.#stoppedPageSize,
        after,
      );
      const licenses = await this.#licenses(quiet.map((q) => q.licenseId));
      const events = quiet.flatMap((q) => {
        const license = licenses.get(q.licenseId);
        // Only the installation a license in force is bound to: a revoked, suspended, moved or
        // ended license is expected to stop checking.
        if (license === undefined || license.state !== 'active') return [];
        if (license.installationId !== q.installationId) return [];
        if (license.term !== null && license.term.end * 1000 <= now) return [];
        return [checkStoppedEvent(q, license, this.intervalMs, now)];
      });
      await this.#store.automation.appendOutboxEvents(events);
      written += events.length;
      const last = quiet[quiet.length - 1];
      if (last === undefined || quiet.length < this.#stoppedPageSize) return written;
      after = {
        lastAt: last.lastAt,
        licenseId: last.licenseId,
        installationId: last.installationId,
      };
    }
  }

  /** keys.changed: every version of the key set not yet seen by this process. */
  async scanKeysets(): Promise<number> {
    const first = this.#keyset === undefined;
    const after = this.#keyset?.seq ?? 0;
    const keysets = await this.#store.listKeysets(after);
    if (keysets.length === 0) {
      this.#keyset ??= null;
      return 0;
    }
    const cutoff = this.#now() - this.#keysLookbackMs;
    const events: OutboxEvent[] = [];
    let previous = this.#keyset ?? null;
    for (const record of keysets) {
      if (!(first && record.createdAt < cutoff)) events.push(keysChangedEvent(previous, record));
      previous = record;
    }
    await this.#store.automation.appendOutboxEvents(events);
    this.#keyset = previous;
    return events.length;
  }

  async #licenses(ids: string[]): Promise<Map<string, License>> {
    const found = new Map<string, License>();
    for (const id of new Set(ids)) {
      const license = await this.#store.getLicense(id);
      if (license !== null) found.set(id, license);
    }
    return found;
  }
}
