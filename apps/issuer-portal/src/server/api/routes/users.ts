// Vendor users, for admins: add, change role, disable or enable, set a password. A change
// to a user ends that user's sessions, so a new role or a disabled account takes effect at once.
import type { VendorUser } from '@licensor/issuer';
import { z } from 'zod';
import { codeToStatus } from '../../http/code-to-status.js';
import { PortalError } from '../../http/portal-errors.js';
import { defineRoute } from '../route.js';
import { listOf } from '../schemas/answers.js';
import { NewPasswordSchema as Password, RoleSchema, UserSchema } from '../schemas/records.js';

const UserName = z
  .string()
  .trim()
  .regex(/^[A-Za-z0-9._@-]{1,64}$/, 'Use 1-64 letters, digits or . _ @ -');

export const listUsers = defineRoute({
  method: 'get',
  path: '/users',
  operationId: 'listUsers',
  summary: 'Vendor users.',
  tag: 'users',
  access: 'admin',
  sessionOnly: true,
  response: listOf(UserSchema),
  async handle({ deps }) {
    return { items: await deps.issuer.users.list() };
  },
});

export const addUser = defineRoute({
  method: 'post',
  path: '/users',
  operationId: 'addUser',
  summary: 'Add a vendor user.',
  tag: 'users',
  access: 'admin',
  sessionOnly: true,
  errors: [409],
  body: z.object({ name: UserName, role: RoleSchema, password: Password }),
  response: UserSchema,
  status: 201,
  handle({ body, deps, session }) {
    // A password an admin chose for someone else: they replace it at their first login.
    return deps.issuer.users.add(body.name, body.role, body.password, session!.userName, {
      oneTime: true,
    });
  },
});

export const updateUser = defineRoute({
  method: 'patch',
  path: '/users/:name',
  operationId: 'updateUser',
  summary: 'Change a user’s role, disable or enable them, or set a new password.',
  tag: 'users',
  access: 'admin',
  sessionOnly: true,
  errors: [404, 409],
  params: z.object({ name: UserName }),
  body: z
    .object({
      role: RoleSchema.optional(),
      disabled: z.boolean().optional(),
      password: Password.optional(),
    })
    .refine((b) => b.role !== undefined || b.disabled !== undefined || b.password !== undefined, {
      message: 'Send role, disabled or password.',
    }),
  response: UserSchema,
  async handle({ params, body, deps, session }) {
    const operator = session!.userName;
    const users = deps.issuer.users;
    // Everything is read and checked before the first write, so that a refusal changes nothing:
    // the user (names match without regard to case, so `ALICE` is alice), the rule on oneself,
    // and the password in the issuer's own units.
    const target = await users.get(params.name);
    const self = target.id === session!.userId;
    if (self && (body.disabled === true || (body.role && body.role !== 'admin'))) {
      throw new PortalError(
        'ERR_REQUEST_INVALID',
        'You cannot disable yourself or drop your own admin role; ask another admin.',
      );
    }
    if (body.password !== undefined) users.checkNewPassword(body.password);
    let user = target;
    // The user's sessions end once anything may have been written, so that a new role or a
    // disabled account takes effect at once, also when a later step failed. A step refused
    // with a typed 4xx (the last admin, say) wrote nothing.
    let wrote = false;
    let failure: { error: unknown } | null = null;
    const step = async (write: () => Promise<VendorUser>) => {
      try {
        user = await write();
        wrote = true;
      } catch (error) {
        const code = (error as { code?: unknown })?.code;
        if (typeof code !== 'string' || codeToStatus(code) >= 500) wrote = true;
        throw error;
      }
    };
    try {
      if (body.role !== undefined)
        await step(() => users.setRole(target.name, body.role!, operator));
      if (body.disabled === true) await step(() => users.disable(target.name, operator));
      if (body.disabled === false) await step(() => users.enable(target.name, operator));
      if (body.password !== undefined) {
        // Set for another user: one-time (they choose their own at the next login).
        await step(() =>
          users.setPassword(target.name, body.password!, operator, { oneTime: !self }),
        );
      }
    } catch (error) {
      failure = { error };
    }
    if (wrote) {
      try {
        await deps.sessionStore.deleteForUser(target.id);
      } catch (error) {
        // The step's own failure is the answer; this one is the answer when there is none.
        if (failure === null) throw error;
      }
    }
    if (failure !== null) throw failure.error;
    return user;
  },
});
