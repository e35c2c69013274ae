// The `licensor` command line as a spec of the CLI kit: one command per button of the CMS
// license page, their options and the help text, all from here.

import type { CliSpec, Options } from '@licensor/cli-kit';
import { MAX_COUNT } from '@licensor/token';
import { SDK_VERSION } from '../version.js';

const inUse: Options = {
  'in-use': { type: 'string', value: 'N', help: 'credentials managed now (default 0)' },
};
const armour: Options = {
  armour: { type: 'boolean', help: 'print the BEGIN/END armoured form (for e-mail and files)' },
};

export const LICENSOR_CLI: CliSpec = {
  name: 'licensor',
  version: SDK_VERSION,
  summary: 'the CMS license page on the command line: challenge, apply, show, verify.',
  common: {
    state: {
      type: 'string',
      value: 'DIR',
      help: "this installation's state directory (default ./.licensor)",
    },
    trust: {
      type: 'string',
      value: 'FILE',
      help: "the vendor's public JWKS (default $LICENSOR_TRUST); saved in the state directory the first time, then not needed",
    },
    'replace-trust': {
      type: 'boolean',
      help: 'let --trust replace saved vendor keys with different ones (after the vendor published new keys); without it that is ERR_TRUST_CHANGED',
    },
    json: { type: 'boolean', help: 'machine-readable output' },
    operator: { type: 'string', value: 'NAME', help: 'who acts (default: the OS user)' },
    role: {
      type: 'string',
      value: 'ROLE',
      multiple: true,
      help: "the operator's role, repeatable. Default: system-administrator, so the OS user who runs the CLI (the CMS's own administrator) may apply keys; use --role to act with less. Real access control is the embedding CMS's authorisation hook.",
    },
    product: {
      type: 'string',
      value: 'NAME@VERSION',
      help: 'the product this installation runs (default $LICENSOR_PRODUCT)',
    },
  },
  commands: [
    {
      name: 'challenge',
      summary: 'print a challenge for the vendor (stdout: the challenge only)',
      options: {
        credentials: {
          type: 'string',
          value: 'N',
          help: `credentials to ask for, 1 to ${MAX_COUNT}`,
        },
        model: { type: 'string', value: 'perpetual|subscription', help: 'the model to ask for' },
        customer: { type: 'string', value: 'NAME', help: 'the customer name to ask for' },
        feature: {
          type: 'string',
          value: 'NAME',
          multiple: true,
          help: 'a feature to ask for (an add-on of the plan), repeatable',
        },
        'ask-limit': {
          type: 'string',
          value: 'NAME=N',
          multiple: true,
          help: 'a named limit to ask for, e.g. sites=5, repeatable',
        },
        'limit-in-use': {
          type: 'string',
          value: 'NAME=N',
          multiple: true,
          help: 'how much of a named limit is used now, e.g. sites=2 (the vendor sees it), repeatable',
        },
        ...inUse,
        ...armour,
      },
    },
    {
      name: 'apply',
      args: ['KEY|@FILE|-'],
      summary: 'apply a license key (as text, from a file, or from stdin)',
      details:
        'Line breaks, indentation and the armoured BEGIN/END form are all fine. The key must answer a challenge this installation made.',
    },
    {
      name: 'trust',
      args: ['KEYSET|@FILE|-'],
      summary:
        "apply the vendor's signed key set(s) as pasted (offline delivery of new vendor keys)",
      details:
        'Paste the LICENSOR KEY SET block(s) the vendor sent (licensor-issuer keys export --keyset), oldest first; line breaks and text around the blocks are fine. Each version must be signed by a key this installation trusts and be newer than the one it holds; all or nothing. `show` prints the version trusted.',
    },
    {
      name: 'show',
      summary:
        'print the license (View License), its state and its entitlements (plan, products, features, limits)',
    },
    {
      name: 'capacity',
      summary:
        'may one more credential (or one more of a named limit) be used? exit 0 yes, 1 no (error: CODE: why)',
      options: {
        ...inUse,
        limit: {
          type: 'string',
          value: 'NAME',
          help: 'a named limit of the license (e.g. sites) instead of the credential count; --in-use is then its use',
        },
      },
    },
    {
      name: 'verify',
      summary: 'run the online check',
      details:
        'The URL is the verify service: its address (http://host:4001) or the full check URL (http://host:4001/v1/checks).',
      options: {
        url: {
          type: 'string',
          value: 'URL',
          help: 'the verify service (default $LICENSOR_VERIFY_URL)',
        },
        timeout: { type: 'string', value: 'MS', help: 'give up after MS milliseconds' },
        ...inUse,
      },
    },
    {
      name: 'activate',
      args: ['perpetual|subscription'],
      summary: 'print a challenge that asks to switch the license model',
      options: { ...inUse, ...armour },
    },
    {
      name: 'requests',
      summary: 'list pending requests (challenges), then those closed without a key',
      details:
        'A request the vendor declined is closed with the next licensor verify, with the reason the vendor gave; a key for a closed request is refused.',
      options: {
        closed: {
          type: 'boolean',
          help: 'only the closed ones: declined by the vendor or cancelled here (with --json, their list)',
        },
      },
    },
    {
      name: 'requests cancel',
      args: ['REQUEST_ID'],
      summary: 'withdraw a pending request here (a key the vendor sends for it is then refused)',
      details:
        'The vendor is not told: tell them, or let their request expire. Needs the System Administrator role.',
      options: {
        reason: {
          type: 'string',
          value: 'TEXT',
          help: 'why, kept with the request and in the audit trail',
        },
      },
    },
    {
      name: 'audit',
      summary: 'list the audit trail',
      options: {
        limit: { type: 'string', value: 'N', help: 'the newest N entries' },
        verify: {
          type: 'boolean',
          help: "check the audit trail's chain; exit 1 naming the first entry that was deleted, edited, moved or added by hand",
        },
      },
    },
  ],
  footer: 'exit codes: 0 done, 1 refused (error: CODE: message), 2 usage error',
};
