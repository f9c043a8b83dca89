/**
 * Reading stored documents whoever wrote them (src/common/validation.ts readStored and the per-collection
 * readers): defaults for what is missing, derived fields filled in, unusable values replaced and reported.
 * No database: the readers work on plain documents.
 */
import { ObjectId } from 'mongodb';
import { describe, expect, test } from 'vitest';
import { readEnvironmentDocument } from '../../src/modules/environments/environment-read.js';
import { readCheckDocument } from '../../src/modules/history/history.model.js';
import { readHostDocument } from '../../src/modules/hosts/host-read.js';
import { readServiceDocument } from '../../src/modules/services/service-read.js';

const settings = { staleAfterIntervals: 3 };
const now = new Date('2026-12-01T12:00:00Z');

/** What the seed's MongoDBManager.add_service stores for a minimal service. */
const seedService = () => ({
  _id: new ObjectId(),
  service_id: 'svc_a',
  host_id: 'host_a',
  service_name: 'nginx.service',
  service_type: 'nginx',
  monitoring: { method: 'ssh', enabled: true, interval_sec: 30 },
  recovery: { recover_on_down: false },
  environment: 'staging',
  region: 'eu-west-1',
  current_status: 'unknown',
  created_at: new Date('2026-12-01T11:00:00Z'),
  updated_at: new Date('2026-12-01T11:00:00Z'),
  last_check: new Date('2026-12-01T11:00:00Z'),
});

describe('services', () => {
  test('a seed service: defaults filled, next_check_at due now, stale_at from its last check, no problems', () => {
    const raw = seedService();
    const { doc, problems, filled } = readServiceDocument(raw, settings, now);
    expect(problems).toEqual([]);
    expect(doc.monitoring).toMatchObject({ timeout_sec: 30, retry_attempts: 3, expected_status: [], tls_expiry_warning_days: 14, target: null });
    expect(doc.alerting).toMatchObject({ enabled: true, channels: ['email'], severity: 'medium', mute_until: null });
    expect(doc.next_check_at).toEqual(now);
    expect(doc.stale_at).toEqual(new Date('2026-12-01T11:01:30Z'));
    const fields = filled.map((f) => f.field);
    expect(fields).toEqual(expect.arrayContaining(['monitoring.timeout_sec', 'alerting.channels', 'tags', 'next_check_at', 'stale_at']));
    expect(fields).not.toContain('monitoring.target');
    expect(filled.find((f) => f.field === 'stale_at')!.how).toBe('derived');
    // The stored document itself is left alone.
    expect(raw.monitoring).toEqual({ method: 'ssh', enabled: true, interval_sec: 30 });
  });

  test('a disabled service gets no schedule', () => {
    const raw = { ...seedService(), monitoring: { method: 'ssh', enabled: false, interval_sec: 30 } };
    const { doc } = readServiceDocument(raw, settings, now);
    expect(doc.next_check_at).toBeNull();
    expect(doc.stale_at).toBeNull();
  });

  test('unknown enum values read as null (a status as unknown) and are reported; nothing is guessed', () => {
    const raw = { ...seedService(), current_status: 'degraded', monitoring: { method: 'teleport', enabled: true, interval_sec: 30 }, alerting: { channels: ['email', 'sms'] } };
    const { doc, problems } = readServiceDocument(raw, settings, now);
    expect(doc.monitoring.method).toBeNull();
    expect(doc.current_status).toBe('unknown');
    expect(doc.alerting.channels).toEqual(['email']);
    expect(problems.map((p) => p.field).sort()).toEqual(['alerting.channels', 'current_status', 'monitoring.method']);
    expect(problems.find((p) => p.field === 'monitoring.method')!.message).toBe('unknown value "teleport"; known: ssh, http, tcp, database, custom, ping, dns, heartbeat');
  });

  test('wrong types are replaced by the default and reported; rule breaks that can be served are kept and reported', () => {
    const raw = { ...seedService(), monitoring: { method: 'ssh', enabled: true, interval_sec: '45', timeout_sec: 2.5, retry_attempts: 50 }, tags: ['ok', 'not ok'], consecutive_failures: 1.5 };
    const { doc, problems } = readServiceDocument(raw, settings, now);
    expect(doc.monitoring).toMatchObject({ interval_sec: 60, timeout_sec: 30, retry_attempts: 50 });
    expect(doc.tags).toEqual(['ok', 'not ok']);
    expect(doc.consecutive_failures).toBe(0);
    expect(Object.fromEntries(problems.map((p) => [p.field, p.message]))).toEqual({
      'monitoring.interval_sec': 'must be a number, got "45"',
      'monitoring.timeout_sec': expect.stringMatching(/whole number between 1 and 600, got 2.5/),
      'monitoring.retry_attempts': 'must be at most 10, got 50',
      tags: expect.stringMatching(/^must each be/),
      consecutive_failures: 'must be a whole number, got 1.5',
    });
  });

  test('a check that cannot run as stored is a problem: an http check without its target', () => {
    const raw = { ...seedService(), monitoring: { method: 'http', enabled: true, interval_sec: 30 } };
    expect(readServiceDocument(raw, settings, now).problems).toEqual([{ field: 'monitoring.target', message: expect.stringMatching(/required for http checks/) }]);
  });
});

describe('hosts, environments, history', () => {
  test('a host with only what the seed requires; a wrong-typed nested object', () => {
    const minimal = readHostDocument({ _id: new ObjectId(), host_id: 'h', hostname: 'h', ip_address: '10.0.0.1', environment: 'dev', region: 'lab', ssh_config: { user: 'u' } });
    expect(minimal.problems).toEqual([]);
    expect(minimal.doc).toMatchObject({ ssh_config: { port: 22, use_sudo: false, key_path: null }, location: { datacenter: null }, metadata: { tags: [] }, status: 'active' });
    expect(minimal.doc.created_at).toBeInstanceOf(Date);
    expect(minimal.filled.map((f) => f.field)).toEqual(expect.arrayContaining(['ssh_config.port', 'created_at', 'updated_at']));
    const odd = readHostDocument({ _id: new ObjectId(), host_id: 'h', hostname: 'h', ip_address: '10.0.0.1', environment: 'prod', region: 'lab', ssh_config: 'ubuntu@h' });
    expect(odd.doc.environment).toBeNull();
    expect(odd.problems.map((p) => p.field)).toEqual(['ssh_config', 'environment']);
  });

  test('an environment with created_at only reads updated_at as created_at', () => {
    const created = new Date('2025-10-12T00:00:00Z');
    const { doc, problems, filled } = readEnvironmentDocument({ env_name: 'production', alert_severity: 'critical', created_at: created });
    expect(problems).toEqual([]);
    expect(doc).toMatchObject({ updated_at: created, approval_required: false, maintenance_window: null });
    expect(filled).toContainEqual({ field: 'updated_at', value: created, how: 'derived' });
  });

  test('a history entry without timestamp or expiry: both derived, not problems; an unknown status reads as unknown', () => {
    const id = new ObjectId();
    const { doc, problems, filled } = readCheckDocument({ _id: id, service_id: 's', host_id: 'h', status: 'degraded' }, 7);
    expect(doc.timestamp).toEqual(id.getTimestamp());
    expect(+doc.expires_at - +doc.timestamp).toBe(7 * 86_400_000);
    expect(doc).toMatchObject({ status: 'unknown', check_type: 'status_check', recovery_attempted: false, metrics: {} });
    expect(problems.map((p) => p.field)).toEqual(['status']);
    expect(filled.map((f) => f.field)).toEqual(expect.arrayContaining(['timestamp', 'expires_at', 'check_type']));
  });
});
