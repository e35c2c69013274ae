// GET /metrics: the portal's Prometheus series, through prom-client (the version the verify
// service pins) in a registry of its own. Today they are the store's log health
// (`licensor_store_*`: a SQLite store's checkpoints, their failures, its checkpoint thread, the
// log's size; none on MongoDB), read from the store when scraped; their names and help come from
// @licensor/issuer, so the verify service shows the same series. The same store's failed
// checkpoints are logged once (warn) by the log-health watch started here, whether or not
// /metrics is served. The portal faces staff, often across the internet, so /metrics is off
// (404) unless a scrape token is configured (LICENSOR_METRICS_TOKEN), and then answers only a
// request carrying it (`Authorization: Bearer <token>`, compared in constant time; 401 otherwise).

import { scrapeTokenMatches, scrapeTokenProblem } from '@licensor/http-errors';
import { type LogHealth, registerLogHealthMetrics, watchLogHealth } from '@licensor/issuer/store';
import type { RequestHandler } from 'express';
import type { Logger } from 'pino';
import { Counter, Gauge, Registry } from 'prom-client';
import { sendError } from './http/error-handler.js';

export interface PortalMetrics {
  readonly registry: Registry;
  /**
   * GET /metrics: the text exposition to a request carrying the scrape token; 401 without it or
   * with another; 404 when no token is configured (off).
   */
  readonly handler: RequestHandler;
  /** Stops the log-health watch (the process's exit does too: its timer is unref'd). */
  stop(): void;
}

/**
 * `token`: the scrape token (null or undefined: /metrics is off). A token that is too short or
 * holds whitespace is refused (a TypeError naming the setting), as the CLI does.
 */
export function createPortalMetrics(
  store: { logHealth(): LogHealth },
  logger: Logger,
  token?: string | null,
): PortalMetrics {
  const problem = token == null ? null : scrapeTokenProblem(token);
  if (problem !== null) throw new TypeError(`the scrape token: ${problem}`);
  const registry = new Registry();
  const registers = [registry];
  registerLogHealthMetrics(store, { Counter, Gauge }, registers);
  const watch = watchLogHealth(() => store.logHealth(), logger);
  const handler: RequestHandler = (req, res, next) => {
    if (token == null) {
      sendError(
        res,
        404,
        'ERR_NOT_FOUND',
        'GET /metrics is off: start the portal with LICENSOR_METRICS_TOKEN set, and scrape with the header Authorization: Bearer <that token>.',
      );
      return;
    }
    if (!scrapeTokenMatches(req.get('authorization'), token)) {
      res.set('WWW-Authenticate', 'Bearer realm="licensor-metrics"');
      sendError(
        res,
        401,
        'ERR_UNAUTHENTICATED',
        'GET /metrics needs the scrape token: send the header Authorization: Bearer <LICENSOR_METRICS_TOKEN>.',
      );
      return;
    }
    registry.metrics().then((text) => {
      res.type(registry.contentType).send(text);
    }, next);
  };
  return { registry, handler, stop: () => watch.stop() };
}
