// POST /v1/checks as a bare node:http handler: this is the hot path, so it carries no
// middleware stack, no body-parser and no ETag; it reads the body itself under a cap, checks
// the caller's rate, and hands the token to answerCheck. Express mounts the same handler, so
// supertest and the lean server exercise one code path.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { AnswerCheck } from '../check/answer-check.js';
import {
  ContentTypeUnsupportedError,
  codeToStatus,
  RateLimitedError,
  type VerifyServiceError,
} from '../errors.js';
import type { VerifyMetrics } from '../metrics.js';
import type { RateLimiter } from '../state/rate-limiter.js';
import { clientAddressOf, requestIdOf } from './headers.js';
import { readBody } from './read-body.js';
import type { RefusalLog } from './refusal-log.js';
import { sendError, sendStatusToken } from './send.js';

export interface CheckRouteDeps {
  answerCheck: AnswerCheck;
  perIp: RateLimiter;
  metrics: VerifyMetrics;
  logger: Logger;
  now: () => number;
  maxBodyBytes: number;
  trustProxy: boolean;
  logChecks: boolean;
  /** Where refusals are logged: one line per client, code and interval (#16.6). */
  refusals: RefusalLog;
  /** True once shutdown began: answers still go out, with `Connection: close`. */
  stopping: () => boolean;
}

export type CheckRoute = (req: IncomingMessage, res: ServerResponse) => void;

export function createCheckRoute(deps: CheckRouteDeps): CheckRoute {
  const { answerCheck, perIp, metrics, logger, now } = deps;

  const fail = (
    res: ServerResponse,
    error: unknown,
    requestId: string,
    started: number,
    client: string,
  ) => {
    const headers: Record<string, string> = {};
    const code = (error as { code?: unknown })?.code;
    if (code === 'ERR_BODY_TOO_LARGE' || deps.stopping()) headers.connection = 'close';
    const sent = sendError(res, error, requestId, headers);
    metrics.countError(sent);
    metrics.observeLatency((performance.now() - started) / 1000);
    if (codeToStatus(sent) >= 500) {
      const fields = { err: error, requestId };
      deps.refusals.refused({ client, code: sent, level: 'error', fields }, now());
    } else if (deps.logChecks) {
      deps.refusals.refused({ client, code: sent, level: 'info', fields: { requestId } }, now());
    }
  };

  return function checkRoute(req, res) {
    const started = performance.now();
    const requestId = requestIdOf(req);
    const nowMs = now();

    const client = clientAddressOf(req, deps.trustProxy);
    const wait = perIp.take(client, nowMs);
    if (wait > 0) {
      req.resume();
      fail(res, new RateLimitedError(wait), requestId, started, client);
      return;
    }
    if (!isJose(req.headers['content-type'])) {
      req.resume();
      fail(res, unsupportedType(), requestId, started, client);
      return;
    }

    readBody(req, deps.maxBodyBytes)
      // The time once the body is in (a slow body must not get a status of a stale time).
      .then((body) => answerCheck(body.trim(), now(), client))
      .then(
        (answer) => {
          sendStatusToken(res, answer.status, requestId, deps.stopping());
          metrics.countCheck(answer.outcome);
          const seconds = (performance.now() - started) / 1000;
          metrics.observeLatency(seconds);
          if (deps.logChecks) {
            logger.info(
              {
                requestId,
                outcome: answer.outcome,
                lid: answer.licenseId,
                sub: answer.installationId,
                ms: Math.round(seconds * 1e4) / 10,
              },
              'check answered',
            );
          }
        },
        (error: unknown) => fail(res, error, requestId, started, client),
      );
  };
}

function isJose(contentType: string | undefined): boolean {
  if (contentType === undefined) return false;
  const semicolon = contentType.indexOf(';');
  const type = (semicolon === -1 ? contentType : contentType.slice(0, semicolon)).trim();
  return type.toLowerCase() === 'application/jose';
}

function unsupportedType(): VerifyServiceError {
  return new ContentTypeUnsupportedError(
    'Send the check token with Content-Type: application/jose.',
  );
}
