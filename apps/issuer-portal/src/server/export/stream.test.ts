import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { connect } from 'node:net';
import express from 'express';
import { describe, expect, it } from 'vitest';
import { streamExport } from './stream.js';

describe('a streamed export', () => {
  it('stops reading pages and settles when the client goes away mid-download', async () => {
    let pagesRead = 0;
    let closedPages = false;
    let settled: Promise<unknown> = Promise.resolve();
    async function* endless(): AsyncGenerator<{ id: number }[]> {
      try {
        for (;;) {
          pagesRead += 1;
          yield Array.from({ length: 500 }, (_, id) => ({ id }));
        }
      } finally {
        closedPages = true;
      }
    }
    const app = express();
    app.get('/export', (_req, res) => {
      settled = streamExport(res, {
        format: 'jsonl',
        filename: 'rows',
        columns: { id: (row: { id: number }) => row.id },
        json: (row) => row,
        pages: endless(),
      });
    });
    const server = app.listen(0, '127.0.0.1');
    await once(server, 'listening');
    try {
      const socket = connect((server.address() as AddressInfo).port, '127.0.0.1');
      socket.write('GET /export HTTP/1.1\r\nHost: x\r\n\r\n');
      // Read a little, then stop reading and hang up: the server's writes back up, then fail.
      await once(socket, 'data');
      socket.pause();
      await new Promise((resolve) => setTimeout(resolve, 100));
      socket.destroy();
      await Promise.race([
        settled.catch(() => undefined),
        new Promise((_, reject) =>
          setTimeout(() => reject(new Error('the export still waits for the client')), 5_000),
        ),
      ]);
      expect(closedPages).toBe(true);
      const readThen = pagesRead;
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(pagesRead).toBe(readThen);
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });

  it('answers a store that fails on the first page with the error, before any byte of the file', async () => {
    const app = express();
    app.get('/export', async (_req, res) => {
      try {
        await streamExport(res, {
          format: 'csv',
          filename: 'rows',
          columns: { id: (row: { id: number }) => row.id },
          json: (row) => row,
          pages: {
            [Symbol.asyncIterator]: () => ({
              next: () => Promise.reject(new Error('the store is unavailable')),
            }),
          },
        });
      } catch (error) {
        res.status(503).json({ error: { message: (error as Error).message } });
      }
    });
    const server = app.listen(0, '127.0.0.1');
    await once(server, 'listening');
    try {
      const answer = await fetch(
        `http://127.0.0.1:${(server.address() as AddressInfo).port}/export`,
      );
      expect(answer.status).toBe(503);
      expect(answer.headers.get('content-disposition')).toBeNull();
      expect(await answer.json()).toEqual({ error: { message: 'the store is unavailable' } });
    } finally {
      server.close();
    }
  });
});
