import { describe, expect, test } from 'vitest';
import { ConflictError } from '../../src/common/errors.js';
import type { EnvironmentInput } from '../../src/modules/environments/environment.service.js';
import { expectDomainError, useTestDatabase } from '../helpers/database.js';
import { domain, expectInvalid } from '../helpers/fixtures.js';

const database = useTestDatabase(import.meta.filename);
const { environments } = domain();
const raw = (name = 'production') => database.db.collection('environments').findOne({ env_name: name });

const production: EnvironmentInput = {
  env_name: 'production',
  description: 'Production environment',
  color: '#FF0000',
  alert_severity: 'critical',
  maintenance_window: { day: 'Sunday', start_time: '02:00', end_time: '06:00', timezone: 'UTC' },
  approval_required: true,
};
const window = (overrides: Record<string, unknown>) => ({ day: 'Sunday', start_time: '02:00', end_time: '06:00', timezone: 'UTC', ...overrides }) as never;

describe('create and read', () => {
  test("stores the seed's example document as given", async () => {
    await environments.create(production);
    const stored = await raw();
    expect(stored).toMatchObject(production);
    expect(stored!.created_at).toBeInstanceOf(Date);
    expect(stored).not.toHaveProperty('__v');
  });

  test('fills defaults: medium severity, no approval, no window, no colour', async () => {
    const created = await environments.create({ env_name: 'dev' });
    expect(created).toMatchObject({
      env_name: 'dev',
      description: null,
      color: null,
      alert_severity: 'medium',
      maintenance_window: null,
      approval_required: false,
    });
  });

  test('a maintenance window without a timezone means UTC', async () => {
    await environments.create({ env_name: 'staging', maintenance_window: window({ timezone: undefined }) });
    expect((await raw('staging'))!.maintenance_window).toEqual({ day: 'Sunday', start_time: '02:00', end_time: '06:00', timezone: 'UTC' });
  });

  test('get returns the environment or null', async () => {
    await environments.create(production);
    expect((await environments.get('production'))?.alert_severity).toBe('critical');
    expect(await environments.get('staging')).toBeNull();
  });

  test('list returns every environment sorted by name', async () => {
    await environments.create({ env_name: 'staging' });
    await environments.create(production);
    await environments.create({ env_name: 'dev' });
    expect((await environments.list()).map((e) => e.env_name)).toEqual(['dev', 'production', 'staging']);
  });
});

describe('rules', () => {
  test('env_name is unique: a second one is a CONFLICT', async () => {
    await environments.create(production);
    const error = await expectDomainError(environments.create({ env_name: 'production' }), 'CONFLICT');
    expect(error).toBeInstanceOf(ConflictError);
    expect(error.message).not.toMatch(/E11000/);
    expect(await database.db.collection('environments').countDocuments()).toBe(1);
  });

  test('the CONFLICT message names the environment', async () => {
    await environments.create(production);
    const error = await expectDomainError(environments.create({ env_name: 'production' }), 'CONFLICT');
    expect(error.message).toBe("environment 'production' already exists");
  });

  test.each(['prod', 'qa', 'Production', ''])('env_name %j is refused', async (env_name) => {
    await expectInvalid(environments.create({ env_name: env_name as never }), 'env_name');
  });

  test.each(['#FF0000', '#00aa3c'])('color %s is accepted', async (color) => {
    expect((await environments.create({ env_name: 'dev', color })).color).toBe(color);
  });

  test.each(['red', '#FFF', 'FF0000', '#GG0000', '#FF00001'])('color %j is refused', async (color) => {
    await expectInvalid(environments.create({ env_name: 'dev', color }), 'color');
  });

  test('alert_severity must be one of the seed severities', async () => {
    await expectInvalid(environments.create({ env_name: 'dev', alert_severity: 'urgent' as never }), 'alert_severity');
  });

  test.each(['Sunday', 'Monday', 'Saturday'])('maintenance_window.day %s is accepted', async (day) => {
    expect((await environments.create({ env_name: 'dev', maintenance_window: window({ day }) })).maintenance_window?.day).toBe(day);
  });

  test.each(['sunday', 'Sun', 'Funday', ''])('maintenance_window.day %j is refused', async (day) => {
    await expectInvalid(environments.create({ env_name: 'dev', maintenance_window: window({ day }) }), 'maintenance_window.day');
  });

  test.each(['00:00', '23:59', '09:30'])('maintenance_window time %s is accepted', async (time) => {
    const created = await environments.create({ env_name: 'dev', maintenance_window: window({ start_time: time, end_time: time }) });
    expect(created.maintenance_window).toMatchObject({ start_time: time, end_time: time });
  });

  test.each(['24:00', '2:00', '12:60', '12.30', '12:3', 'noon'])('maintenance_window start/end time %j is refused', async (time) => {
    await expectInvalid(environments.create({ env_name: 'dev', maintenance_window: window({ start_time: time }) }), 'maintenance_window.start_time');
    await expectInvalid(environments.create({ env_name: 'dev', maintenance_window: window({ end_time: time }) }), 'maintenance_window.end_time');
  });

  test.each(['UTC', 'Asia/Seoul', 'America/New_York', 'Europe/Berlin'])('maintenance_window.timezone %s is accepted', async (timezone) => {
    expect((await environments.create({ env_name: 'dev', maintenance_window: window({ timezone }) })).maintenance_window?.timezone).toBe(timezone);
  });

  test.each(['Mars/Base', 'Asia/Tokyoo', 'GMT+25', ''])('maintenance_window.timezone %j is refused', async (timezone) => {
    await expectInvalid(environments.create({ env_name: 'dev', maintenance_window: window({ timezone }) }), 'maintenance_window.timezone');
  });

  test('refuses an unknown field, naming it', async () => {
    await expectInvalid(environments.create({ env_name: 'dev', owner: 'ops' } as never), 'owner');
    expect(await database.db.collection('environments').countDocuments()).toBe(0);
  });
});

describe('update', () => {
  test('changes only the given fields', async () => {
    await environments.create(production);
    const updated = await environments.update('production', { color: '#00FF00', approval_required: false });
    expect(updated).toMatchObject({ ...production, color: '#00FF00', approval_required: false });
    expect(await raw()).toMatchObject({ description: 'Production environment', color: '#00FF00', approval_required: false });
  });

  test('a maintenance window is replaced whole, and null removes it', async () => {
    await environments.create(production);
    await environments.update('production', { maintenance_window: window({ day: 'Saturday', start_time: '22:00', end_time: '02:00', timezone: 'Asia/Seoul' }) });
    expect((await raw())!.maintenance_window).toEqual({ day: 'Saturday', start_time: '22:00', end_time: '02:00', timezone: 'Asia/Seoul' });
    await environments.update('production', { maintenance_window: null });
    expect((await raw())!.maintenance_window).toBeNull();
  });

  test('an invalid update writes nothing', async () => {
    await environments.create(production);
    const before = await raw();
    await expectInvalid(environments.update('production', { description: 'changed', color: 'red' }), 'color');
    await expectInvalid(environments.update('production', { maintenance_window: window({ timezone: 'Mars/Base' }) }), 'maintenance_window.timezone');
    expect(await raw()).toEqual(before);
  });

  test('env_name cannot be changed', async () => {
    await environments.create(production);
    await expectInvalid(environments.update('production', { env_name: 'dev' } as never), 'env_name');
    expect(await raw('production')).not.toBeNull();
  });

  test('updating a missing environment is NOT_FOUND', async () => {
    const error = await expectDomainError(environments.update('staging', { color: '#000000' }), 'NOT_FOUND');
    expect(error.message).toBe("environment 'staging' does not exist");
  });
});

describe('delete', () => {
  test('removes only the named environment', async () => {
    await environments.create(production);
    await environments.create({ env_name: 'dev' });
    await environments.delete('production');
    expect(await raw('production')).toBeNull();
    expect(await raw('dev')).not.toBeNull();
  });

  test('deleting a missing environment is NOT_FOUND', async () => {
    await expectDomainError(environments.delete('staging'), 'NOT_FOUND');
  });
});
