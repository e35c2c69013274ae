// Vendor users of the portal and their roles (admin, issuer, viewer). Passwords are stored only
// as scrypt hashes; every change is in the audit log; the last enabled admin cannot be removed.

import { newId } from '@licensor/token';
import {
  InputInvalidError,
  LastAdminError,
  PasswordWeakError,
  UserExistsError,
  UserNotFoundError,
} from '../errors.js';
import { hashPassword, verifyPassword } from '../passwords.js';
import type { Operator, Role, VendorUser } from '../records.js';
import { checkOperator, type IssuerContext } from './context.js';

export const ROLES: readonly Role[] = ['admin', 'issuer', 'viewer'];
export const MIN_PASSWORD_LENGTH = 12;
/** Verified when the user does not exist, so a wrong name costs as long as a wrong password. */
let dummyHash: Promise<string> | undefined;

function checkName(name: string): string {
  if (typeof name !== 'string' || !/^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/.test(name)) {
    throw new InputInvalidError(
      'name',
      'must be 1 to 64 letters, digits or . _ @ - (starting with a letter or digit)',
    );
  }
  return name;
}

function checkRole(role: string): Role {
  if (!ROLES.includes(role as Role))
    throw new InputInvalidError('role', `must be one of ${ROLES.join(', ')}`);
  return role as Role;
}

function checkPassword(password: string): string {
  if (typeof password !== 'string' || [...password].length < MIN_PASSWORD_LENGTH) {
    throw new PasswordWeakError(MIN_PASSWORD_LENGTH);
  }
  if (password.length > 1024)
    throw new InputInvalidError('password', 'must be at most 1024 characters');
  return password;
}

function strip(user: VendorUser & { passwordHash?: string }): VendorUser {
  const { passwordHash: _hash, ...rest } = user;
  return rest;
}

export function createUsers(context: IssuerContext) {
  const store = context.store;

  async function audit(
    actor: Operator,
    action: string,
    user: VendorUser,
    details: Record<string, unknown> = {},
  ) {
    await store.appendAuditEvent({
      id: newId('evt'),
      at: context.now(),
      actor: checkOperator(actor),
      action,
      subjectId: user.id,
      transactionId: null,
      details: { name: user.name, ...details },
    });
  }

  async function find(name: string) {
    const user = await store.getUserByName(checkName(name));
    if (user === null) throw new UserNotFoundError(name);
    return user;
  }

  async function assertAnotherAdmin(user: VendorUser) {
    if (user.role !== 'admin' || user.disabled) return;
    const admins = (await store.listUsers()).filter(
      (u) => u.role === 'admin' && !u.disabled && u.id !== user.id,
    );
    if (admins.length === 0) throw new LastAdminError(user.name);
  }

  return {
    /**
     * A new user. `oneTime`: the password was made for them (generated, or chosen by an admin),
     * so they must replace it at their first login (the portal sends them to do so).
     */
    async add(
      name: string,
      role: Role,
      password: string,
      operator: Operator = 'unknown',
      options: { oneTime?: boolean } = {},
    ): Promise<VendorUser> {
      checkName(name);
      checkRole(role);
      const hash = await hashPassword(checkPassword(password));
      if ((await store.getUserByName(name)) !== null) throw new UserExistsError(name);
      const at = context.now();
      const user: VendorUser = {
        id: newId('usr'),
        name,
        role,
        disabled: false,
        createdAt: at,
        updatedAt: at,
        ...(options.oneTime ? { passwordOneTime: true as const } : {}),
      };
      try {
        await store.insertUser(user, hash);
      } catch (error) {
        if ((await store.getUserByName(name)) !== null) throw new UserExistsError(name);
        throw error;
      }
      await audit(operator, 'user.add', user, {
        role,
        ...(options.oneTime ? { oneTimePassword: true } : {}),
      });
      return user;
    },

    async list(): Promise<VendorUser[]> {
      return store.listUsers();
    },

    /** One user by name (names match without regard to case); ERR_USER_NOT_FOUND if none. */
    async get(name: string): Promise<VendorUser> {
      return strip(await find(name));
    },

    /**
     * Refuses a password setPassword would refuse, without writing anything: for a change of
     * several fields that must be refused whole before its first write.
     */
    checkNewPassword(password: string): void {
      checkPassword(password);
    },

    async authenticate(name: string, password: string): Promise<VendorUser | null> {
      if (typeof name !== 'string' || typeof password !== 'string' || password.length > 1024)
        return null;
      const user = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/.test(name)
        ? await store.getUserByName(name)
        : null;
      if (user === null) {
        dummyHash ??= hashPassword('licensor-no-such-user');
        await verifyPassword(password, await dummyHash);
        return null;
      }
      const ok = await verifyPassword(password, user.passwordHash);
      return ok && !user.disabled ? strip(user) : null;
    },

    async setRole(name: string, role: Role, operator: Operator): Promise<VendorUser> {
      checkRole(role);
      const user = await find(name);
      if (user.role === role) return strip(user);
      if (role !== 'admin') await assertAnotherAdmin(user);
      const updatedAt = context.now();
      await store.updateUser(user.id, { role, updatedAt });
      const changed = { ...strip(user), role, updatedAt };
      await audit(operator, 'user.role', changed, { from: user.role, to: role });
      return changed;
    },

    async disable(name: string, operator: Operator): Promise<VendorUser> {
      const user = await find(name);
      if (user.disabled) return strip(user);
      await assertAnotherAdmin(user);
      const updatedAt = context.now();
      await store.updateUser(user.id, { disabled: true, updatedAt });
      const changed = { ...strip(user), disabled: true, updatedAt };
      await audit(operator, 'user.disable', changed);
      return changed;
    },

    async enable(name: string, operator: Operator): Promise<VendorUser> {
      const user = await find(name);
      if (!user.disabled) return strip(user);
      const updatedAt = context.now();
      await store.updateUser(user.id, { disabled: false, updatedAt });
      const changed = { ...strip(user), disabled: false, updatedAt };
      await audit(operator, 'user.enable', changed);
      return changed;
    },

    /**
     * A new password. `oneTime`: set for the user by someone else (an admin, a generated one),
     * so they must replace it at their next login; without it (the user's own change) the
     * one-time mark is cleared.
     */
    async setPassword(
      name: string,
      password: string,
      operator: Operator,
      options: { oneTime?: boolean } = {},
    ): Promise<VendorUser> {
      const user = await find(name);
      const passwordHash = await hashPassword(checkPassword(password));
      const updatedAt = context.now();
      const oneTime = options.oneTime === true;
      await store.updateUser(user.id, { passwordHash, passwordOneTime: oneTime, updatedAt });
      const { passwordOneTime: _was, ...rest } = strip(user);
      const changed: VendorUser = {
        ...rest,
        updatedAt,
        ...(oneTime ? { passwordOneTime: true as const } : {}),
      };
      await audit(operator, 'user.password', changed, oneTime ? { oneTimePassword: true } : {});
      return changed;
    },
  };
}
