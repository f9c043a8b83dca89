/**
 * The server's entry point. The command line is answered (--help, --version) and .env read before the
 * server's modules load: those take a second to import, and nothing of them is needed to say how to start.
 */
import { answerServerCommandLine, type ServerProgram } from './bin/command-line.js';
import { ConfigError, loadDotEnv, type DotEnvRead } from './config/config.js';

const SERVER: ServerProgram = {
  name: 'service-monitor',
  runs: 'the GraphQL API and the checks in one process (PROCESS_MODE=all; api: the API only).',
  script: 'dist/src/main.js',
  npmScript: 'npm start',
};

const answered = answerServerCommandLine(process.argv.slice(2), SERVER);
if (answered === null) {
  const dotEnv = loadDotEnvOrExit();
  // Tracing (when OTEL_* asks for it, .env included) hooks the libraries before the server's modules load them.
  await import('./observability/tracing-preload.js');
  const { startProcess } = await import('./server.js');
  await startProcess(dotEnv);
} else {
  process.exitCode = answered;
}

function loadDotEnvOrExit(): DotEnvRead | null {
  try {
    return loadDotEnv();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`${error.message}\n`);
    process.exit(78); // EX_CONFIG, as for any other bad setting
  }
}
