// A webhook receiver as a vendor's CRM would run it: a real HTTP server on 127.0.0.1 that
// verifies each delivery with the `standardwebhooks` library and the endpoint's secret, drops
// repeats by webhook-id, and can be taken down and brought back on the same port.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';

export interface Received {
  id: string;
  type: string;
  data: Record<string, unknown>;
}

export class TestReceiver {
  /** Every verified delivery, repeats included. */
  readonly deliveries: Received[] = [];
  /** Deliveries whose signature did not verify. */
  readonly forged: string[] = [];
  /** Every request as it came, for checks of the headers themselves. */
  readonly raw: { headers: Record<string, string>; body: string }[] = [];
  /** Deliveries whose sender was gone before the answer (not acted on, as a receiver would). */
  readonly abandoned: string[] = [];
  secret = '';
  delayMs = 0;
  /** Answer one request at a time, each after `delayMs`. */
  serial = false;
  hang = false;
  #queue: Promise<void> = Promise.resolve();
  port = 0;
  #server: Server | undefined;

  /** Distinct events by webhook-id: what a receiver that drops repeats acts on. */
  get events(): Map<string, Received> {
    return new Map(this.deliveries.map((d) => [d.id, d]));
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}/hooks/licensor`;
  }

  async up(): Promise<void> {
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        if (this.hang) return; // never answers
        const body = Buffer.concat(chunks).toString('utf8');
        this.raw.push({ headers: req.headers as Record<string, string>, body });
        const answer = () => {
          if (req.socket.destroyed) {
            this.abandoned.push(String(req.headers['webhook-id']));
            return;
          }
          try {
            const verified = new Webhook(this.secret).verify(
              body,
              req.headers as Record<string, string>,
            ) as { type: string; data: Record<string, unknown> };
            this.deliveries.push({
              id: String(req.headers['webhook-id']),
              type: verified.type,
              data: verified.data,
            });
            res.writeHead(204).end();
          } catch {
            this.forged.push(String(req.headers['webhook-id']));
            res.writeHead(400).end();
          }
        };
        const wait = () => new Promise<void>((done) => setTimeout(done, this.delayMs));
        if (this.serial) this.#queue = this.#queue.then(wait).then(answer);
        else if (this.delayMs > 0) setTimeout(answer, this.delayMs);
        else answer();
      });
    });
    await new Promise<void>((resolve) => server.listen(this.port, '127.0.0.1', resolve));
    this.port = (server.address() as AddressInfo).port;
    this.#server = server;
  }

  async down(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    if (server === undefined) return;
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
}
