// supertest helpers: POST a check and read the answer as text, whatever its content type.
import type { RequestListener } from 'node:http';
import { type StatusClaims, verifyStatus } from '@licensor/token';
import type { Express } from 'express';
import request from 'supertest';
import { keyring } from './fixtures.js';

export interface Answer {
  status: number;
  headers: Record<string, string>;
  text: string;
}

function asText(res: unknown, done: (err: Error | null, body: string) => void): void {
  const stream = res as NodeJS.ReadableStream;
  let text = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    text += chunk;
  });
  stream.on('end', () => done(null, text));
}

export async function postCheck(
  target: Express | RequestListener,
  token: string,
  headers: Record<string, string> = {},
): Promise<Answer> {
  const res = await request(target)
    .post('/v1/checks')
    .set({ 'content-type': 'application/jose', ...headers })
    .buffer(true)
    .parse(asText as never)
    .send(token);
  return {
    status: res.status,
    headers: res.headers as Record<string, string>,
    text: res.body as string,
  };
}

/** Verifies a 200 answer with the status keyring and returns its claims. */
export function statusOf(answer: Answer): StatusClaims {
  if (answer.status !== 200) throw new Error(`expected 200, got ${answer.status}: ${answer.text}`);
  return verifyStatus(answer.text, keyring).claims;
}

export function errorOf(answer: Answer): { code: string; message: string; requestId: string } {
  const body = JSON.parse(answer.text) as {
    error: { code: string; message: string; requestId: string };
  };
  return body.error;
}
