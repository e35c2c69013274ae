// One delivery attempt: a Standard Webhooks POST (webhook-id, webhook-timestamp,
// webhook-signature from the `standardwebhooks` library), over node:http(s) with the address
// checked before connecting (an IP literal in the URL here, since Node calls no `lookup` for one;
// a name's resolved addresses in the lookup hook), a hard timeout for the whole exchange, no redirects
// followed, and at most 64 KiB of the answer read.
import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { addressRefusal, literalRefusal, type UrlRules } from './url-rules.js';

export interface AttemptResult {
  ok: boolean;
  status: number | null;
  durationMs: number;
  error: string | null;
  /** The URL's IP literal is refused: no later attempt can go through (no retry is useful). */
  refused?: true;
}

export interface SignedMessage {
  id: string;
  body: string;
}

/**
 * The Standard Webhooks headers. Several secrets (a rotation's overlap: the new one first) give
 * one signature each, space-separated in one header, as the specification allows: a receiver
 * that knows either secret verifies the delivery.
 */
export function signedHeaders(
  secret: string | readonly string[],
  message: SignedMessage,
  at: Date,
): Record<string, string> {
  const secrets = typeof secret === 'string' ? [secret] : secret;
  return {
    'webhook-id': message.id,
    'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
    'webhook-signature': secrets
      .map((one) => new Webhook(one).sign(message.id, at, message.body))
      .join(' '),
  };
}

/** Every address a name resolves to (dns.lookup with `all`; tests answer names themselves). */
export type ResolveAll = (
  hostname: string,
  options: LookupOptions,
  callback: (error: NodeJS.ErrnoException | null, addresses: LookupAddress[]) => void,
) => void;

const resolveAll: ResolveAll = (hostname, options, callback) =>
  dnsLookup(hostname, { ...options, all: true }, callback);

function guardedLookup(port: number, rules: UrlRules, resolve: ResolveAll): LookupFunction {
  return (hostname, options, callback) => {
    resolve(hostname, options, (error, list) => {
      if (error) return callback(error, '', 0);
      if (list.length === 0) {
        const none = Object.assign(new Error(`${hostname} resolves to no address`), {
          code: 'ENOTFOUND',
        });
        return callback(none, '', 0);
      }
      for (const entry of list) {
        const why = addressRefusal(entry.address, port, rules);
        if (why !== null) {
          return callback(
            Object.assign(new Error(`refused: ${why}`), { code: 'ERR_WEBHOOK_ADDRESS' }),
            '',
            0,
          );
        }
      }
      if ((options as { all?: boolean }).all)
        return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, list);
      const first = list[0]!;
      callback(null, first.address, first.family);
    });
  };
}

export function sendWebhook(
  url: string,
  secret: string | readonly string[],
  message: SignedMessage,
  options: { timeoutMs: number; rules: UrlRules; at?: Date; lookup?: ResolveAll },
): Promise<AttemptResult> {
  const started = performance.now();
  const target = new URL(url);
  const port = target.port === '' ? (target.protocol === 'https:' ? 443 : 80) : Number(target.port);
  const headers = {
    ...signedHeaders(secret, message, options.at ?? new Date()),
    'content-type': 'application/json',
    'user-agent': 'Licensor-Webhooks/1',
  };
  const done = (result: Omit<AttemptResult, 'durationMs'>): AttemptResult => ({
    ...result,
    durationMs: Math.round(performance.now() - started),
  });
  // Node skips the lookup hook for an IP literal, so a literal is checked here, before any socket.
  const refusal = literalRefusal(target, options.rules);
  if (refusal !== null) {
    return Promise.resolve(
      done({ ok: false, status: null, error: `refused: ${refusal}`, refused: true }),
    );
  }
  return new Promise((resolve) => {
    const client = target.protocol === 'https:' ? https : http;
    let settled = false;
    /** The answer's status once its head arrived: the outcome from then on, body or not. */
    let answered: number | null = null;
    const byStatus = (status: number) =>
      finish({
        ok: status >= 200 && status < 300,
        status,
        error: status >= 200 && status < 300 ? null : `HTTP ${status}`,
      });
    const finish = (result: Omit<AttemptResult, 'durationMs'>) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(done(result));
    };
    const request = client.request(
      target,
      {
        method: 'POST',
        headers,
        lookup: guardedLookup(port, options.rules, options.lookup ?? resolveAll),
        agent: false,
      },
      (response) => {
        let read = 0;
        response.on('data', (chunk: Buffer) => {
          read += chunk.length;
          if (read > 64 * 1024) response.destroy();
        });
        const status = response.statusCode ?? 0;
        answered = status;
        const end = () => byStatus(status);
        response.on('end', end);
        response.on('close', end);
        response.on('error', end);
      },
    );
    // The timeout settles the attempt itself (a failure, even if the answer's head came and its
    // body did not end), then drops the connection: nothing the socket does next keeps it open.
    const timer = setTimeout(() => {
      const error = `no answer within ${options.timeoutMs} ms`;
      finish({ ok: false, status: null, error });
      request.destroy(new Error(error));
    }, options.timeoutMs);
    request.on('error', (error: Error & { code?: string }) => {
      finish({ ok: false, status: null, error: error.message.slice(0, 300) });
    });
    // `101 Switching Protocols` is no answer to a POST: with no listener here Node would only
    // close the request (no 'response', no 'error'), which the 'close' below also settles.
    request.on('upgrade', (_response, socket) => {
      socket.destroy();
      finish({ ok: false, status: 101, error: 'HTTP 101: the receiver switched protocols' });
    });
    // The connection closed and no error said why (before any answer, or mid-body): settled all
    // the same. After a complete answer `finish` has run already and this does nothing.
    request.on('close', () => {
      if (answered !== null) byStatus(answered);
      else finish({ ok: false, status: null, error: 'connection closed without an answer' });
    });
    request.end(message.body);
  });
}
