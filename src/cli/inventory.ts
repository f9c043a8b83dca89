/**
 * The inventory as code, from a shell:
 *
 *   service-monitor-inventory export [--format yaml|json] [--output FILE]
 *   service-monitor-inventory apply FILE [--dry-run] [--prune] [--json]
 *
 * `export` writes environments, hosts and services (secrets as ***); `apply` prints each change (+ create,
 * ~ update with its fields, - delete) and makes it; `--prune` deletes what the file lacks, `--dry-run` writes
 * nothing. Uses MONGODB_URI, else the embedded database a running server has open (never one of its own: there
 * would be nothing to export, and what it applied the server would not see). Exit codes: 0 done (or nothing to
 * do), 1 some changes refused (the rest made), 2 bad arguments, file or no database.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { DomainError } from '../common/errors.js';
import { CLI_SETTINGS_HELP, packageVersion } from '../bin/command-line.js';
import { createDomain } from '../modules/domain.js';
import { formatInventory, INVENTORY_FORMATS, parseInventory, type InventoryFormat } from '../modules/inventory/inventory-file.js';
import type { InventoryPlan } from '../modules/inventory/inventory.service.js';
import { openCliDatabase } from './cli-database.js';
import type { CliIo } from './migrate-config.js';

const PROGRAM = 'service-monitor-inventory';
const USAGE = [`usage: ${PROGRAM} export [--format yaml|json] [--output FILE]`, `       ${PROGRAM} apply FILE [--dry-run] [--prune] [--json]`].join('\n');

const processIo: CliIo = { env: process.env, stdout: (text) => process.stdout.write(text), stderr: (text) => process.stderr.write(text) };

export async function inventoryCommand(argv: string[], io: CliIo = processIo): Promise<number> {
  const fail = (message: string) => {
    io.stderr(`${PROGRAM}: ${message}\n`);
    return 2;
  };
  let args;
  try {
    args = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        format: { type: 'string', default: 'yaml' },
        output: { type: 'string' },
        'dry-run': { type: 'boolean', default: false },
        prune: { type: 'boolean', default: false },
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
        version: { type: 'boolean', short: 'v', default: false },
      },
    });
  } catch (error) {
    return fail(`${(error as Error).message}\n${USAGE}`);
  }
  if (args.values.help || args.values.version) {
    io.stdout(args.values.help ? `${USAGE}\n\n${CLI_SETTINGS_HELP}\n` : `${PROGRAM} ${packageVersion()}\n`);
    return 0;
  }
  const [verb, path, ...rest] = args.positionals;
  const format = args.values.format as InventoryFormat;
  if (!INVENTORY_FORMATS.includes(format)) return fail(`--format must be yaml or json, got '${format}'`);
  if (rest.length > 0 || (verb === 'export' && path !== undefined) || (verb === 'apply' && path === undefined) || (verb !== 'export' && verb !== 'apply')) return fail(USAGE);

  let text = '';
  if (verb === 'apply') {
    try {
      text = await readFile(path!, 'utf8');
    } catch (error) {
      return fail(`cannot read ${path}: ${(error as Error).message}`);
    }
  }
  const opened = await openCliDatabase(io.env, { startEmbedded: false });
  if ('problem' in opened) return fail(opened.problem);
  const { config, database } = opened;
  try {
    const inventory = createDomain(config).inventory;
    if (verb === 'export') {
      const output = formatInventory(await inventory.export(), format);
      if (args.values.output) await writeFile(args.values.output, output);
      else io.stdout(output);
      return 0;
    }
    io.stderr(`${PROGRAM}: ${args.values['dry-run'] ? 'planning against (dry run, nothing written)' : 'applying to'} ${database.where}\n`);
    const plan = await inventory.apply(parseInventory(text), { dryRun: args.values['dry-run'], prune: args.values.prune });
    io.stdout(args.values.json ? `${JSON.stringify(plan, null, 2)}\n` : formatPlan(plan));
    return plan.changes.some((change) => change.error) ? 1 : 0;
  } catch (error) {
    if (error instanceof DomainError) return fail(error.message);
    throw error;
  } finally {
    await database.close();
  }
}

const SIGN = { create: '+', update: '~', delete: '-' } as const;

export function formatPlan(plan: InventoryPlan): string {
  if (plan.changes.length === 0) return `Nothing to change: the inventory is as the file says${plan.prune ? '' : ' (without --prune, what the file lacks is kept)'}.\n`;
  const lines = plan.changes.map((c) => `${SIGN[c.action]} ${c.kind} ${c.id}${c.fields.length ? ` (${c.fields.join(', ')})` : ''}${c.error ? `  REFUSED: ${c.error}` : ''}`);
  const refused = plan.changes.filter((c) => c.error).length;
  const verb = plan.dryRun ? 'would be made (dry run, nothing written)' : 'made';
  return `${lines.join('\n')}\n${plan.changes.length - refused} change(s) ${verb}${refused ? `, ${refused} refused` : ''}.\n`;
}
