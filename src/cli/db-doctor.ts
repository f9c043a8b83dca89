/**
 * Lists stored documents that break today's rules and, with --fix, fills in
 * what can be derived. For databases written by other tools (the seed's Python
 * MongoDBManager and migrate script) or by older versions of this server.
 *
 *   service-monitor-doctor [--fix] [--json] [--limit 200]
 *
 * Reads every document of hosts, services, environments and monitoring_history
 * as the API reads it (see src/common/validation.ts readStored):
 * - fixable, with --fix written (only where the field is still missing, so it is safe beside a running server):
 *   a missing field with a default (tls_expiry_warning_days 14, ssh_config.port 22, channels [email]...),
 *   created_at (from the ObjectId), updated_at (from created_at), and for enabled services next_check_at
 *   (now: due at once) and stale_at (last check, or creation, plus STALE_AFTER_INTERVALS intervals);
 *   a history entry's timestamp (from the ObjectId) and expires_at (timestamp + HISTORY_RETENTION_DAYS);
 * - not fixable, reported: unknown enum values (`method: "teleport"`), wrong types, missing required values
 *   without a default, values breaking a rule, a check without its target. Those need a person: the doctor
 *   does not guess.
 *
 * Exit codes: 0 nothing left to do, 1 problems remain (or fixable ones without --fix), 2 could not run.
 */
import mongoose from 'mongoose';
import { parseArgs } from 'node:util';
import type { AnyBulkWriteOperation, Document } from 'mongodb';
import type { DataProblem, FilledField, StoredRead } from '../common/validation.js';
import { openCliDatabase } from './cli-database.js';
import { CLI_SETTINGS_HELP, packageVersion } from '../bin/command-line.js';
import { redactUri } from '../db/connection.js';
import { readEnvironmentDocument } from '../modules/environments/environment-read.js';
import { MonitoringCheckModel, readCheckDocument } from '../modules/history/history.model.js';
import { EnvironmentModel } from '../modules/environments/environment.model.js';
import { HostModel, sshEndpoint } from '../modules/hosts/host.model.js';
import { canonicalAddress } from '../common/ip-address.js';
import { readHostDocument } from '../modules/hosts/host-read.js';
import { ServiceModel } from '../modules/services/service.model.js';
import { readServiceDocument } from '../modules/services/service-read.js';
import type { CliIo } from './migrate-config.js';

const USAGE = 'usage: service-monitor-doctor [--fix] [--json] [--limit 200]';

export interface DoctorSettings {
  readonly staleAfterIntervals: number;
  readonly historyRetentionDays: number;
}

export type FindingState = 'fixable' | 'fixed' | 'not fixable';

export interface DoctorFinding {
  collection: string;
  /** host_id, service_id, env_name, or the _id of a history entry. */
  id: string;
  /** Stored field path, e.g. monitoring.method. */
  field: string;
  problem: string;
  state: FindingState;
  /** For fixable findings: what is (or would be) written. */
  value?: unknown;
}

export interface DoctorReport {
  fix: boolean;
  scanned: Record<string, number>;
  findings: DoctorFinding[];
  /** Findings by state. */
  counts: Record<FindingState, number>;
}

interface CollectionPlan {
  name: string;
  collection: () => mongoose.mongo.Collection<Document>;
  idOf: (doc: Document) => string;
  read: (doc: Document, now: Date) => StoredRead<unknown>;
  /** Rules across documents (one machine, one host): sees each document, then reports. */
  across?: () => { see(doc: Document, id: string): void; findings(): DoctorFinding[] };
}

function plans(settings: DoctorSettings): CollectionPlan[] {
  return [
    { name: 'hosts', collection: () => HostModel.collection as never, idOf: (d) => String(d.host_id ?? d._id), read: (d) => readHostDocument(d), across: sameMachines },
    {
      name: 'services',
      collection: () => ServiceModel.collection as never,
      idOf: (d) => String(d.service_id ?? d._id),
      read: (d, now) => readServiceDocument(d, settings, now),
    },
    {
      name: 'environments',
      collection: () => EnvironmentModel.collection as never,
      idOf: (d) => String(d.env_name ?? d._id),
      read: (d) => readEnvironmentDocument(d),
    },
    {
      name: 'monitoring_history',
      collection: () => MonitoringCheckModel.collection as never,
      idOf: (d) => String(d._id),
      read: (d) => readCheckDocument(d, settings.historyRetentionDays),
    },
  ];
}

const BATCH = 500;

/** Reads every document on the current connection; with `fix`, writes what can be derived. */
export async function runDoctor(settings: DoctorSettings, options: { fix: boolean; now?: Date }): Promise<DoctorReport> {
  const now = options.now ?? new Date();
  const report: DoctorReport = { fix: options.fix, scanned: {}, findings: [], counts: { fixable: 0, fixed: 0, 'not fixable': 0 } };
  for (const plan of plans(settings)) {
    let scanned = 0;
    const across = plan.across?.();
    let pending: { op: AnyBulkWriteOperation<Document>; findings: DoctorFinding[] }[] = [];
    const flush = async () => {
      if (pending.length === 0) return;
      const batch = pending;
      pending = [];
      await plan.collection().bulkWrite(
        batch.map((p) => p.op),
        { ordered: false },
      );
      for (const p of batch) for (const f of p.findings) f.state = 'fixed';
    };
    for await (const doc of plan.collection().find({})) {
      scanned++;
      const id = plan.idOf(doc);
      const read = plan.read(doc, now);
      across?.see(doc, id);
      for (const problem of read.problems) report.findings.push(notFixable(plan.name, id, problem));
      const fixes = read.filled.map((f) => fillable(plan.name, id, f));
      report.findings.push(...fixes);
      if (options.fix) {
        for (const { path, value, findings } of fixWrites(doc, read, fixes)) {
          // Only where still missing: a running server may have written the field meanwhile.
          pending.push({ op: { updateOne: { filter: { _id: doc._id, [path]: null }, update: { $set: { [path]: value } } } }, findings });
        }
        if (pending.length >= BATCH) await flush();
      }
    }
    await flush();
    report.findings.push(...(across?.findings() ?? []));
    report.scanned[plan.name] = scanned;
  }
  for (const f of report.findings) report.counts[f.state]++;
  return report;
}

/**
 * Hosts stored before one machine was one host: several at one address and SSH port (in any spelling), and
 * addresses not in their canonical form. A person decides which host stays.
 */
function sameMachines() {
  const byMachine = new Map<string, string[]>();
  const findings: DoctorFinding[] = [];
  return {
    see(doc: Document, id: string) {
      if (typeof doc.ip_address !== 'string') return;
      const canonical = canonicalAddress(doc.ip_address);
      if (canonical !== doc.ip_address) findings.push({ collection: 'hosts', id, field: 'ip_address', problem: `stored as ${doc.ip_address}; its canonical form is ${canonical} (updating the host's ipAddress rewrites it)`, state: 'not fixable' });
      const machine = sshEndpoint(canonical, typeof doc.ssh_config?.port === 'number' ? doc.ssh_config.port : 22);
      byMachine.set(machine, [...(byMachine.get(machine) ?? []), id]);
    },
    findings() {
      for (const [machine, ids] of byMachine) {
        if (ids.length < 2) continue;
        for (const id of ids) {
          const others = ids.filter((other) => other !== id).map((other) => `'${other}'`).join(', ');
          findings.push({ collection: 'hosts', id, field: 'ip_address', problem: `the same machine (${machine}) as host ${others}: one machine is one host; move or delete all but one`, state: 'not fixable' });
        }
      }
      return findings;
    },
  };
}

/**
 * The `$set`s that write the filled fields: one per field, except where a whole object is missing (or null),
 * which is written whole (as read, with its defaults): a `$set` inside a null would fail.
 */
function fixWrites(raw: Document, read: StoredRead<unknown>, fixes: DoctorFinding[]): { path: string; value: unknown; findings: DoctorFinding[] }[] {
  const writes = new Map<string, { path: string; value: unknown; findings: DoctorFinding[] }>();
  read.filled.forEach((filled, index) => {
    const parts = filled.field.split('.');
    let depth = 1;
    // The shallowest ancestor that is not an object in the stored document.
    while (depth < parts.length && isObject(valueAt(raw, parts.slice(0, depth)))) depth++;
    const path = parts.slice(0, depth).join('.');
    const stored = valueAt(raw, parts.slice(0, depth));
    if (stored !== undefined && stored !== null) {
      // Inside a value of the wrong type (reported as such): writing there would replace what someone stored.
      fixes[index]!.state = 'not fixable';
      return;
    }
    const write = writes.get(path) ?? { path, value: valueAt(read.doc as Document, parts.slice(0, depth)), findings: [] };
    write.findings.push(fixes[index]!);
    writes.set(path, write);
  });
  return [...writes.values()];
}

const isObject = (value: unknown) => typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Date);

function valueAt(doc: Document, parts: string[]): unknown {
  let at: unknown = doc;
  for (const part of parts) at = isObject(at) ? (at as Document)[part] : undefined;
  return at;
}

function notFixable(collection: string, id: string, problem: DataProblem): DoctorFinding {
  return { collection, id, field: problem.field, problem: problem.message, state: 'not fixable' };
}

function fillable(collection: string, id: string, filled: FilledField): DoctorFinding {
  const problem = filled.how === 'default' ? `is missing; its default is ${show(filled.value)}` : `is missing; derived: ${show(filled.value)}`;
  return { collection, id, field: filled.field, problem, state: 'fixable', value: filled.value };
}

const show = (value: unknown) => (value instanceof Date ? value.toISOString() : JSON.stringify(value));

/** The report as an operator reads it: one line per finding (up to `limit`), then totals. */
export function formatReport(report: DoctorReport, database: string, limit: number): string {
  const lines = [`database: ${database}`];
  lines.push(`scanned: ${Object.entries(report.scanned).map(([c, n]) => `${c} ${n}`).join(', ')}`);
  const shown = report.findings.slice(0, limit);
  for (const f of shown) {
    const state = f.state === 'not fixable' ? 'NOT FIXABLE (needs a person; the doctor does not guess)' : f.state === 'fixed' ? 'FIXED' : 'fixable with --fix';
    lines.push(`${f.collection} ${f.id} ${f.field}: ${f.problem} -> ${state}`);
  }
  if (report.findings.length > shown.length) lines.push(`... ${report.findings.length - shown.length} more (--limit, or --json for all)`);
  const { fixable, fixed } = report.counts;
  const notFixableCount = report.counts['not fixable'];
  if (report.findings.length === 0) lines.push('nothing breaks today’s rules');
  else lines.push(`${fixed} fixed, ${fixable} fixable${fixable > 0 ? ' (run with --fix)' : ''}, ${notFixableCount} not fixable`);
  return `${lines.join('\n')}\n`;
}

const processIo: CliIo = {
  env: process.env,
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
};

export async function dbDoctorCommand(argv: string[], io: CliIo = processIo): Promise<number> {
  const fail = (message: string) => {
    io.stderr(`service-monitor-doctor: ${message}\n`);
    return 2;
  };
  let args;
  try {
    args = parseArgs({
      args: argv,
      options: {
        fix: { type: 'boolean', default: false },
        json: { type: 'boolean', default: false },
        limit: { type: 'string', default: '200' },
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
    io.stdout(`service-monitor-doctor ${packageVersion()}\n`);
    return 0;
  }
  const limit = Number(args.values.limit);
  if (!Number.isInteger(limit) || limit < 0) return fail(`--limit must be a whole number, got ${args.values.limit}\n${USAGE}`);

  const opened = await openCliDatabase(io.env);
  if ('problem' in opened) return fail(opened.problem);
  const { config, database } = opened;
  try {
    const connection = mongoose.connection;
    const where = config.mongodbUri ? redactUri(config.mongodbUri) : `mongodb://${connection.host}:${connection.port}`;
    const described = `${connection.name} on ${where} (${config.mongodbUri ? 'MONGODB_URI' : `embedded: ${database.server}`})`;
    const report = await runDoctor(config, { fix: args.values.fix });
    io.stdout(args.values.json ? `${JSON.stringify({ database: described, ...report }, null, 2)}\n` : formatReport(report, described, limit));
    return report.counts['not fixable'] > 0 || report.counts.fixable > 0 ? 1 : 0;
  } finally {
    await database.close();
  }
}
