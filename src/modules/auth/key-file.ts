import { chmod, open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/**
 * Writes a secret to `path`, readable by this user only (0600): written to a new file beside it
 * (created 0600, so the secret is never in a file others may read), then renamed over `path`.
 * A symbolic link at `path` is replaced, not followed.
 */
export async function writeSecretFile(path: string, content: string): Promise<void> {
  const temporary = join(dirname(path), `.${basename(path)}.${process.pid}.${Date.now()}.tmp`);
  const file = await open(temporary, 'wx', 0o600);
  try {
    await file.writeFile(content);
    await file.sync();
  } finally {
    await file.close();
  }
  try {
    // The creation mode is narrowed by the umask only; this makes sure of it.
    await chmod(temporary, 0o600);
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
}
