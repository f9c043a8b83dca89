import type { ImportSummary } from './config-import.js';

/** The human-readable report the CLI prints. */
export function formatSummary(summary: ImportSummary, source: string): string {
  const lines = [
    `${summary.dryRun ? 'Dry run (nothing written): ' : ''}${source}: ${summary.targets} target(s)`,
    `  hosts:    ${counts(summary.hosts)}`,
    `  services: ${counts(summary.services)}`,
    `  rejected: ${new Set(summary.rejected.map((r) => r.index)).size} target(s)`,
    ...summary.rejected.map((r) => `    targets[${r.index}]${r.name ? ` (${r.name})` : ''} ${r.field}: ${r.message}`),
  ];
  return `${lines.join('\n')}\n`;
}

function counts(c: { created: number; updated: number; unchanged: number }): string {
  return `${c.created} created, ${c.updated} updated, ${c.unchanged} unchanged`;
}
