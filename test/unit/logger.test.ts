import { describe, expect, test } from 'vitest';
import { createLogger } from '../../src/common/logger.js';

function capture(level: Parameters<typeof createLogger>[0] = 'debug') {
  const lines: string[] = [];
  return { lines, logger: createLogger(level, (line) => lines.push(line)), parsed: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>) };
}

describe('logger', () => {
  test('writes one JSON object per line: level name, ISO time, msg, fields, component', () => {
    const { lines, logger, parsed } = capture();
    logger.child({ component: 'checks' }).info('service status changed', { service_id: 'svc_1', status: 'stopped' });
    expect(lines).toHaveLength(1);
    expect(lines[0]).not.toContain('\n');
    const [entry] = parsed();
    expect(entry).toMatchObject({ level: 'info', component: 'checks', service_id: 'svc_1', status: 'stopped', msg: 'service status changed' });
    expect(new Date(entry!.time as string).toISOString()).toBe(entry!.time);
  });

  test('leaves out what is below its level', () => {
    const { lines, logger } = capture('warn');
    logger.debug('d');
    logger.info('i');
    logger.warn('w');
    logger.error('e');
    expect(lines.map((l) => JSON.parse(l).level)).toEqual(['warn', 'error']);
  });

  test('redacts secrets by path and by name at any depth, masks credentials in targets and text', () => {
    const { logger, parsed } = capture();
    logger.info('connecting to postgresql://monitor:hunter2@db:5432/app', {
      headers: { authorization: 'Bearer smk_secret' },
      password: 'p4ss',
      ssh: { config: { key_path: '/home/ops/.ssh/id_ed25519' } },
      target: 'https://user:tok3n@example.com/health?token=abc',
    });
    const [entry] = parsed();
    const text = JSON.stringify(entry);
    for (const secret of ['hunter2', 'smk_secret', 'p4ss', 'id_ed25519', 'tok3n', 'abc']) expect(text).not.toContain(secret);
    expect(entry).toMatchObject({ password: '***', headers: { authorization: '***' }, msg: 'connecting to postgresql://monitor:***@db:5432/app' });
  });
});
