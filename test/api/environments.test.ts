import { describe, expect, test } from 'vitest';
import {
  CreateEnvironmentDocument,
  DeleteEnvironmentDocument,
  EnvironmentDocument,
  EnvironmentsDocument,
  UpdateEnvironmentDocument,
  type EnvironmentCreateInput,
} from '../graphql/generated.js';
import { expectBadInput, expectError, useApiServer } from '../helpers/api.js';
import { EnvironmentModel } from '../../src/modules/environments/environment.model.js';

const api = useApiServer(import.meta.filename);

const production: EnvironmentCreateInput = {
  name: 'PRODUCTION',
  description: 'Customer-facing',
  color: '#D32F2F',
  alertSeverity: 'CRITICAL',
  approvalRequired: true,
  maintenanceWindow: { day: 'SUNDAY', startTime: '22:00', endTime: '02:00', timezone: 'Asia/Seoul' },
};

async function create(input: EnvironmentCreateInput) {
  return (await api.data(CreateEnvironmentDocument, { input })).createEnvironment;
}

describe('environments', () => {
  test('createEnvironment stores every field and returns it under its API name', async () => {
    const created = await create(production);
    expect(created).toMatchObject({
      name: 'PRODUCTION',
      description: 'Customer-facing',
      color: '#D32F2F',
      alertSeverity: 'CRITICAL',
      approvalRequired: true,
      maintenanceWindow: { day: 'SUNDAY', startTime: '22:00', endTime: '02:00', timezone: 'Asia/Seoul' },
    });
    expect(Date.parse(created.createdAt)).not.toBeNaN();
    expect((await api.data(EnvironmentDocument, { name: 'PRODUCTION' }, { as: 'viewer' })).environment).toEqual(created);
    // Stored with the seed's names and values.
    expect(await EnvironmentModel.collection.findOne({ env_name: 'production' })).toMatchObject({
      alert_severity: 'critical',
      maintenance_window: { day: 'Sunday', start_time: '22:00', end_time: '02:00', timezone: 'Asia/Seoul' },
    });
  });

  test('createEnvironment with only a name gets the defaults; the window timezone defaults to UTC', async () => {
    expect(await create({ name: 'DEV' })).toMatchObject({ name: 'DEV', description: null, color: null, alertSeverity: 'MEDIUM', approvalRequired: false, maintenanceWindow: null });
    const { updateEnvironment } = await api.data(UpdateEnvironmentDocument, { name: 'DEV', input: { maintenanceWindow: { day: 'MONDAY', startTime: '01:00', endTime: '02:00' } } });
    expect(updateEnvironment.maintenanceWindow).toEqual({ day: 'MONDAY', startTime: '01:00', endTime: '02:00', timezone: 'UTC' });
  });

  test('environment() is null for one not created', async () => {
    await create({ name: 'DEV' });
    const response = await api.request(EnvironmentDocument, { name: 'STAGING' }, { as: 'viewer' });
    expect(response.errors).toBeUndefined();
    expect(response.data).toEqual({ environment: null });
  });

  test('environments lists every environment, ordered by name', async () => {
    await create({ name: 'STAGING' });
    await create(production);
    await create({ name: 'DEV' });
    const { environments } = await api.data(EnvironmentsDocument, {}, { as: 'viewer' });
    expect(environments.map((e) => e.name)).toEqual(['DEV', 'PRODUCTION', 'STAGING']);
    expect(environments.find((e) => e.name === 'PRODUCTION')!.maintenanceWindow).toMatchObject({ day: 'SUNDAY' });
  });

  test('updateEnvironment changes only the given fields', async () => {
    const created = await create(production);
    const { updateEnvironment } = await api.data(UpdateEnvironmentDocument, { name: 'PRODUCTION', input: { color: '#00FF00', approvalRequired: false } });
    expect(updateEnvironment).toMatchObject({
      ...production,
      color: '#00FF00',
      approvalRequired: false,
      createdAt: created.createdAt,
    });
  });

  test('a maintenance window given on update replaces the old one whole', async () => {
    await create(production);
    const { updateEnvironment } = await api.data(UpdateEnvironmentDocument, {
      name: 'PRODUCTION',
      input: { maintenanceWindow: { day: 'WEDNESDAY', startTime: '03:00', endTime: '04:30', timezone: 'Europe/Berlin' } },
    });
    expect(updateEnvironment.maintenanceWindow).toEqual({ day: 'WEDNESDAY', startTime: '03:00', endTime: '04:30', timezone: 'Europe/Berlin' });
    expect(updateEnvironment).toMatchObject({ color: '#D32F2F', description: 'Customer-facing' });
    expect((await api.data(EnvironmentDocument, { name: 'PRODUCTION' })).environment!.maintenanceWindow).toEqual(updateEnvironment.maintenanceWindow);
  });

  test('maintenanceWindow: null removes the window and keeps everything else', async () => {
    await create(production);
    const { updateEnvironment } = await api.data(UpdateEnvironmentDocument, { name: 'PRODUCTION', input: { maintenanceWindow: null } });
    expect(updateEnvironment).toMatchObject({ maintenanceWindow: null, color: '#D32F2F', alertSeverity: 'CRITICAL' });
    expect((await api.data(EnvironmentDocument, { name: 'PRODUCTION' })).environment!.maintenanceWindow).toBeNull();
    expect((await EnvironmentModel.collection.findOne({ env_name: 'production' }))!.maintenance_window).toBeNull();
  });

  test('an update that omits maintenanceWindow keeps it', async () => {
    await create(production);
    const { updateEnvironment } = await api.data(UpdateEnvironmentDocument, { name: 'PRODUCTION', input: { description: 'changed' } });
    expect(updateEnvironment).toMatchObject({ description: 'changed', maintenanceWindow: production.maintenanceWindow });
  });

  test('deleteEnvironment returns the name, after which environment() is null', async () => {
    await create(production);
    await create({ name: 'DEV' });
    expect((await api.data(DeleteEnvironmentDocument, { name: 'PRODUCTION' })).deleteEnvironment).toBe('PRODUCTION');
    expect((await api.data(EnvironmentDocument, { name: 'PRODUCTION' })).environment).toBeNull();
    expect((await api.data(EnvironmentsDocument, {})).environments.map((e) => e.name)).toEqual(['DEV']);
  });
});

describe('environment errors', () => {
  test('creating one that exists is CONFLICT naming it, and the first is unchanged', async () => {
    await create(production);
    const response = await api.request(CreateEnvironmentDocument, { input: { name: 'PRODUCTION', color: '#000000' } });
    expect(response.data).toBeNull();
    const error = expectError(response, 'CONFLICT');
    expect(error.message).toMatch(/production/i);
    expect((await api.data(EnvironmentDocument, { name: 'PRODUCTION' })).environment!.color).toBe('#D32F2F');
    expect(await EnvironmentModel.countDocuments()).toBe(1);
  });

  test('a colour that is not #RRGGBB is BAD_USER_INPUT at color, on create and on update', async () => {
    for (const color of ['red', '#FFF', '#GGGGGG', '#1234567']) {
      const response = await api.request(CreateEnvironmentDocument, { input: { name: 'DEV', color } });
      expect(response.data, color).toBeNull();
      expectBadInput(response, 'color');
    }
    expect(await EnvironmentModel.countDocuments()).toBe(0);
    await create(production);
    expectBadInput(await api.request(UpdateEnvironmentDocument, { name: 'PRODUCTION', input: { color: 'blue' } }), 'color');
    expect((await api.data(EnvironmentDocument, { name: 'PRODUCTION' })).environment!.color).toBe('#D32F2F');
  });

  test('an unknown time zone is BAD_USER_INPUT at maintenanceWindow.timezone', async () => {
    const response = await api.request(CreateEnvironmentDocument, { input: { name: 'DEV', maintenanceWindow: { day: 'MONDAY', startTime: '01:00', endTime: '02:00', timezone: 'Mars/Olympus' } } });
    expect(response.data).toBeNull();
    const error = expectBadInput(response, 'maintenanceWindow.timezone');
    expect(error.message).toContain('maintenanceWindow.timezone');
    expect(error.message).not.toContain('maintenance_window');
    expect(await EnvironmentModel.countDocuments()).toBe(0);
  });

  test('bad window times are named by their API path, on update too, and the old window stays', async () => {
    await create(production);
    const response = await api.request(UpdateEnvironmentDocument, {
      name: 'PRODUCTION',
      input: { maintenanceWindow: { day: 'MONDAY', startTime: '24:00', endTime: '7pm', timezone: 'Nowhere/City' } },
    });
    expectBadInput(response, 'maintenanceWindow.startTime', 'maintenanceWindow.endTime', 'maintenanceWindow.timezone');
    expect((await api.data(EnvironmentDocument, { name: 'PRODUCTION' })).environment!.maintenanceWindow).toEqual(production.maintenanceWindow);
  });

  test('updating an environment that does not exist is NOT_FOUND, and creates nothing', async () => {
    const response = await api.request(UpdateEnvironmentDocument, { name: 'STAGING', input: { color: '#000000' } });
    expect(response.data).toBeNull();
    expect(expectError(response, 'NOT_FOUND').message).toMatch(/staging/i);
    expect(await EnvironmentModel.countDocuments()).toBe(0);
  });

  test('deleting an environment that does not exist is NOT_FOUND', async () => {
    await create({ name: 'DEV' });
    const response = await api.request(DeleteEnvironmentDocument, { name: 'STAGING' });
    expect(response.data).toBeNull();
    expect(expectError(response, 'NOT_FOUND').message).toMatch(/staging/i);
    expect(await EnvironmentModel.countDocuments()).toBe(1);
  });
});
