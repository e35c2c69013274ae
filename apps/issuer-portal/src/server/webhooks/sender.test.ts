// One attempt against receivers that answer oddly, on raw sockets: every attempt settles,
// within its timeout, whatever the receiver does.
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { type AttemptResult, sendWebhook } from './sender.js';
import type { UrlRules } from './url-rules.js';

const rules: UrlRules = {
  selfHosts: [],
  selfPorts: [4000],
  denyPrivate: false,
  hostAddresses: () => [],
};
const message = { id: 'msg_1', body: '{"a":1}' };
const secret = `whsec_${Buffer.alloc(24, 1).toString('base64')}`;
const closers: (() => void)[] = [];

afterEach(() => {
  for (const close of closers.splice(0)) close();
});

/** A TCP server that answers the request's first bytes with `reply`. */
async function rawReceiver(reply: (socket: net.Socket) => void): Promise<string> {
  const sockets: net.Socket[] = [];
  const server = net.createServer((socket) => {
    sockets.push(socket);
    socket.on('error', () => undefined);
    socket.once('data', () => reply(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  closers.push(() => {
    for (const socket of sockets) socket.destroy();
    server.close();
  });
  return `http://127.0.0.1:${(server.address() as net.AddressInfo).port}/hook`;
}

/** The attempt's result, or 'pending' if it has not settled `ms` after the timeout. */
async function settled(attempt: Promise<AttemptResult>, ms: number) {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'pending'>((resolve) => {
    timer = setTimeout(() => resolve('pending'), ms);
  });
  try {
    return await Promise.race([attempt, late]);
  } finally {
    clearTimeout(timer);
  }
}

describe('sendWebhook', () => {
  it('fails an attempt answered with 101 Switching Protocols, at once, with a clear error', async () => {
    const url = await rawReceiver((socket) =>
      socket.write(
        'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n',
      ),
    );
    const result = await settled(
      sendWebhook(url, secret, message, { timeoutMs: 1_000, rules }),
      3_000,
    );
    expect(result).not.toBe('pending');
    expect(result).toMatchObject({ ok: false, status: 101 });
    expect((result as AttemptResult).error).toMatch(/101/);
    expect((result as AttemptResult).durationMs).toBeLessThan(1_000);
  });

  it('fails an attempt whose connection closes before any answer', async () => {
    const url = await rawReceiver((socket) => socket.end());
    const result = await settled(
      sendWebhook(url, secret, message, { timeoutMs: 1_000, rules }),
      3_000,
    );
    expect(result).toMatchObject({ ok: false, status: null });
    expect((result as AttemptResult).error).toMatch(/closed|hang up/);
  });

  // Receivers that keep the connection busy without ever finishing an answer: each attempt
  // settles at its timeout, as a failure.
  it.each([
    [
      'sends 102 Processing forever',
      (socket: net.Socket) =>
        setInterval(() => socket.write('HTTP/1.1 102 Processing\r\n\r\n'), 100),
    ],
    [
      'answers 2xx with a body that never ends',
      (socket: net.Socket) => {
        socket.write('HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n');
        return setInterval(() => socket.write('x'), 50);
      },
    ],
  ])('settles at the timeout, as a failure, a receiver that %s', async (_, trickle) => {
    let timer: NodeJS.Timeout | undefined;
    const url = await rawReceiver((socket) => {
      timer = trickle(socket);
      socket.on('close', () => clearInterval(timer));
    });
    closers.push(() => clearInterval(timer));
    const result = await settled(
      sendWebhook(url, secret, message, { timeoutMs: 500, rules }),
      3_000,
    );
    expect(result).toMatchObject({ ok: false, status: null, error: 'no answer within 500 ms' });
  });

  it('reads a complete answer as before: 204, and a 200 with a body past 64 KiB', async () => {
    const url = await rawReceiver((socket) =>
      socket.end('HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n'),
    );
    expect(await sendWebhook(url, secret, message, { timeoutMs: 1_000, rules })).toMatchObject({
      ok: true,
      status: 204,
    });
    const big = await rawReceiver((socket) =>
      socket.end(`HTTP/1.1 200 OK\r\nContent-Length: 200000\r\n\r\n${'x'.repeat(200_000)}`),
    );
    expect(await sendWebhook(big, secret, message, { timeoutMs: 1_000, rules })).toMatchObject({
      ok: true,
      status: 200,
    });
  });
});
