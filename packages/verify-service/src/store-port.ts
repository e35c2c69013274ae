// What the service needs from the shared store (contract §3), and nothing more: check views and
// the public key sets to read, check records (answered and refused, with the key set versions
// and revisions reported) to write, the check chains, forks and nonces, readiness and log health. The object
// `@licensor/issuer/checks`'s openCheckStore returns has exactly the check role at run time
// (those plus its own status keys); tests use an in-memory one. The service never imports the
// issuing code, the full store, or anything that opens a license-purpose private key.
import type { CheckStore as IssuerCheckStore } from '@licensor/issuer/checks';

export type { CheckRecord, CheckView, KeysetRecord } from '@licensor/issuer/checks';

export type CheckStore = Pick<
  IssuerCheckStore,
  'chains' | 'getCheckView' | 'recordChecks' | 'ping' | 'close'
> &
  // The vendor's signed key sets (public), relayed with statuses; a store without them relays none.
  // Products with keys of their own have their own sets (#12.1), relayed to their checks.
  Partial<Pick<IssuerCheckStore, 'listKeysets' | 'listProductKeysets'>> &
  /** Refused checks for check.failed webhooks; a store without it records none. */
  Partial<Pick<IssuerCheckStore, 'recordCheckFailures'>> &
  /** The key set version each installation reported; a store without it records none. */
  Partial<Pick<IssuerCheckStore, 'recordKeysetReports'>> &
  /** The license revision each installation reported holding; a store without it records none. */
  Partial<Pick<IssuerCheckStore, 'recordRevisionReports'>> &
  /** The store's log health (/metrics, the warn log); a store without it shows none. */
  Partial<Pick<IssuerCheckStore, 'logHealth'>>;
