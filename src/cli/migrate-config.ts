/**
 * Imports the old monitor's config.json into the database.
 *
 *   service-monitor-migrate config.json --environment <dev|staging|production> [--region default] [--dry-run] [--json] [--own-database]
 *
 * It writes to MONGODB_URI, else to the embedded database the server runs (EMBEDDED_DB_PORT), and says which on
 * stderr; with neither it refuses, unless --own-database lets it start an embedded database of its own (DATA_DIR).
 * Progress goes to stderr: a bar on a terminal, a line every few seconds otherwise.
 *
 * Exit codes: 0 every target imported (or unchanged), 1 some targets rejected
 * (the others were imported), 2 nothing imported (bad arguments, file or database).
 * Warnings (fields the old monitor never read) do not change the exit code.
 */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { ENVIRONMENTS, type EnvironmentName } from '../common/enums.js';
import { DomainError } from '../common/errors.js';
import { openCliDatabase } from './cli-database.js';
import { progressReporter } from './progress.js';
import { CLI_SETTINGS_HELP, packageVersion } from '../bin/command-line.js';
import { createDomain } from '../modules/domain.js';
import { ENVIRONMENT_REQUIRED } from '../modules/migration/config-import.js';
import { formatSummary } from '../modules/migration/import-summary.js';
import { parseLegacyConfig } from '../modules/migration/legacy-config.js';

const USAGE = `usage: service-monitor-migrate <config.json> --environment <${ENVIRONMENTS.join('|')}> [--region default] [--dry-run] [--json] [--own-database]`;

export interface CliIo {
  env: NodeJS.ProcessEnv;
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  /** Where progress goes (a bar when it is a terminal); none: no progress. */
  progress?: NodeJS.WriteStream;
}

const processIo: CliIo = {
  env: process.env,
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  progress: process.stderr,
};

export async function migrateConfigCommand(argv: string[], io: CliIo = processIo): Promise<number> {
  const fail = (message: string) => {
    io.stderr(`service-monitor-migrate: ${message}\n`);
    return 2;
  };
  let args;
  try {
    args = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        environment: { type: 'string' },
        region: { type: 'string', default: 'default' },
        'dry-run': { type: 'boolean', default: false },
        json: { type: 'boolean', default: false },
        'own-database': { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
        version: { type: 'boolean', short: 'v', default: false },
      },
    });
  } catch (error) {
    return fail(`${(error as Error).message}\n${USAGE}`);
  }
  if (args.values.help) {
    io.stdout(`${USAGE}\n\n${CLI_SETTINGS_HELP}\n`);
    return 0;
  }
  if (args.values.version) {
    io.stdout(`service-monitor-migrate ${packageVersion()}\n`);
    return 0;
  }
  if (args.positionals.length !== 1) return fail(USAGE);

  const path = args.positionals[0]!;
  let parsed: unknown;
  try {
    parsed = parseLegacyConfig(await readFile(path, 'utf8'));
  } catch (error) {
    return fail(`cannot read ${path}: ${(error as Error).message}`);
  }
  // Refused before the database is opened (perhaps started): there is nothing to do without it.
  if (args.values.environment === undefined) return fail(`--environment ${ENVIRONMENT_REQUIRED}`);

  const opened = await openCliDatabase(io.env, { startEmbedded: args.values['own-database'], ownDatabaseFlag: '--own-database' });
  if ('problem' in opened) return fail(opened.problem);
  const { config, database } = opened;
  io.stderr(`service-monitor-migrate: ${args.values['dry-run'] ? 'reading (dry run, nothing written)' : 'writing to'} ${database.where}\n`);
  const progress = io.progress ? progressReporter(io.progress, 'service-monitor-migrate') : null;
  try {
    const summary = await createDomain(config).importer.import(parsed, {
      environment: args.values.environment as EnvironmentName,
      region: args.values.region!,
      dryRun: args.values['dry-run'],
      onProgress: progress?.listener,
    });
    progress?.stop();
    io.stdout(args.values.json ? `${JSON.stringify(summary, null, 2)}\n` : formatSummary(summary, path));
    return summary.rejected.length > 0 ? 1 : 0;
  } catch (error) {
    progress?.stop();
    if (error instanceof DomainError) return fail(error.message);
    throw error;
  } finally {
    await database.close();
  }
}
