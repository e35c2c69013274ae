// The heart of the portal: decode a pasted challenge (with the warnings the vendor must see
// before issuing) and issue the license key that answers it.
import { armourBundle, normaliseToken } from '@licensor/token';
import { z } from 'zod';
import type { ApiDeps } from '../deps.js';
import { definedOnly } from '../deps.js';
import { defineRoute } from '../route.js';
import { InspectionSchema, IssueAnswerSchema } from '../schemas/answers.js';
import { TermsSchema } from '../schemas/records.js';

/** A pasted challenge: whitespace, line wraps and a BEGIN/END armour are all accepted. */
const ChallengeText = z
  .string()
  .min(1, 'Paste the challenge first.')
  .max(64 * 1024, 'A challenge is a few hundred characters; this is far too long.')
  .describe('The challenge as pasted: compact, wrapped, or in its BEGIN/END armour.');

export const inspectChallenge = defineRoute({
  method: 'post',
  path: '/challenges/inspect',
  operationId: 'inspectChallenge',
  summary:
    'Verify and decode a challenge: installation, license in force, what is asked, warnings, ' +
    'terms to prefill. Creates the approval request the challenge needs, if any.',
  tag: 'issue',
  access: 'issuer',
  errors: [413, 422],
  body: z.object({ challenge: ChallengeText }),
  response: InspectionSchema,
  handle({ body, deps, session }) {
    return deps.issuer.inspect(normaliseToken(body.challenge, 'challenge'), session!.userName);
  },
});

/**
 * The key as the vendor hands it over. `keysets` (IssueResult.keysets: the signed versions its
 * installation lacks, for an issue, an approval, a renewal or a re-issue) are carried by the
 * armoured text before the key, as `licensor-issuer issue --armour` prints it (the offline
 * bundle `licensor apply` and the CMS take whole). Without them the armour is the key alone.
 */
export function issueAnswer(token: string, transactionId: string, keysets?: readonly string[]) {
  return {
    licenseKey: token,
    armoured: armourBundle(token, keysets),
    transactionId,
    ...(keysets === undefined ? {} : { keysets: [...keysets] }),
  };
}

export const issueLicense = defineRoute({
  method: 'post',
  path: '/challenges/issue',
  operationId: 'issueLicense',
  summary:
    'Sign the license key that answers a challenge. Issuing twice for the same challenge and ' +
    'terms answers the same transaction (replayed: true).',
  tag: 'issue',
  access: 'issuer',
  errors: [409, 413, 422, 503],
  body: z.object({
    challenge: ChallengeText,
    terms: TermsSchema,
    supersede: z
      .boolean()
      .optional()
      .describe(
        'The installation holds another license (409 ERR_INSTALLATION_LICENSED): issue anyway and revoke that one as superseded.',
      ),
  }),
  response: IssueAnswerSchema,
  status: 201,
  async handle({ body, deps, session }) {
    const result = await issue(
      deps,
      body.challenge,
      body.terms,
      session!.userName,
      body.supersede === true,
    );
    return result;
  },
});

async function issue(
  deps: ApiDeps,
  challenge: string,
  terms: z.output<typeof TermsSchema>,
  operator: string,
  supersede = false,
) {
  const result = await deps.issuer.issue(
    normaliseToken(challenge, 'challenge'),
    definedOnly(terms),
    operator,
    supersede ? { supersede } : {},
  );
  return {
    ...issueAnswer(result.token, result.transaction.id, result.keysets),
    license: result.license,
    replayed: result.replayed,
  };
}
