// GET /metrics: the portal's Prometheus series, through prom-client (the version the verify
// service pins) in a registry of its own. Today they are the store's log health
// (`licensor_store_*`: a SQLite store's checkpoints, their failures, its checkpoint thread, the
// log's size; none on MongoDB), read from the store when scraped; their names and help come from
// @licensor/issuer, so the verify service shows the same series. The same store's failed
// checkpoints are logged once (warn) by the log-health watch started here. Like /api/v1/health it
// needs no login: keep it to the network Prometheus scrapes from (docs/deploying.md).

import { type LogHealth, logHealthMetrics, watchLogHealth } from '@licensor/issuer/store';
import type { RequestHandler } from 'express';
import type { Logger } from 'pino';
import { Counter, Gauge, Registry } from 'prom-client';

export interface PortalMetrics {
  readonly registry: Registry;
  /** GET /metrics: the text exposition. */
  readonly handler: RequestHandler;
  /** Stops the log-health watch (the process's exit does too: its timer is unref'd). */
  stop(): void;
}

export function createPortalMetrics(
  store: { logHealth(): LogHealth },
  logger: Logger,
): PortalMetrics {
  const registry = new Registry();
  const registers = [registry];
  for (const metric of logHealthMetrics(store.logHealth())) {
    const read = () => {
      const health = store.logHealth();
      return health.kind === 'sqlite' ? metric.read(health) : null;
    };
    const options = { name: metric.name, help: metric.help, registers };
    // An unknown value (null) leaves the series at its last one.
    if (metric.type === 'counter') {
      new Counter({
        ...options,
        collect() {
          const value = read();
          if (value === null) return;
          this.reset();
          this.inc(value);
        },
      });
    } else {
      new Gauge({
        ...options,
        collect() {
          const value = read();
          if (value !== null) this.set(value);
        },
      });
    }
  }
  const watch = watchLogHealth(() => store.logHealth(), logger);
  const handler: RequestHandler = (_req, res, next) => {
    registry.metrics().then((text) => {
      res.type(registry.contentType).send(text);
    }, next);
  };
  return { registry, handler, stop: () => watch.stop() };
}
