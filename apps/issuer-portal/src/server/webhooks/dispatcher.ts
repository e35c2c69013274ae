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
  LicensorStore,
  OutboxEvent,
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
  /** check.failed, check.stopped, usage.near-cap, keys.changed: what the watch looks for. */
  events?: Omit<EventWatchOptions, 'store' | 'now'>;
}

/** How often the store is searched for subscriptions about to end. */
export const EXPIRING_SCAN_MS = 10 * 60_000;

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
    this.watch = new EventWatch({ ...options.events, store: this.#store, now: this.#now });
  }

  /**
   * Puts a subscription.expiring event in the outbox for each active subscription whose term
   * ends within `expiringDays`. Its id is fixed by the license and the term's end, so each term
   * is announced once, however often (and from however many processes) this runs; a renewal
   * moves the end and is announced again when its time comes. Runs at most every 10 minutes.
   */
  async scanExpiring(): Promise<number> {
    const now = this.#now();
    if (now - this.#lastExpiringScan < EXPIRING_SCAN_MS) return 0;
    this.#lastExpiringScan = now;
    const nowSeconds = Math.floor(now / 1000);
    let found = 0;
    const pages = licensePages(
      (filter) => this.#store.listLicenses(filter),
      {
        model: 'subscription',
        state: 'active',
        termEndsBefore: nowSeconds + this.#expiringDays * 86_400,
      },
      500,
    );
    for await (const page of pages) {
      const events: OutboxEvent[] = page
        .filter((l) => l.term !== null && l.term.end > nowSeconds)
        .map((l) => ({
          id: `msg_exp_${l.id.slice(4)}_${l.term!.end}`,
          type: 'subscription.expiring',
          at: now,
          data: {
            ...licenseSummary(l),
            daysLeft: Math.ceil((l.term!.end - nowSeconds) / 86_400),
          },
        }));
      await this.#store.automation.appendOutboxEvents(events);
      found += events.length;
    }
    return found;
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
