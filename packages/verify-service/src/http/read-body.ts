// Reads a request body into memory with a hard cap, without a body-parser: a declared length
// over the cap is refused before a byte is read, and a chunked body is cut off as soon as it
// passes the cap. The caller answers 413 with `Connection: close`, so the rest is never read.
import type { IncomingMessage } from 'node:http';
import { BodyIncompleteError, BodyTooLargeError, type VerifyServiceError } from '../errors.js';

export function tooLarge(limit: number): VerifyServiceError {
  return new BodyTooLargeError(
    `The request body is over ${limit} bytes; send one compact check token.`,
  );
}

export function readBody(req: IncomingMessage, limit: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const declared = req.headers['content-length'];
    if (declared !== undefined && Number(declared) > limit) {
      reject(tooLarge(limit));
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        cleanup();
        req.pause();
        reject(tooLarge(limit));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      cleanup();
      resolve((chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)).toString('latin1'));
    };
    const onClose = () => {
      cleanup();
      reject(new BodyIncompleteError('The request body ended early; send it again.'));
    };
    const cleanup = () => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onClose);
      req.off('close', onClose);
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onClose);
    req.on('close', onClose);
  });
}
