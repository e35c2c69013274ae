// Liveness and readiness for a load balancer or an orchestrator, in the verify service's shape:
// GET /healthz answers 200 {"status":"ok"} while the process serves HTTP (it reads nothing, so a
// store outage never restarts the portal); GET /readyz answers 200 {"status":"ready"} when the
// store answers a ping within READY_TIMEOUT_MS, else 503 with the one error body
// (ERR_STORE_UNAVAILABLE): take the instance out of rotation. Both answer JSON whatever the
// client accepts. They are mounted before the single-page app, whose fallback would otherwise
// answer both paths with the web app's page and 200 (a health check that always passed).
import { isLicensorError } from '@licensor/token';
import express, { type Router } from 'express';
import { PORTAL_STATUS } from './code-to-status.js';
import { sendError } from './error-handler.js';

/** How long /readyz waits for the store's answer (the verify service's store timeout). */
export const READY_TIMEOUT_MS = 2_000;

export interface HealthOptions {
  /** Resolves when the store answers (the issuer's `store.ping`); rejects otherwise. */
  ping: () => Promise<void>;
  timeoutMs?: number;
}

export function healthRouter(options: HealthOptions): Router {
  const timeoutMs = options.timeoutMs ?? READY_TIMEOUT_MS;
  const router = express.Router();
  router.get('/healthz', (_req, res) => {
    res.setHeader('Cache-Control', 'no-store');
    res.json({ status: 'ok' });
  });
  router.get('/readyz', async (_req, res) => {
    res.setHeader('Cache-Control', 'no-store');
    const problem = await storeProblem(options.ping, timeoutMs);
    if (problem === null) {
      res.json({ status: 'ready' });
      return;
    }
    sendError(res, 503, problem.code, problem.message);
  });
  return router;
}

/** null when the store answered in time; else the code and message /readyz answers with. */
async function storeProblem(
  ping: () => Promise<void>,
  timeoutMs: number,
): Promise<{ code: string; message: string } | null> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((resolve) => {
    timer = setTimeout(() => resolve('late'), timeoutMs);
    timer.unref();
  });
  try {
    const answer = await Promise.race([ping().then(() => 'answered' as const), late]);
    if (answer === 'answered') return null;
    return {
      code: 'ERR_STORE_UNAVAILABLE',
      message: `The store did not answer within ${timeoutMs} ms.`,
    };
  } catch (error) {
    // A typed store error the portal answers with 503 (unavailable, a newer schema, …) says
    // what it is; anything else is named only as the store not answering.
    if (isLicensorError(error) && PORTAL_STATUS.statusOf(error.code) === 503) {
      return { code: error.code, message: error.message };
    }
    return { code: 'ERR_STORE_UNAVAILABLE', message: 'The store does not answer.' };
  } finally {
    clearTimeout(timer);
  }
}
