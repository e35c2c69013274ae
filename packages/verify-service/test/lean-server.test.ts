// The running server: node:http with the lean check route in front of express, on 127.0.0.1.
// Real sockets, so the body cap, keep-alive and graceful shutdown are exercised for real.
import { request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import { describe, expect, it } from 'vitest';
import { startVerifyServer } from '../src/server.js';
import { checkToken, installationA, testService } from './support/fixtures.js';
import { errorOf, postCheck, statusOf } from './support/http.js';

async function post(url: string, body: string, headers: Record<string, string> = {}) {
  const res = await fetch(`${url}/v1/checks`, {
    method: 'POST',
    headers: { 'content-type': 'application/jose', ...headers },
    body,
  });
  const seen: Record<string, string> = {};
  res.headers.forEach((value, name) => {
    seen[name] = value;
  });
  return { status: res.status, headers: seen, text: await res.text() };
}

describe('lean server', () => {
  it('answers checks on the lean route and everything else through express', async () => {
    const { service } = testService();
    const running = await startVerifyServer(service, { port: 0 });
    try {
      const answer = await post(running.url, checkToken());
      expect(statusOf(answer)).toMatchObject({ outcome: 'VALID', sub: installationA.kid });
      expect(answer.headers['x-content-type-options']).toBe('nosniff');
      expect((await fetch(`${running.url}/healthz`)).status).toBe(200);
      expect((await fetch(`${running.url}/v1/checks`)).status).toBe(405);
    } finally {
      await running.stop();
    }
  });

  it('bounds slow clients with header, request and keep-alive timeouts', async () => {
    const { service } = testService();
    const running = await startVerifyServer(service, { port: 0 });
    try {
      expect(running.server.headersTimeout).toBe(5_000);
      expect(running.server.requestTimeout).toBe(10_000);
      expect(running.server.keepAliveTimeout).toBe(5_000);
    } finally {
      await running.stop();
    }
  });

  it('cuts off a client sending its body a byte at a time at the request deadline, not 30 s later', async () => {
    // Node looks for requests past their deadline every connectionsCheckingInterval (30 s by
    // default): the deadline holds to within the interval the server sets (1 s).
    const { service } = testService();
    const running = await startVerifyServer(service, {
      port: 0,
      requestTimeoutMs: 1_500,
      headersTimeoutMs: 1_000,
    });
    try {
      const socket = connect(running.port, '127.0.0.1');
      socket.on('error', () => undefined);
      let answer = '';
      socket.on('data', (chunk) => {
        answer += chunk.toString('latin1');
      });
      socket.write(
        'POST /v1/checks HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/jose\r\n' +
          'Content-Length: 100\r\n\r\n',
      );
      const drip = setInterval(() => socket.write('A'), 200);
      const started = Date.now();
      const outcome = await Promise.race([
        new Promise<string>((resolve) => socket.on('close', () => resolve('closed'))),
        new Promise<string>((resolve) => setTimeout(() => resolve('still open'), 6_000)),
      ]);
      clearInterval(drip);
      socket.destroy();
      expect(outcome).toBe('closed');
      expect(Date.now() - started).toBeLessThan(4_000);
      expect(answer).toMatch(/^HTTP\/1\.1 408/);
    } finally {
      await running.stop();
    }
  }, 15_000);

  it('is the same handler supertest drives through the listener', async () => {
    const { service } = testService();
    const answer = await postCheck(service.listener, checkToken());
    expect(statusOf(answer).outcome).toBe('VALID');
    const refused = await postCheck(service.listener, 'x');
    expect(errorOf(refused).code).toBe('ERR_JWS_MALFORMED');
  });

  it('cuts off a chunked body that passes the cap and closes the connection', async () => {
    const { service } = testService({ maxBodyBytes: 1024 });
    const running = await startVerifyServer(service, { port: 0 });
    try {
      const answer = await new Promise<{
        status: number;
        connection: string | undefined;
        text: string;
      }>((resolve, reject) => {
        const req = httpRequest(
          `${running.url}/v1/checks`,
          {
            method: 'POST',
            headers: { 'content-type': 'application/jose', 'transfer-encoding': 'chunked' },
          },
          (res) => {
            let text = '';
            res.setEncoding('utf8');
            res.on('data', (chunk: string) => {
              text += chunk;
            });
            res.on('end', () =>
              resolve({ status: res.statusCode ?? 0, connection: res.headers.connection, text }),
            );
          },
        );
        req.on('error', reject);
        for (let i = 0; i < 4; i++) req.write('A'.repeat(512));
        req.end();
      });
      expect(answer.status).toBe(413);
      expect(answer.connection).toBe('close');
      expect(JSON.parse(answer.text).error.code).toBe('ERR_BODY_TOO_LARGE');
    } finally {
      await running.stop();
    }
  });

  it('refuses a declared length over the cap without reading the body', async () => {
    const { service } = testService({ maxBodyBytes: 1024 });
    const running = await startVerifyServer(service, { port: 0 });
    try {
      const answer = await post(running.url, 'A'.repeat(5000));
      expect(answer.status).toBe(413);
      expect(errorOf(answer).code).toBe('ERR_BODY_TOO_LARGE');
    } finally {
      await running.stop();
    }
  });

  it('writes every buffered check record when it stops', async () => {
    const { service, store } = testService({
      recordFlushIntervalMs: 3_600_000,
      recordBatchSize: 1_000,
    });
    const running = await startVerifyServer(service, { port: 0 });
    for (let i = 0; i < 5; i++) expect((await post(running.url, checkToken())).status).toBe(200);
    expect(store.records).toHaveLength(0);
    expect(await running.stop()).toBe(0);
    expect(store.records).toHaveLength(5);
  });

  it('finishes a check in flight when it is told to stop', async () => {
    const { service, store } = testService();
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    let entered: () => void = () => undefined;
    const reading = new Promise<void>((resolve) => {
      entered = resolve;
    });
    const getCheckView = store.getCheckView.bind(store);
    store.getCheckView = async (id) => {
      entered();
      await gate;
      return getCheckView(id);
    };
    const running = await startVerifyServer(service, { port: 0 });
    const inFlight = post(running.url, checkToken());
    await reading;
    const stopped = running.stop();
    release();
    const answer = await inFlight;
    expect(answer.status).toBe(200);
    expect(answer.headers.connection).toBe('close');
    expect(await stopped).toBe(0);
    expect(store.records).toHaveLength(1);
  });
});
