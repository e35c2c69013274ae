// Sends the outbox to the registered endpoints. Each round: (1) fan-out: every event not yet
// turned into deliveries becomes one delivery per endpoint that chose its type, enabled or not
// (a disabled endpoint's deliveries wait, pending, until it is enabled again; a delivery's id
// is fixed by endpoint and event, so doing this twice, from two processes or after a crash,
// makes nothing twice); (2) the deliveries that are due, of enabled endpoints, are claimed
// under a lease and sent, each on its own: a slow or dead receiver holds up nothing but itself
// (its attempt times out), and a process that dies mid-send loses nothing (the lease runs out
// and any process takes the delivery over). An attempt's outcome is written only under the
// lease its claim set: one that outlived its lease writes nothing. Failed attempts are retried
// on a schedule that spans more than a day; after the last one the delivery is `failed` until
// an admin resends it. A URL whose IP literal the URL rules refuse is never connected to and
// fails at once (it cannot change). Each step of a round (the expiring scan, the event watch,
// the reconcile, the retention sweep, fan-out, claiming) fails on its own: it is logged and the
// others go on. Delivery is at least once: receivers drop repeats by `webhook-id` (the
// Standard Webhooks rule).
import type {
  DeliveryOutcome,
  EventWatchOptions,
  License,
  LicensorStore,
  OutboxEvent,
  TermEndKey,
  WebhookDelivery,
} from '@licensor/issuer';
import {
  EventWatch,
  licensePages,
  licenseSummary,
  newDelivery,
  webhookEventOfRequest,
} from '@licensor/issuer';
import type { Logger } from 'pino';
import { type ResolveAll, sendWebhook } from './sender.js';
import type { UrlRules } from './url-rules.js';

/** Wait after the n-th failed attempt (n = 1, 2, …): 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h. */
export const RETRY_SCHEDULE_MS: readonly number[] = [
  5_000,
  5 * 60_000,
  30 * 60_000,
  2 * 3_600_000,
  5 * 3_600_000,
  10 * 3_600_000,
  10 * 3_600_000,
];

export interface DispatcherOptions {
  store: LicensorStore;
  /** Scheduling clock (ms); default Date.now. Signatures always carry the wall-clock time. */
  now?: () => number;
  logger?: Logger;
  rules: UrlRules;
  /** Resolves a receiver's name (default dns.lookup); its answers are checked all the same. */
  lookup?: ResolveAll;
  /** One attempt's whole exchange; default 10 s. */
  timeoutMs?: number;
  /** Deliveries claimed per round; default 50. */
  batch?: number;
  retrySchedule?: readonly number[];
  /** subscription.expiring is sent once per term, this many days before it ends; default 30. */
  expiringDays?: number;
  /** How often the expiring scan reads the whole window again (ms); default 24 h. */
  expiringFullScanMs?: number;
  /** Licenses the expiring scan reads per page; default 500. */
  expiringPageSize?: number;
  /** check.failed, check.stopped, usage.near-cap, keys.changed: what the watch looks for. */
  events?: Omit<EventWatchOptions, 'store' | 'now'>;
  /** How often the request.created events of pending requests are made good (ms); 10 min. */
  reconcileMs?: number;
  /**
   * Delivered and failed deliveries, and the outbox events fanned out, are deleted this many
   * days after (the last attempt; the event); default 90. More than `expiringDays` and 7 (an
   * event's cause is looked at again within those: a younger event is never written twice).
   */
  retentionDays?: number;
  /** How often the retention sweep runs (ms); default 1 h. */
  sweepMs?: number;
  /** Rows the retention sweep deletes per statement; default 500 (at most 20 batches a run). */
  sweepBatch?: number;
}

/** How often pending requests' request.created events are made good (see reconcile()). */
export const RECONCILE_MS = 10 * 60_000;

/** Days delivered and failed deliveries, and fanned-out events, are kept. */
export const WEBHOOK_RETENTION_DAYS = 90;

const DAY_MS = 86_400_000;

/** How often the store is searched for subscriptions about to end. */
export const EXPIRING_SCAN_MS = 10 * 60_000;

/** How often a scan reads every subscription of the window again, not only what moved. */
export const EXPIRING_FULL_SCAN_MS = 24 * 3_600_000;

/**
 * A license change stamped (`updatedAt`) up to this long before a scan started may still have
 * been committed after the scan read past it: a slow commit, a MongoDB commit a crash left to be
 * rolled forward by the next open, another process's clock a little behind. The next scan reads
 * the changes from this long before the last one started.
 */
export const EXPIRING_SLACK_MS = 15 * 60_000;

/** The expiring scan's mark in the store (one per window: two settings never share one). */
export function expiringMarkName(days: number): string {
  return `subscription.expiring:${days}d`;
}

export class WebhookDispatcher {
  readonly #store: LicensorStore;
  readonly #now: () => number;
  readonly #logger: Logger | undefined;
  readonly #rules: UrlRules;
  readonly #lookup: ResolveAll | undefined;
  readonly #timeoutMs: number;
  readonly #batch: number;
  readonly #schedule: readonly number[];
  readonly #expiringDays: number;
  readonly #expiringFullScanMs: number;
  readonly #expiringPageSize: number;
  /** Finds the events no issuer write causes (check.*, usage.near-cap, keys.changed). */
  readonly watch: EventWatch;
  readonly #reconcileMs: number;
  readonly #retentionMs: number;
  readonly #sweepMs: number;
  readonly #sweepBatch: number;
  #lastExpiringScan = Number.NEGATIVE_INFINITY;
  #lastReconcile = Number.NEGATIVE_INFINITY;
  #lastSweep = Number.NEGATIVE_INFINITY;
  readonly #inFlight = new Set<Promise<void>>();
  #timer: NodeJS.Timeout | undefined;
  #running = false;

  constructor(options: DispatcherOptions) {
    this.#store = options.store;
    this.#now = options.now ?? Date.now;
    this.#logger = options.logger;
    this.#rules = options.rules;
    this.#lookup = options.lookup;
    this.#timeoutMs = options.timeoutMs ?? 10_000;
    this.#batch = options.batch ?? 50;
    this.#schedule = options.retrySchedule ?? RETRY_SCHEDULE_MS;
    this.#expiringDays = options.expiringDays ?? 30;
    this.#expiringFullScanMs = options.expiringFullScanMs ?? EXPIRING_FULL_SCAN_MS;
    this.#expiringPageSize = options.expiringPageSize ?? 500;
    this.watch = new EventWatch({ ...options.events, store: this.#store, now: this.#now });
    this.#reconcileMs = options.reconcileMs ?? RECONCILE_MS;
    const retentionDays = options.retentionDays ?? WEBHOOK_RETENTION_DAYS;
    if (!(Number.isFinite(retentionDays) && retentionDays > Math.max(this.#expiringDays, 7))) {
      throw new RangeError(
        `retentionDays must be more than ${Math.max(this.#expiringDays, 7)} (expiringDays, 7)`,
      );
    }
    this.#retentionMs = retentionDays * DAY_MS;
    this.#sweepMs = options.sweepMs ?? 3_600_000;
    this.#sweepBatch = options.sweepBatch ?? 500;
  }

  /**
   * Puts a subscription.expiring event in the outbox for each active subscription whose term
   * ends within `expiringDays`. Its id is fixed by the license and the term's end, so each term
   * is announced once, however often (and from however many processes) this runs; a renewal
   * moves the end and is announced again when its time comes. Runs at most every 10 minutes.
   *
   * Incremental: the store keeps a mark of the last finished scan (`ScanMark`: when it started,
   * and `coveredTo`, the term end, in seconds, below which it announced every active
   * subscription it read). A scan then reads only
   *   (a) the subscriptions whose term end came into the window since: [coveredTo, now + window),
   *       by term end on the term-end index (`listSubscriptionsEnding`);
   *   (b) the licenses changed since the last scan started, less EXPIRING_SLACK_MS, whose term
   *       ends in the window (`listLicenses` with `updatedSince`, on the (state, updated) index):
   *       issued or renewed into it, resumed, or changed while the last scan read them (a page
   *       read no longer sees a license that moved past it);
   * so a scan costs what changed in ten minutes, not the store. A license revoked or suspended
   * before it is read is not active and not announced. The mark is written after the last event
   * is appended, so a scan that a crash or a failed write cut short is redone whole from the mark
   * before it, at the next scan, by this or any process; a restarted process carries on from the
   * mark, not from memory. A process that finds a mark younger than 10 minutes leaves the scan to
   * the process that wrote it. The first scan, and one every `expiringFullScanMs` (24 h), reads
   * the whole window (a) from now: a safety net for a change stamped more than the slack before
   * its commit (clocks of two hosts apart), and for licenses bulk-loaded with old times.
   */
  async scanExpiring(): Promise<number> {
    const now = this.#now();
    if (now - this.#lastExpiringScan < EXPIRING_SCAN_MS) return 0;
    this.#lastExpiringScan = now;
    const { automation } = this.#store;
    const name = expiringMarkName(this.#expiringDays);
    const stored = await automation.getScanMark(name);
    // A mark from further ahead than the slack (a host whose clock ran fast) is not trusted: it
    // would hide both the term ends and the changes it claims. Scans read the whole window until
    // this clock passes it (it cannot be written over by a scan that started before it).
    const mark = stored !== null && stored.startedAt <= now + EXPIRING_SLACK_MS ? stored : null;
    if (stored !== null && mark === null) {
      this.#logger?.warn({ mark: stored }, 'subscription.expiring scan mark from the future');
    }
    if (mark !== null && now - mark.startedAt < EXPIRING_SCAN_MS) return 0;
    const nowSeconds = Math.floor(now / 1000);
    const horizon = nowSeconds + this.#expiringDays * 86_400;
    // Terms that already ended are not announced: only ends after now are read.
    const from = nowSeconds + 1;
    const full = mark === null || now - mark.fullAt >= this.#expiringFullScanMs;
    let found = 0;
    let coveredTo = horizon;
    if (full) {
      found += await this.#announceEnding(now, from, horizon);
    } else {
      // A mark ahead of this window (a process whose clock runs ahead) stays covered.
      coveredTo = Math.max(mark.coveredTo, horizon);
      found += await this.#announceEnding(now, Math.max(mark.coveredTo, from), horizon);
      found += await this.#announceChanged(
        now,
        mark.startedAt - EXPIRING_SLACK_MS,
        from,
        coveredTo,
      );
    }
    await automation.putScanMark({
      name,
      startedAt: now,
      coveredTo,
      fullAt: full ? now : mark.fullAt,
    });
    return found;
  }

  /** (a): the active subscriptions ending in [from, before), by term end, a page at a time. */
  async #announceEnding(now: number, from: number, before: number): Promise<number> {
    let found = 0;
    let after: TermEndKey | null = null;
    while (from < before) {
      const page = await this.#store.listSubscriptionsEnding(
        from,
        before,
        after,
        this.#expiringPageSize,
      );
      found += await this.#appendExpiring(now, page);
      const last = page[page.length - 1];
      if (page.length < this.#expiringPageSize || last?.term == null) break;
      after = { termEnd: last.term.end, id: last.id };
    }
    return found;
  }

  /** (b): the active subscriptions changed since `since` (ms) ending in [from, before). */
  async #announceChanged(
    now: number,
    since: number,
    from: number,
    before: number,
  ): Promise<number> {
    let found = 0;
    const pages = licensePages(
      (filter) => this.#store.listLicenses(filter),
      {
        state: 'active',
        model: 'subscription',
        updatedSince: since,
        termEndsAfter: from,
        termEndsBefore: before,
      },
      this.#expiringPageSize,
    );
    for await (const page of pages) found += await this.#appendExpiring(now, page);
    return found;
  }

  /** subscription.expiring of each license (by its fixed id: one already there stays). */
  async #appendExpiring(now: number, licenses: readonly License[]): Promise<number> {
    const nowSeconds = Math.floor(now / 1000);
    const events: OutboxEvent[] = licenses
      .filter((l) => l.state === 'active' && l.term !== null && l.term.end > nowSeconds)
      .map((l) => ({
        id: `msg_exp_${l.id.slice(4)}_${l.term!.end}`,
        type: 'subscription.expiring',
        at: now,
        data: {
          ...licenseSummary(l),
          daysLeft: Math.ceil((l.term!.end - nowSeconds) / 86_400),
        },
      }));
    if (events.length > 0) await this.#store.automation.appendOutboxEvents(events);
    return events.length;
  }

  /** A lease outlives an attempt, so no live attempt is ever taken over. */
  get leaseMs(): number {
    return this.#timeoutMs + 5_000;
  }

  /**
   * Puts the request.created event of every pending request in the outbox (by its fixed id:
   * nothing twice). On MongoDB a crash between a request's insert and its event's leaves the
   * event out; this makes it good. Runs on start and every `reconcileMs` (10 min) after. A
   * request older than the retention is left out: its event may have been swept already, and
   * writing it again would send it again.
   */
  async reconcile(): Promise<number> {
    this.#lastReconcile = this.#now();
    const since = this.#now() - this.#retentionMs;
    const pending = await this.#store.listRequests({ status: 'pending', limit: 10_000 });
    const events = pending.map(webhookEventOfRequest).filter((e) => e.at > since);
    await this.#store.automation.appendOutboxEvents(events);
    return events.length;
  }

  /**
   * Retention: deletes delivered and failed deliveries whose last attempt ended more than
   * `retentionDays` ago, and the outbox events fanned out that long ago that no delivery refers
   * to any more, `sweepBatch` rows a statement, at most 20 batches a run (the rest next run).
   * Pending deliveries (a disabled endpoint's too) and their events stay; the audit log is
   * another table, never touched. Runs every `sweepMs` (1 h).
   */
  async sweep(): Promise<{ deliveries: number; events: number }> {
    this.#lastSweep = this.#now();
    const before = this.#now() - this.#retentionMs;
    const total = { deliveries: 0, events: 0 };
    for (let batch = 0; batch < 20; batch++) {
      const swept = await this.#store.automation.sweepWebhooks(before, this.#sweepBatch);
      total.deliveries += swept.deliveries;
      total.events += swept.events;
      if (swept.deliveries < this.#sweepBatch && swept.events < this.#sweepBatch) break;
    }
    if (total.deliveries + total.events > 0) {
      this.#logger?.info(total, 'webhook retention sweep');
    }
    return total;
  }

  /** Turns new outbox events into deliveries, for every endpoint that chose them. */
  async fanOut(): Promise<number> {
    const { automation } = this.#store;
    const events = await automation.listUnfannedOutboxEvents(500);
    if (events.length === 0) return 0;
    // Disabled endpoints too: their deliveries wait, pending (claiming skips them), and go out
    // in order once the endpoint is enabled again.
    const endpoints = await automation.listWebhookEndpoints();
    const now = this.#now();
    const deliveries = events.flatMap((event) =>
      endpoints
        .filter((e) => e.events.includes(event.type))
        .map((e) => newDelivery(e.id, event, now)),
    );
    await automation.insertDeliveries(deliveries);
    await automation.markOutboxFannedOut(events.map((e) => e.id));
    return deliveries.length;
  }

  /**
   * One round: fan out, claim what is due, start sending it. Resolves when the attempts
   * started in this round have finished (the loop does not wait for that).
   */
  async runOnce(): Promise<void> {
    const claimed = await this.#prepare();
    const attempts = claimed.map((delivery) => this.#track(this.#attempt(delivery)));
    await Promise.all(attempts);
  }

  /**
   * A round's steps up to the claim, each on its own: a step that fails (the expiring scan, a
   * watch query the store cannot answer) is logged, and the others, delivery above all, go on.
   */
  async #prepare(): Promise<WebhookDelivery[]> {
    const now = this.#now();
    await this.#step('subscription.expiring scan', () => this.scanExpiring());
    await this.#step('event watch', () => this.watch.run());
    if (now - this.#lastReconcile >= this.#reconcileMs) {
      await this.#step('reconcile', () => this.reconcile());
    }
    if (now - this.#lastSweep >= this.#sweepMs) {
      await this.#step('retention sweep', () => this.sweep());
    }
    await this.#step('fan-out', () => this.fanOut());
    return (
      (await this.#step('claim', () =>
        this.#store.automation.claimDeliveries(this.#now(), this.leaseMs, this.#batch),
      )) ?? []
    );
  }

  async #step<T>(name: string, run: () => Promise<T>): Promise<T | undefined> {
    try {
      return await run();
    } catch (error) {
      this.#logger?.warn({ err: error, step: name }, `webhook round: ${name} failed`);
      return undefined;
    }
  }

  #track(attempt: Promise<void>): Promise<void> {
    const tracked = attempt.catch((error: unknown) => {
      this.#logger?.error({ err: error }, 'webhook attempt failed unexpectedly');
    });
    this.#inFlight.add(tracked);
    void tracked.finally(() => this.#inFlight.delete(tracked));
    return tracked;
  }

  async #attempt(delivery: WebhookDelivery): Promise<void> {
    const { automation } = this.#store;
    const lease = delivery.leaseUntil;
    const [endpoint, event] = await Promise.all([
      automation.getWebhookEndpoint(delivery.endpointId),
      automation.getOutboxEvent(delivery.eventId),
    ]);
    const at = this.#now();
    if (endpoint !== null && !endpoint.enabled) {
      // Disabled since the claim: not an attempt. The lease is let go; the delivery waits.
      await automation.finishDelivery(delivery.id, lease, unchanged(delivery));
      return;
    }
    if (endpoint === null || event === null) {
      await automation.finishDelivery(delivery.id, lease, {
        ...outcomeBase(delivery),
        status: 'failed',
        lastAttemptAt: at,
        lastError: endpoint === null ? 'endpoint removed' : 'event missing',
      });
      return;
    }
    // During a rotation's overlap the replaced secret signs too (one signature each).
    const secrets =
      endpoint.previousSecret && (endpoint.previousSecretUntil ?? 0) > at
        ? [endpoint.secret, endpoint.previousSecret]
        : endpoint.secret;
    const result = await sendWebhook(endpoint.url, secrets, messageOf(event), {
      timeoutMs: this.#timeoutMs,
      rules: this.#rules,
      ...(this.#lookup === undefined ? {} : { lookup: this.#lookup }),
    });
    const attempts = delivery.attempts + 1;
    const wait = this.#schedule[attempts - 1];
    const finishedAt = this.#now();
    const last = wait === undefined || result.refused === true; // a refused literal stays refused
    const written = await automation.finishDelivery(delivery.id, lease, {
      status: result.ok ? 'delivered' : last ? 'failed' : 'pending',
      attempts,
      nextAttemptAt: result.ok || last ? finishedAt : finishedAt + wait!,
      lastAttemptAt: at,
      lastStatus: result.status,
      lastDurationMs: result.durationMs,
      lastError: result.error,
      deliveredAt: result.ok ? finishedAt : null,
    });
    if (!written) {
      this.#logger?.warn(
        { delivery: delivery.id, ok: result.ok, status: result.status },
        'webhook attempt outlived its lease: its outcome is not recorded',
      );
    }
    this.#logger?.info(
      {
        delivery: delivery.id,
        endpoint: endpoint.id,
        event: event.id,
        ok: result.ok,
        status: result.status,
        ms: result.durationMs,
      },
      'webhook attempt',
    );
  }

  /** Runs a round every `intervalMs` (rounds never overlap; attempts run on between rounds). */
  start(intervalMs = 1_000): void {
    if (this.#timer !== undefined) return;
    const tick = () => {
      if (this.#running) return;
      this.#running = true;
      this.#prepare()
        .then((claimed) => {
          for (const delivery of claimed) void this.#track(this.#attempt(delivery));
        })
        .catch((error: unknown) => this.#logger?.warn({ err: error }, 'webhook round failed'))
        .finally(() => {
          this.#running = false;
        });
    };
    this.#timer = setInterval(tick, intervalMs);
    this.#timer.unref();
    tick();
  }

  /** Stops the rounds and waits for the attempts in flight. */
  async stop(): Promise<void> {
    clearInterval(this.#timer);
    this.#timer = undefined;
    await Promise.all([...this.#inFlight]);
  }
}

/** The delivery as it was: a claim let go without an attempt. */
function unchanged(delivery: WebhookDelivery): DeliveryOutcome {
  return {
    status: delivery.status,
    attempts: delivery.attempts,
    nextAttemptAt: delivery.nextAttemptAt,
    lastAttemptAt: delivery.lastAttemptAt,
    lastStatus: delivery.lastStatus,
    lastDurationMs: delivery.lastDurationMs,
    lastError: delivery.lastError,
    deliveredAt: delivery.deliveredAt,
  };
}

function outcomeBase(delivery: WebhookDelivery) {
  return {
    attempts: delivery.attempts,
    nextAttemptAt: delivery.nextAttemptAt,
    lastStatus: null,
    lastDurationMs: null,
    deliveredAt: null,
  };
}

/** The body receivers get: `{type, timestamp, data}`, as Standard Webhooks recommends. */
export function messageOf(event: OutboxEvent): { id: string; body: string } {
  return {
    id: event.id,
    body: JSON.stringify({
      type: event.type,
      timestamp: new Date(event.at).toISOString(),
      data: event.data,
    }),
  };
}
