// The HTTP half of Verify License: POST the check token to the verify service with a timeout and
// a size cap on the answer, turning every way the exchange can fail into a typed error. What the
// failure means for the license (usable until when) depends on its model and state: verify-online.ts
// adds it.
import type { Context } from './context.js';
import {
  InputInvalidError,
  SdkError,
  StatusInvalidError,
  VerifyHttpError,
  VerifyTimeoutError,
  VerifyUnreachableError,
  VerifyUrlMissingError,
  VerifyUrlWrongError,
} from './errors.js';

/** A status token is a few hundred bytes; anything far larger is not one. */
const MAX_ANSWER_BYTES = 64 * 1024;

/** Where the verify service answers checks (docs/contracts.md). */
export const CHECK_PATH = '/v1/checks';

/**
 * Nothing that answers checks is at the URL: a configuration mistake, not an outage. It is not
 * recorded as a failed check, so a subscription does not move into grace over a typo.
 */
function wrongUrl(url: URL, what: string): SdkError {
  return new VerifyUrlWrongError(
    `The verify URL ${url.href} is wrong: ${what}. Give the verify service's address (http://HOST:4001) or its check URL (http://HOST:4001${CHECK_PATH}). Nothing was recorded.`,
  );
}

export function checkUrl(url: string | undefined): URL {
  if (url === undefined || url === '') {
    throw new VerifyUrlMissingError(
      'No verify service URL is configured. Pass verifyUrl (CLI: --url or LICENSOR_VERIFY_URL).',
    );
  }
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new InputInvalidError(`The verify URL ${url} is not a URL.`);
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') {
    throw new InputInvalidError(`The verify URL must be http(s), not ${parsed.protocol}.`);
  }
  // The service's address alone (http://host:4001) means its check endpoint.
  if (parsed.pathname === '/' || parsed.pathname === '') parsed.pathname = CHECK_PATH;
  return parsed;
}

async function readCapped(response: Response): Promise<string> {
  const declared = Number(response.headers.get('content-length') ?? '0');
  if (declared > MAX_ANSWER_BYTES) throw tooLarge();
  if (response.body === null) return '';
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > MAX_ANSWER_BYTES) {
      await reader.cancel();
      throw tooLarge();
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function tooLarge(): SdkError {
  return new StatusInvalidError(
    'The verify service answered with a body too large to be a status.',
  );
}

function describeHttpError(status: number, body: string): SdkError {
  let code: string | undefined;
  let message = '';
  try {
    const error = (JSON.parse(body) as { error?: { code?: unknown; message?: unknown } }).error;
    if (typeof error?.code === 'string') code = error.code;
    if (typeof error?.message === 'string') message = `: ${error.message}`;
  } catch {
    // Not the service's error body; the HTTP status alone is reported.
  }
  const detail = code === undefined ? '' : ` (${code}${message})`;
  return new VerifyHttpError(
    `The verify service answered HTTP ${status}${detail}. Try again later.`,
    code,
  );
}

/** Sends the check and returns the body of a 200 answer. */
export async function postCheck(
  context: Context,
  url: URL,
  check: string,
  timeoutMs: number,
): Promise<string> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  try {
    const response = await context.fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/jose', accept: 'application/jose' },
      body: check,
      redirect: 'error',
      signal: controller.signal,
    });
    const body = await readCapped(response);
    if (response.status === 404 || response.status === 405) {
      throw wrongUrl(url, `it answers HTTP ${response.status} (no check endpoint there)`);
    }
    if (response.status !== 200) throw describeHttpError(response.status, body);
    const type = response.headers.get('content-type') ?? '';
    if (!type.toLowerCase().startsWith('application/jose')) {
      throw wrongUrl(url, `it answers ${type || 'no content type'}, not a status token`);
    }
    return body;
  } catch (error) {
    if (error instanceof SdkError) throw error;
    if (controller.signal.aborted) {
      throw new VerifyTimeoutError(
        `The verify service at ${url.origin} did not answer within ${timeoutMs} ms. Try again later.`,
      );
    }
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    throw new VerifyUnreachableError(
      `The verify service at ${url.origin} cannot be reached (${cause?.code ?? cause?.message ?? (error as Error).message}). Check the network and the URL.`,
    );
  } finally {
    clearTimeout(timer);
  }
}
