/**
 * What every entry point answers on its command line before it starts anything (no database, no port):
 * --help and --version; and for the server and the worker, whose settings are environment variables only,
 * a one-line refusal of anything else instead of a server started with the argument ignored.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ConfigError, loadDotEnv, settings, settingsHelp, unknownSettings } from '../config/config.js';
import { projectRoot } from '../db/paths.js';

/** sysexits.h: the command was used incorrectly. */
export const EX_USAGE = 64;

export function packageVersion(): string {
  return (JSON.parse(readFileSync(join(projectRoot(), 'package.json'), 'utf8')) as { version: string }).version;
}

export interface ServerProgram {
  /** As it names itself in --version and in errors: `service-monitor`, `service-monitor worker`. */
  readonly name: string;
  /** What it runs, one sentence. */
  readonly runs: string;
  readonly script: string;
  readonly npmScript: string;
}

export interface Output {
  stdout(text: string): void;
  stderr(text: string): void;
}

const processOutput: Output = { stdout: (text) => process.stdout.write(text), stderr: (text) => process.stderr.write(text) };

/** The exit code when the command line was answered (--help, --version, a mistake); null: start. */
export function answerServerCommandLine(argv: string[], program: ServerProgram, output: Output = processOutput): number | null {
  let values: { help?: boolean; version?: boolean };
  try {
    ({ values } = parseArgs({ args: argv, options: { help: { type: 'boolean', short: 'h' }, version: { type: 'boolean', short: 'v' } } }));
  } catch (error) {
    output.stderr(`${program.name}: ${argumentProblem(error as Error)}\n`);
    return EX_USAGE;
  }
  if (values.help) output.stdout(serverHelp(program));
  else if (values.version) output.stdout(`${program.name} ${packageVersion()}\n`);
  else return null;
  return 0;
}

function serverHelp(program: ServerProgram): string {
  return [
    `${program.name} ${packageVersion()}: ${program.runs}`,
    '',
    `usage: node ${program.script} [--help | --version]    (or: ${program.npmScript})`,
    '',
    'Settings are environment variables, also read from .env in the working directory (a variable the',
    'environment already has wins). A name that looks like a mistyped setting is warned about at start.',
    'Each setting with its default; what they mean: README.md, "Configuration".',
    '',
    settingsHelp(),
    '',
  ].join('\n');
}

/** One line for a command line parseArgs refused, pointing at the environment variable an option was probably meant to be. */
function argumentProblem(error: Error): string {
  const code = (error as { code?: string }).code;
  const quoted = /'([^']+)'/.exec(error.message)?.[1] ?? '';
  if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
    const asSetting = quoted.replace(/^-+/, '').split('=')[0]!.replaceAll('-', '_').toUpperCase();
    const isSetting = Object.values(settings).some((s) => s.env === asSetting);
    return `unknown option '${quoted}' (${isSetting ? `settings are environment variables: set ${asSetting}` : 'it takes --help and --version; settings are environment variables'})`;
  }
  if (code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL') return `unexpected argument '${quoted}' (it takes --help and --version; settings are environment variables)`;
  const sentence = error.message.split('. ')[0]!;
  return sentence.charAt(0).toLowerCase() + sentence.slice(1);
}

/** For the command-line tools' --help: where their settings come from. */
export const CLI_SETTINGS_HELP = [
  'Settings as the server reads them: environment variables, also from .env in the working directory. The',
  'database is MONGODB_URI, else the embedded one a running server has open on EMBEDDED_DB_PORT (or started',
  'here, in DATA_DIR). `node dist/src/main.js --help` lists every setting; README.md, "Configuration" explains them.',
].join('\n');

/**
 * What a command-line tool does before its command runs: reads .env and warns, on stderr, of variables that
 * look like mistyped settings (a MONGODB_URL would otherwise have it open the embedded database instead).
 * Not for --help or --version, which must work whatever the folder holds. False: .env could not be read (said).
 */
export function prepareCliEnvironment(program: string, argv: string[], output: Output = processOutput): boolean {
  if (argv.some((arg) => ['--help', '-h', '--version', '-v'].includes(arg))) return true;
  try {
    loadDotEnv();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    output.stderr(`${program}: ${error.problems.join('; ')}\n`);
    return false;
  }
  for (const unknown of unknownSettings(process.env)) output.stderr(`${program}: warning: ${unknown.message}\n`);
  return true;
}

/**
 * Runs a CLI command and exits with its code once its output is out: process.exit() right after a write drops
 * whatever a pipe has not taken yet (a --json summary was cut at 128 KiB). Exiting, rather than waiting for the
 * event loop to empty, keeps a database handle left open from holding the command after its work is done.
 */
export function runCli(program: string, command: (argv: string[]) => Promise<number>): void {
  // A reader that stops early (`| head`) closes the pipe: the rest has nowhere to go, which is no failure of the
  // command; without this, its result would end in a stack trace.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
  });
  const argv = process.argv.slice(2);
  if (!prepareCliEnvironment(program, argv)) return exitAfterOutput(2);
  command(argv).then(exitAfterOutput, (error: unknown) => {
    process.stderr.write(`${program}: unexpected failure: ${error instanceof Error ? error.message : String(error)}\n`);
    exitAfterOutput(2);
  });
}

function exitAfterOutput(code: number): void {
  process.exitCode = code;
  let pending = 2;
  const flushed = () => {
    if (--pending === 0) process.exit(code);
  };
  process.stdout.write('', flushed);
  process.stderr.write('', flushed);
}
