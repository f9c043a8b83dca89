import { describe, expect, test } from 'vitest';
import type { Heartbeat } from '../../src/modules/heartbeats/heartbeat.model.js';
import { judgeHeartbeat } from '../../src/modules/heartbeats/heartbeat-verdict.js';

const schedule = { interval_sec: 3600, grace_sec: 300 };
const at = (minutes: number) => new Date(Date.UTC(2026, 11, 4, 0, 0) + minutes * 60_000);
const state = (fields: Partial<Heartbeat>): Heartbeat => ({
  service_id: 'svc',
  token_hash: 'h',
  issued_at: at(0),
  last_ping_at: null,
  last_ping_kind: null,
  last_exit_code: null,
  last_output: null,
  started_at: null,
  ...fields,
});

describe('heartbeat rules, on a clock of our own', () => {
  test('before a URL: unknown, looked at again in an interval', () => {
    expect(judgeHeartbeat(null, schedule, at(0))).toMatchObject({ status: 'unknown', error: 'no ping URL yet: issueHeartbeatUrl gives one', next_due_at: at(60) });
  });

  test('never pinged: waiting until interval + grace after the URL was issued, then down', () => {
    expect(judgeHeartbeat(state({}), schedule, at(64))).toMatchObject({ status: 'unknown', error: 'waiting for the first ping', next_due_at: at(65) });
    expect(judgeHeartbeat(state({}), schedule, at(65))).toMatchObject({
      status: 'stopped',
      error: `no ping since the URL was issued at ${at(0).toISOString()} (expected every 3600 s, grace 300 s)`,
      next_due_at: at(125),
    });
  });

  test('a success ping is current for interval + grace, then the service is down', () => {
    const pinged = state({ last_ping_at: at(10), last_ping_kind: 'success' });
    expect(judgeHeartbeat(pinged, schedule, at(74))).toMatchObject({ status: 'running', next_due_at: at(75), metrics: { custom: { last_ping_age_sec: 64 * 60 } } });
    expect(judgeHeartbeat(pinged, schedule, at(75))).toMatchObject({ status: 'stopped', error: expect.stringMatching(/^no ping since 2026-12-04T00:10:00\.000Z/) });
  });

  test('a failure ping is an error with its exit code and output, until the next ping or the deadline', () => {
    const failed = state({ last_ping_at: at(10), last_ping_kind: 'fail', last_exit_code: 2, last_output: 'disk full' });
    expect(judgeHeartbeat(failed, schedule, at(20))).toMatchObject({ status: 'error', status_code: 2, error_details: 'disk full', error: expect.stringMatching(/^the job reported failure \(exit code 2\)/) });
    expect(judgeHeartbeat(failed, schedule, at(80))).toMatchObject({ status: 'stopped' });
  });

  test('a run under way keeps the last word until grace after its start, then is down; its end gives the duration', () => {
    const running = state({ last_ping_at: at(10), last_ping_kind: 'success', started_at: at(70) });
    expect(judgeHeartbeat(running, schedule, at(74))).toMatchObject({ status: 'running', next_due_at: at(75) });
    expect(judgeHeartbeat(running, schedule, at(75))).toMatchObject({ status: 'stopped', error: expect.stringMatching(/^a run started at 2026-12-04T01:10:00\.000Z and did not finish within the grace time \(300 s\)$/) });
    const ended = { ...running, last_ping_at: at(72) };
    expect(judgeHeartbeat(ended, schedule, at(73))).toMatchObject({ status: 'running', metrics: { custom: { run_duration_sec: 120 } }, next_due_at: at(137) });
  });
});
