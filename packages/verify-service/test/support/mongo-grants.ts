// What a MongoDB user may do, against what the code does: the roles deploy/mongo-init.js creates
// (run in a sandbox that stands in for mongosh), and the privilege actions of every command a
// MongoClient of the test sends (the driver's command monitoring, commandStarted).
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { runInNewContext } from 'node:vm';

export const repoRoot = join(import.meta.dirname, '..', '..', '..', '..');
export const initScriptPath = join(repoRoot, 'deploy', 'mongo-init.js');

/** `collection action`, e.g. `licenses find`: one privilege on the store's database. */
export type Grant = string;

interface Privilege {
  resource: { db: string; collection: string };
  actions: string[];
}

export interface InitScriptRun {
  /** Roles by name, as createRole or updateRole was given them. */
  roles: Map<string, { privileges: Privilege[]; roles: unknown[]; how: 'create' | 'update' }>;
  /** Users created, with their roles and the database they were created in. */
  users: { user: string; db: string; roles: unknown[]; pwd: unknown }[];
}

/**
 * Runs deploy/mongo-init.js against a stand-in for mongosh (a primary, an empty database or one
 * where the roles and users exist already) and answers what it created or updated.
 */
export function runInitScript(existing: 'empty' | 'roles and users exist'): InitScriptRun {
  const run: InitScriptRun = { roles: new Map(), users: [] };
  const held = existing === 'roles and users exist';
  const database = (name: string): Record<string, unknown> => ({
    getSiblingDB: database,
    hello: () => ({ isWritablePrimary: true }),
    getRole: (role: string) => (held ? { role, db: name } : null),
    getUser: (user: string) => (held ? { user, db: name } : null),
    createRole: (definition: { role: string; privileges: Privilege[]; roles: unknown[] }) => {
      run.roles.set(definition.role, { ...definition, how: 'create' });
    },
    updateRole: (role: string, update: { privileges: Privilege[]; roles: unknown[] }) => {
      run.roles.set(role, { ...update, how: 'update' });
    },
    createUser: (user: { user: string; pwd: unknown; roles: unknown[] }) => {
      run.users.push({ ...user, db: name });
    },
  });
  runInNewContext(readFileSync(initScriptPath, 'utf8'), {
    db: database('test'),
    rs: {
      status: () => {
        if (!held) throw new Error('no replset config has been received');
        return { ok: 1 };
      },
      initiate: () => ({ ok: 1 }),
    },
    sleep: () => undefined,
    print: () => undefined,
    process: {
      env: { LICENSOR_VERIFY_DB_PASSWORD: 'verify-pw', LICENSOR_ISSUER_DB_PASSWORD: 'issuer-pw' },
    },
  });
  return run;
}

/** The grants of a role made by the script, each `collection action`; any other database throws. */
export function grantsOf(run: InitScriptRun, role: string, db = 'licensor'): Set<Grant> {
  const defined = run.roles.get(role);
  if (defined === undefined) throw new Error(`deploy/mongo-init.js defines no role ${role}`);
  const grants = new Set<Grant>();
  for (const { resource, actions } of defined.privileges) {
    if (resource.db !== db || typeof resource.collection !== 'string' || !resource.collection) {
      throw new Error(
        `role ${role}: a privilege on ${JSON.stringify(resource)}, not a collection of ${db}`,
      );
    }
    for (const action of actions) grants.add(`${resource.collection} ${action}`);
  }
  return grants;
}

/**
 * The privilege actions MongoDB's built-in `readWrite` grants on every collection of its
 * database (MongoDB 7.0 manual, "Built-In Roles"), the ones a command here can need.
 */
export const READ_WRITE_ACTIONS = new Set([
  'changeStream',
  'collStats',
  'convertToCapped',
  'createCollection',
  'createIndex',
  'dbHash',
  'dbStats',
  'dropCollection',
  'dropIndex',
  'find',
  'insert',
  'killCursors',
  'listCollections',
  'listIndexes',
  'listSearchIndexes',
  'planCacheRead',
  'remove',
  'renameCollectionSameDB',
  'update',
]);

/** Commands that need no privilege on a collection (handshake, ping, sessions, own cursors). */
const FREE = new Set([
  'ping',
  'hello',
  'isMaster',
  'ismaster',
  'buildInfo',
  'buildinfo',
  'endSessions',
  'killCursors',
  'getLastError',
  'saslStart',
  'saslContinue',
]);

interface Command {
  commandName: string;
  databaseName: string;
  command: Record<string, unknown>;
}

/** The (collection, action) privileges one command needs; `[]` for a privilege-free command. */
export function privilegesOfCommand(event: Command): { collection: string; action: string }[] {
  const { commandName: name, command } = event;
  const target = command[name];
  const collection = typeof target === 'string' ? target : '';
  const on = (...actions: string[]) => actions.map((action) => ({ collection, action }));
  if (FREE.has(name)) return [];
  switch (name) {
    case 'find':
    case 'count':
    case 'distinct':
      return on('find');
    case 'getMore':
      return [{ collection: String(command.collection), action: 'find' }];
    case 'aggregate': {
      const stages = (command.pipeline as Record<string, unknown>[] | undefined) ?? [];
      const needs = on('find');
      for (const stage of stages) {
        const [operator] = Object.keys(stage);
        if (operator === '$lookup' || operator === '$graphLookup' || operator === '$unionWith') {
          const spec = stage[operator!] as { from?: string; coll?: string } | string;
          const from = typeof spec === 'string' ? spec : (spec.from ?? spec.coll);
          needs.push({ collection: String(from), action: 'find' });
        } else if (operator === '$out' || operator === '$merge') {
          throw new Error(`aggregate ${operator} on ${collection}: map its privileges first`);
        }
      }
      return needs;
    }
    case 'insert':
      return on('insert');
    case 'update': {
      const upsert = ((command.updates as { upsert?: boolean }[] | undefined) ?? []).some(
        (update) => update.upsert === true,
      );
      return upsert ? on('update', 'insert') : on('update');
    }
    case 'delete':
      return on('remove');
    case 'findAndModify': {
      if (command.remove === true) return on('find', 'remove');
      return command.upsert === true ? on('find', 'update', 'insert') : on('find', 'update');
    }
    case 'createIndexes':
      return on('createIndex');
    case 'dropIndexes':
      return on('dropIndex');
    case 'listIndexes':
      return on('listIndexes');
    case 'create':
      return on('createCollection');
    case 'drop':
      return on('dropCollection');
    case 'listCollections':
      // A database privilege: a role grants it on { db, collection: '' }.
      return [{ collection: '', action: 'listCollections' }];
    default:
      throw new Error(
        `a ${name} command (${JSON.stringify(command).slice(0, 200)}): map its privileges first`,
      );
  }
}

export interface CommandLog {
  /** Every `collection action` the commands needed, with the commands that needed it. */
  readonly used: Map<Grant, Set<string>>;
  /** Commands sent to any database but the store's: each needs a privilege there. */
  readonly elsewhere: string[];
  /** Commands this module does not map to privileges (the test fails on any). */
  readonly unmapped: string[];
  stop(): void;
}

interface MonitoredClient {
  options: { appName?: string };
  monitorCommands: boolean;
  on(event: 'commandStarted', listener: (event: Command) => void): void;
}

/**
 * Records the privileges of every command sent by a MongoClient whose connection string says
 * `appName=<appName>`, from its first command on (the driver's commandStarted events, turned on
 * for that client as it connects). The store's own mongoose (the issuer package's) is the one
 * patched: that is the driver the verify service's store speaks through.
 */
export function recordCommands(appName: string, database: string): CommandLog {
  const requireFromIssuer = createRequire(join(repoRoot, 'packages', 'issuer', 'package.json'));
  const mongoose = requireFromIssuer('mongoose') as {
    mongo: { MongoClient: { prototype: { connect(...args: unknown[]): Promise<unknown> } } };
  };
  const prototype = mongoose.mongo.MongoClient.prototype;
  const connect = prototype.connect;
  const log: CommandLog = {
    used: new Map(),
    elsewhere: [],
    unmapped: [],
    stop: () => {
      prototype.connect = connect;
    },
  };
  prototype.connect = function (this: MonitoredClient, ...args: unknown[]) {
    if (this.options.appName === appName) {
      this.monitorCommands = true;
      this.on('commandStarted', (event) => {
        let needs: { collection: string; action: string }[];
        try {
          needs = privilegesOfCommand(event);
        } catch (error) {
          log.unmapped.push((error as Error).message);
          return;
        }
        if (needs.length > 0 && event.databaseName !== database) {
          log.elsewhere.push(`${event.commandName} on ${event.databaseName}`);
          return;
        }
        for (const { collection, action } of needs) {
          const grant = `${collection} ${action}`;
          const commands = log.used.get(grant) ?? new Set<string>();
          commands.add(event.commandName);
          log.used.set(grant, commands);
        }
      });
    }
    return connect.apply(this, args);
  };
  return log;
}

/** The grants listed in docs/deploying.md's table between `<!-- grants:ROLE -->` and `<!-- /grants -->`. */
export function documentedGrants(role: string): Set<Grant> {
  const text = readFileSync(join(repoRoot, 'docs', 'deploying.md'), 'utf8');
  const start = text.indexOf(`<!-- grants:${role} -->`);
  const end = text.indexOf('<!-- /grants -->', start);
  if (start < 0 || end < 0) throw new Error(`docs/deploying.md has no grants table of ${role}`);
  const grants = new Set<Grant>();
  for (const line of text.slice(start, end).split('\n')) {
    const cells = line.split('|').map((cell) => cell.trim());
    // | `collection` | `action`, `action` | why |
    const collection = /^`([a-z_]+)`$/.exec(cells[1] ?? '')?.[1];
    if (collection === undefined) continue;
    for (const action of (cells[2] ?? '').matchAll(/`([A-Za-z]+)`/g)) {
      grants.add(`${collection} ${action[1]}`);
    }
  }
  return grants;
}

export const sorted = (grants: Iterable<Grant>) => [...grants].sort();
