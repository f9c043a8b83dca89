import { randomUUID } from 'node:crypto';
import { ConflictError } from '../../common/errors.js';
import { activeKeyQuery, ApiKeyModel, isActiveKey, type ApiKey } from './api-key.model.js';

/** How long a change may hold its claim on a key before another may take the key over (its process is taken to have died). */
export const CLAIM_MS = 30_000;
const CLAIM_TRIES = 40;
const CLAIM_WAIT_MS = 25;
/** How long a change whose every other admin key is claimed waits for those changes to end (WAIT_ROUNDS × WAIT_MS). */
const WAIT_ROUNDS = 40;
const WAIT_MS = 25;

export const lastAdminMessage = (keyId: string) =>
  `API key '${keyId}' is the last active admin key; create another admin key first (or, with database access, \`npm run keys -- create --role admin --name <name>\`)`;

/**
 * Applies `set` (a revocation or a demotion) to an active admin key unless no other active admin key
 * would be left; then it is refused with CONFLICT. Returns the changed key, or null when the key is not
 * an active admin key (any more): the caller decides again.
 *
 * The servers we run on have no transactions, so this is a claim, a count and a guarded write:
 * 1. claim: mark this key `pending_change` (a token, until now + CLAIM_MS), only if no other change holds it;
 * 2. look at the other active admin keys (claims past their time are cleared first). One that no change
 *    holds: write the change, only while our token is still there. None at all: refuse.
 * 3. All of them held by changes under way (two admins revoking each other at once): the change with the
 *    highest token waits for the others to end, and they give way (refused), so that one of two such
 *    changes goes through rather than neither; a wait past WAIT_ROUNDS is refused too.
 * Two such changes at once (A takes key X, B takes key Y, the last two) cannot both succeed: each claims
 * before it looks, and holds its claim until it has written or given up, so whichever looks second sees
 * the other's key claimed (or already changed) and does not count it. A claim cleared as stale makes its
 * owner's write find no token, so that one is refused instead. Nothing is visible to anyone else until the
 * write: the key keeps working, and a refused change leaves no trace.
 */
export async function changeActiveAdminKey(keyId: string, set: Partial<Pick<ApiKey, 'revoked_at' | 'role' | 'name'>>): Promise<ApiKey | null> {
  const token = randomUUID();
  if (!(await claim(keyId, token))) return null;
  try {
    for (let round = 0; ; round++) {
      const now = new Date();
      await ApiKeyModel.updateMany({ key_id: { $ne: keyId }, 'pending_change.until': { $lte: now } }, { $unset: { pending_change: 1 } });
      const others = await ApiKeyModel.find({ $and: [{ key_id: { $ne: keyId }, role: 'admin' }, activeKeyQuery(now)] }, { key_id: 1, pending_change: 1 }).lean<ApiKey[]>();
      if (others.length === 0) throw new ConflictError(lastAdminMessage(keyId));
      if (others.some((other) => !other.pending_change)) break;
      if (round >= WAIT_ROUNDS || others.some((other) => other.pending_change!.token > token)) {
        throw new ConflictError(`every other active admin key is being revoked or demoted at this moment, so API key '${keyId}' may be the last one; try again`);
      }
      await new Promise((resolve) => setTimeout(resolve, WAIT_MS));
    }
    const changed = await ApiKeyModel.findOneAndUpdate(
      { key_id: keyId, 'pending_change.token': token },
      { $set: set, $unset: { pending_change: 1 } },
      { returnDocument: 'after' },
    ).lean<ApiKey>();
    if (!changed) throw new ConflictError(`the change to API key '${keyId}' took too long and was given up; try again`);
    return changed;
  } catch (error) {
    await ApiKeyModel.updateOne({ key_id: keyId, 'pending_change.token': token }, { $unset: { pending_change: 1 } }).catch(() => {});
    throw error;
  }
}

/** True once this key is claimed with `token`; false when it is not an active admin key. Waits (briefly) for another change to finish. */
async function claim(keyId: string, token: string): Promise<boolean> {
  for (let attempt = 0; attempt < CLAIM_TRIES; attempt++) {
    const now = new Date();
    const claimed = await ApiKeyModel.findOneAndUpdate(
      { $and: [{ key_id: keyId, role: 'admin' }, activeKeyQuery(now), { $or: [{ pending_change: null }, { 'pending_change.until': { $lte: now } }] }] },
      { $set: { pending_change: { token, until: new Date(+now + CLAIM_MS) } } },
      { returnDocument: 'after' },
    ).lean<ApiKey>();
    if (claimed) return true;
    const key = await ApiKeyModel.findOne({ key_id: keyId }).lean<ApiKey>();
    if (!key || key.role !== 'admin' || !isActiveKey(key, now)) return false;
    await new Promise((resolve) => setTimeout(resolve, CLAIM_WAIT_MS));
  }
  throw new ConflictError(`another change to API key '${keyId}' is under way; try again`);
}
