// `licensor-issuer forks …`: the forks the verify service recorded (two copies of one
// installation, or an older backup, checking in), closing one, and a license's fork policy.

import { type CommandSpec, oneOf, text as optionText, required } from '@licensor/cli-kit';
import type { ForkAction, ForkRecord } from '../store/chain-port.js';
import type { CommandOutput, CommandRun } from './commands.js';
import { table } from './format.js';

export const FORK_COMMANDS: CommandSpec[] = [
  {
    name: 'forks list',
    summary: 'possible copies: checks of one installation that left one chain',
    options: {
      license: { type: 'string', value: 'ID', help: 'only this license' },
      status: { type: 'string', value: 'open|closed', help: 'only this status' },
    },
  },
  {
    name: 'forks close',
    args: ['FORK_ID'],
    summary: 'close a fork (the copy is gone); a new key for a challenge closes it too',
    options: { reason: { type: 'string', value: 'TEXT', help: 'why (kept in the audit log)' } },
  },
  {
    name: 'forks policy',
    args: ['LICENSE_ID', 'warn|suspend|suspend-both|default'],
    summary:
      "what a fork of this license does: warn only, SUSPENDED to the copy's checks, or to both sides while the fork is open; default: its plan's",
  },
  {
    name: 'forks plan-policy',
    args: ['PLAN', 'warn|suspend|suspend-both|default'],
    summary: 'the same for every license of a plan (id or name) that sets none of its own',
  },
];

function when(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function side(evidence: ForkRecord['copy'] | null): string {
  if (evidence === null) return '-';
  return `${when(evidence.at)} ${evidence.address ?? 'address unknown'}, ${evidence.credentialsInUse} in use`;
}

export function formatForks(forks: ForkRecord[]): string {
  if (forks.length === 0) return 'No forks: every installation checks in along one chain.\n';
  return table([
    ['FORK', 'LICENSE', 'STATUS', 'ACTION', 'CHECKS', 'ORIGINAL (last check)', 'COPY (last check)'],
    ...forks.map((fork) => [
      fork.id,
      fork.licenseId,
      fork.status,
      fork.action,
      String(fork.divergentChecks),
      side(fork.original),
      side(fork.copy),
    ]),
  ]);
}

type Handler = (run: CommandRun, first: string, second: string) => Promise<CommandOutput>;

export const FORK_HANDLERS: Record<string, Handler> = {
  async 'forks list'(run) {
    const license = optionText(run.args.values, 'license');
    const status = oneOf(optionText(run.args.values, 'status'), '--status', [
      'open',
      'closed',
    ] as const);
    const forks = await run.issuer.forks.list({
      ...(license === undefined ? {} : { licenseId: license }),
      ...(status === undefined ? {} : { status }),
    });
    return { value: forks, text: formatForks(forks) };
  },
  async 'forks close'(run, id) {
    const reason = optionText(run.args.values, 'reason') ?? 'closed by the vendor';
    const fork = await run.issuer.forks.close(id, run.operator, reason);
    return { value: fork, text: `fork ${fork.id} is closed\n` };
  },
  async 'forks policy'(run, licenseId, choice) {
    const policy = policyOf(choice);
    await run.issuer.forks.setPolicy(licenseId, policy, run.operator);
    return {
      value: { licenseId, forkPolicy: policy },
      text: `a fork of ${licenseId}: ${said(policy, "its plan's policy, else the verify service's default (warn)")}\n`,
    };
  },
  async 'forks plan-policy'(run, plan, choice) {
    const policy = policyOf(choice);
    await run.issuer.forks.setPlanPolicy(plan, policy, run.operator);
    return {
      value: { plan, forkPolicy: policy },
      text: `a fork of a license of plan ${plan} without its own policy: ${said(policy, "the verify service's default (warn)")}\n`,
    };
  },
};

function policyOf(choice: string): ForkAction | null {
  const action = required(
    oneOf(choice, 'the policy', ['warn', 'suspend', 'suspend-both', 'default'] as const),
    'the policy',
  );
  return action === 'default' ? null : action;
}

function said(policy: ForkAction | null, byDefault: string): string {
  if (policy === null) return byDefault;
  if (policy === 'suspend') return "SUSPENDED to the copy's checks";
  if (policy === 'suspend-both') return 'SUSPENDED to both sides while the fork is open';
  return 'warn only';
}
