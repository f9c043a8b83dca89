import type { ImportSummary, TargetReport } from './config-import.js';

/** The human-readable report the CLI prints. */
export function formatSummary(summary: ImportSummary, source: string): string {
  const lines = [
    `${summary.dryRun ? 'Dry run (nothing written): ' : ''}${source}: ${summary.targets} target(s)`,
    `  hosts:    ${counts(summary.hosts)}`,
    `  services: ${counts(summary.services)}`,
    `  rejected: ${summary.rejected.length} target(s)`,
    ...summary.rejected.map(targetLine),
    ...(summary.warnings.length > 0 ? [`  warnings: ${summary.warnings.length} target(s)`, ...summary.warnings.map(targetLine)] : []),
  ];
  return `${lines.join('\n')}\n`;
}

/** One line a target, so `grep 'targets\[3\]'` finds all that was said about it. */
function targetLine(report: TargetReport): string {
  const problems = report.problems.map((p) => `${p.field}: ${p.message}`).join('; ');
  return `    targets[${report.index}]${report.name ? ` (${report.name})` : ''} ${problems}`;
}

function counts(c: { created: number; updated: number; unchanged: number }): string {
  return `${c.created} created, ${c.updated} updated, ${c.unchanged} unchanged`;
}
