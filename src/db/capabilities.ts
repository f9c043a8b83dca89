import type { Db } from 'mongodb';

export type ServerFamily = 'mongodb' | 'ferretdb' | 'mongo-java-server';

/** What the connected server can do, found once at start-up by asking it, so code paths pick a correct fallback. */
export interface DatabaseCapabilities {
  readonly family: ServerFamily;
  readonly version: string;
  /** Expired documents under a TTL index are deleted by the server. Otherwise a retention sweep deletes them. */
  readonly ttlMonitor: boolean;
  readonly changeStreams: boolean;
  readonly transactions: boolean;
}

export async function detectCapabilities(db: Db): Promise<DatabaseCapabilities> {
  const [buildInfo, hello] = await Promise.all([db.admin().command({ buildInfo: 1 }), db.admin().command({ hello: 1 })]);
  const family = serverFamily(buildInfo);
  const replicated = typeof hello.setName === 'string' || hello.msg === 'isdbgrid';
  return {
    family,
    version: String(buildInfo.version),
    // Only MongoDB itself runs a TTL monitor: mongo-java-server accepts TTL indexes but never expires documents.
    ttlMonitor: family === 'mongodb',
    changeStreams: await opensChangeStream(db),
    transactions: family === 'mongodb' && replicated,
  };
}

function serverFamily(buildInfo: Record<string, unknown>): ServerFamily {
  if ('ferretdbVersion' in buildInfo || 'ferretdbFeatures' in buildInfo) return 'ferretdb';
  // Every mongod and mongos reports the commit it was built from; mongo-java-server does not.
  return typeof buildInfo.gitVersion === 'string' ? 'mongodb' : 'mongo-java-server';
}

async function opensChangeStream(db: Db): Promise<boolean> {
  const probe = db.collection('capability_probe');
  try {
    const reply = await db.command({ aggregate: probe.collectionName, pipeline: [{ $changeStream: {} }], cursor: {} });
    const cursorId = (reply.cursor as { id?: unknown } | undefined)?.id;
    if (cursorId) await db.command({ killCursors: probe.collectionName, cursors: [cursorId] }).catch(() => {});
    return true;
  } catch {
    return false;
  }
}
