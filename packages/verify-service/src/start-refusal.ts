// What `licensor-verify serve` tells the operator when it cannot start: a code and one message
// that names what was wrong (the address, the data folder) and what to do. The CLI prints it as
// `error: CODE: message` (or JSON with --json) and exits 1; never a stack trace.
import { isLicensorError } from '@licensor/token';
import { ListenFailedError } from './errors.js';

/** `host:port` as a URL writes it (an IPv6 address in brackets). */
export function hostPort(host: string, port: number): string {
  return `${host.includes(':') ? `[${host}]` : host}:${port}`;
}

/** The listen error, as a refusal naming the address and what to do about it. */
export function listenFailure(error: unknown, host: string, port: number): ListenFailedError {
  const errno = (error as NodeJS.ErrnoException | null)?.code;
  const code = typeof errno === 'string' ? errno : 'unknown error';
  const where = hostPort(host, port);
  const hostFix =
    'give one of its addresses with --host (or LICENSOR_VERIFY_HOST): 127.0.0.1 (the default) for this machine only, 0.0.0.0 for every interface';
  let message: string;
  switch (code) {
    case 'EADDRINUSE':
      message = `Cannot listen on ${where}: the port is taken (EADDRINUSE); stop what holds it, or pick another --port (or LICENSOR_VERIFY_PORT).`;
      break;
    case 'EACCES':
      message = `Cannot listen on ${where}: permission denied (EACCES); a port below 1024 needs privileges: pick another --port (or LICENSOR_VERIFY_PORT), 1024 or above.`;
      break;
    case 'EADDRNOTAVAIL':
      message = `Cannot listen on ${where}: ${host} is not an address of this machine (EADDRNOTAVAIL); ${hostFix}.`;
      break;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
    case 'EAI_FAIL':
    case 'EAI_NONAME':
      message = `Cannot listen on ${where}: the host name ${host} does not resolve (${code}); ${hostFix}.`;
      break;
    case 'EAFNOSUPPORT':
      message = `Cannot listen on ${where}: this machine does not support that address family (EAFNOSUPPORT); ${hostFix}.`;
      break;
    default:
      message = `Cannot listen on ${where} (${code}: ${(error as Error | null)?.message ?? String(error)}); check --host and --port (or LICENSOR_VERIFY_HOST and LICENSOR_VERIFY_PORT).`;
  }
  return new ListenFailedError(host, port, message, { cause: error });
}

/** Where the service looked for its store: the data folder (absolute), or MongoDB. */
export interface StoreLocation {
  dataDir: string;
  mongo: boolean;
}

/** The store errors whose cause is a file the service's user may not write. */
const NOT_WRITABLE = new Set(['SQLITE_READONLY', 'SQLITE_PERM', 'EACCES', 'EROFS']);

function causeCodes(error: unknown): string[] {
  const codes: string[] = [];
  let current: unknown = error;
  for (let depth = 0; depth < 5 && typeof current === 'object' && current !== null; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') codes.push(code);
    current = (current as { cause?: unknown }).cause;
  }
  return codes;
}

/**
 * The refusal for an error met while starting (opening the store, loading the status keys,
 * listening), or null for an error that is not a refusal (a bug: the CLI reports it as
 * ERR_INTERNAL).
 */
export function startRefusal(
  error: unknown,
  location: StoreLocation,
): { code: string; message: string } | null {
  const codes = causeCodes(error);
  const code = codes[0];
  if (code === 'ERR_STORE_NOT_FOUND') {
    // The store's own message may say `licensor-issuer`'s flags: this says the service's.
    const message = location.mongo
      ? `${(error as Error).message}: check --mongodb-uri (or MONGODB_URI) names the issuer's database; the verify service never makes a store (\`licensor-issuer init\` does).`
      : `No Licensor store in ${location.dataDir}: check --data (or LICENSOR_DATA) names the issuer's data folder (\`pnpm start\` uses ./.licensor-data), or set MONGODB_URI for a MongoDB store; the verify service never makes a store (\`licensor-issuer init\` does).`;
    return { code, message };
  }
  if (!isLicensorError(error)) return null;
  if (
    error.code === 'ERR_STORE_UNAVAILABLE' &&
    !location.mongo &&
    codes.slice(1).some((cause) => NOT_WRITABLE.has(cause))
  ) {
    // The service writes to the store at every check (nonces, check records, chains).
    return {
      code: error.code,
      message: `${error.message}. The service writes to the store (nonces, check records): give the user it runs as write access to ${location.dataDir} and the files in it.`,
    };
  }
  return { code: error.code, message: error.message };
}
