// Listens with a plain node:http server around the service's lean listener, with timeouts that
// bound slow clients, and stops gracefully: stop accepting, let in-flight checks finish (up to a
// deadline), then write every buffered check record.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { VerifyService } from './service.js';

/** Node checks the header and request deadlines this often: each holds to within it. */
export const CONNECTIONS_CHECKING_INTERVAL_MS = 1_000;

export interface ListenOptions {
  port?: number;
  host?: string;
  /** Whole-request deadline (headers and body). */
  requestTimeoutMs?: number;
  headersTimeoutMs?: number;
  keepAliveTimeoutMs?: number;
}

export interface RunningVerifyServer {
  readonly server: Server;
  readonly port: number;
  readonly url: string;
  /** Graceful stop; resolves with the number of check records that could not be written. */
  stop(graceMs?: number): Promise<number>;
}

export function startVerifyServer(
  service: VerifyService,
  options: ListenOptions = {},
): Promise<RunningVerifyServer> {
  const server = createServer(
    {
      requestTimeout: options.requestTimeoutMs ?? 10_000,
      headersTimeout: options.headersTimeoutMs ?? 5_000,
      keepAliveTimeout: options.keepAliveTimeoutMs ?? 5_000,
      // How often node looks for requests past those two deadlines (its default, 30 s, let a
      // slow client hold a connection up to 40 s against a 10 s deadline).
      connectionsCheckingInterval: CONNECTIONS_CHECKING_INTERVAL_MS,
    },
    service.listener,
  );
  const host = options.host ?? '127.0.0.1';
  let stopping: Promise<number> | null = null;

  const stop = (graceMs = 10_000): Promise<number> => {
    stopping ??= (async () => {
      const deadline = Date.now() + graceMs;
      service.beginShutdown();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      const timer = setTimeout(() => server.closeAllConnections(), Math.max(0, graceMs / 2));
      await closed;
      clearTimeout(timer);
      return service.drain(Math.max(deadline, Date.now() + 1_000));
    })();
    return stopping;
  };

  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 4001, host, () => {
      server.off('error', reject);
      const { port } = server.address() as AddressInfo;
      const shownHost = host.includes(':') ? `[${host}]` : host;
      resolve({ server, port, url: `http://${shownHost}:${port}`, stop });
    });
  });
}
