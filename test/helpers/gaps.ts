import type { TestContext } from 'vitest';

/**
 * Makes a missing server feature visible: the note shows in the test output
 * (and in the reporter as an annotation), so a run on a lesser server never
 * reads as if the feature had been proven.
 */
export async function reportGap(ctx: TestContext, server: string, message: string): Promise<void> {
  const line = `[compat] ${server}: ${message}`;
  process.stderr.write(`${line}\n`);
  await ctx.annotate(line, 'notice');
}
