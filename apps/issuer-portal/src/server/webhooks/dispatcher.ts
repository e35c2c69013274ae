// Sends the outbox to the registered endpoints. Each round: (1) fan-out: every event not yet
// turned into deliveries becomes one delivery per enabled endpoint that chose its type (a
// delivery's id is fixed by endpoint and event, so doing this twice, from two processes or
// after a crash, makes nothing twice); (2) the deliveries that are due are claimed under a
// lease and sent, each on its own: a slow or dead receiver holds up nothing but itself (its
// attempt times out), and a process that dies mid-send loses nothing (the lease runs out and
// any process takes the delivery over). Failed attempts are retried on a schedule that spans
// more than a day; after the last one the delivery is `failed` until an admin resends it. A URL
// whose IP literal the URL rules refuse is never connected to and fails at once (it cannot change).
// Delivery is at least once: receivers drop repeats by `webhook-id` (the Standard Webhooks rule).
import type {
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
}

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
  #lastExpiringScan = Number.NEGATIVE_INFINITY;
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
   * event out; this makes it good. Run on start.
   */
  async reconcile(): Promise<void> {
    const pending = await this.#store.listRequests({ status: 'pending', limit: 10_000 });
    await this.#store.automation.appendOutboxEvents(pending.map(webhookEventOfRequest));
  }

  /** Turns new outbox events into deliveries. */
  async fanOut(): Promise<number> {
    const { automation } = this.#store;
    const events = await automation.listUnfannedOutboxEvents(500);
    if (events.length === 0) return 0;
    const endpoints = (await automation.listWebhookEndpoints()).filter((e) => e.enabled);
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
    await this.scanExpiring();
    await this.watch.run();
    await this.fanOut();
    const claimed = await this.#store.automation.claimDeliveries(
      this.#now(),
      this.leaseMs,
      this.#batch,
    );
    const attempts = claimed.map((delivery) => this.#track(this.#attempt(delivery)));
    await Promise.all(attempts);
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
    const [endpoint, event] = await Promise.all([
      automation.getWebhookEndpoint(delivery.endpointId),
      automation.getOutboxEvent(delivery.eventId),
    ]);
    const at = this.#now();
    if (endpoint === null || event === null || !endpoint.enabled) {
      await automation.finishDelivery(delivery.id, {
        ...outcomeBase(delivery),
        status: 'failed',
        lastAttemptAt: at,
        lastError:
          endpoint === null || !endpoint.enabled ? 'endpoint removed or disabled' : 'event missing',
      });
      return;
    }
    const result = await sendWebhook(endpoint.url, endpoint.secret, messageOf(event), {
      timeoutMs: this.#timeoutMs,
      rules: this.#rules,
      ...(this.#lookup === undefined ? {} : { lookup: this.#lookup }),
    });
    const attempts = delivery.attempts + 1;
    const wait = this.#schedule[attempts - 1];
    const finishedAt = this.#now();
    const last = wait === undefined || result.refused === true; // a refused literal stays refused
    await automation.finishDelivery(delivery.id, {
      status: result.ok ? 'delivered' : last ? 'failed' : 'pending',
      attempts,
      nextAttemptAt: result.ok || last ? finishedAt : finishedAt + wait!,
      lastAttemptAt: at,
      lastStatus: result.status,
      lastDurationMs: result.durationMs,
      lastError: result.error,
      deliveredAt: result.ok ? finishedAt : null,
    });
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
    void this.reconcile().catch((error: unknown) =>
      this.#logger?.warn({ err: error }, 'webhook reconcile failed'),
    );
    const tick = () => {
      if (this.#running) return;
      this.#running = true;
      this.scanExpiring()
        .then(() => this.watch.run())
        .then(() => this.fanOut())
        .then(() => this.#store.automation.claimDeliveries(this.#now(), this.leaseMs, this.#batch))
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
