import { GraphQLError } from 'graphql';
import type { AuthChecker } from 'type-graphql';
import { roleAllows, type Role } from '../modules/auth/roles.js';
import type { GraphQLContext } from './context.js';

/**
 * `@Authorized('operator')` on a resolver requires that role or a higher one;
 * every request already carries a valid key (see the context), so this only
 * ever refuses with FORBIDDEN.
 */
export const authChecker: AuthChecker<GraphQLContext, Role> = ({ context }, roles) => {
  const required = roles[0] ?? 'viewer';
  if (roleAllows(context.caller.role, required)) return true;
  throw new GraphQLError(`This needs the ${required} role; the key used has ${context.caller.role}.`, {
    extensions: { code: 'FORBIDDEN', http: { status: 403 } },
  });
};
