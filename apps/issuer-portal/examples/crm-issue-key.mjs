#!/usr/bin/env node
// What a CRM does when a customer sends a challenge: issue the license key that answers it,
// with an API token alone (no browser, no session, no CSRF token), and print the key.
//
//   LICENSOR_PORTAL_URL=http://127.0.0.1:4000 LICENSOR_API_TOKEN=lpt_… \
//     node examples/crm-issue-key.mjs challenge.txt "Acme Bank" 100
//
// The token needs the issuer role. Exit code 0 and the armoured key on stdout, or 1 and the
// API's error body on stderr.
import { readFileSync } from 'node:fs';

const [challengeFile, customerName, credentials] = process.argv.slice(2);
const portal = process.env.LICENSOR_PORTAL_URL;
const token = process.env.LICENSOR_API_TOKEN;
if (!challengeFile || !customerName || !credentials || !portal || !token) {
  process.stderr.write(
    'usage: LICENSOR_PORTAL_URL=… LICENSOR_API_TOKEN=… crm-issue-key.mjs <challenge file> <customer> <credentials>\n',
  );
  process.exit(2);
}

const response = await fetch(new URL('/api/v1/challenges/issue', portal), {
  method: 'POST',
  headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
  body: JSON.stringify({
    challenge: readFileSync(challengeFile, 'utf8'),
    terms: { customerName, model: 'perpetual', credentials: Number(credentials) },
  }),
});
const body = await response.json();
if (!response.ok) {
  process.stderr.write(`${response.status} ${JSON.stringify(body)}\n`);
  process.exit(1);
}
process.stdout.write(body.armoured);
