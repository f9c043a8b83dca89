/**
 * Public status pages (opt-in per environment): GET /status/<environment> (HTML) and .json, without a key, over real
 * HTTP against the running server and a real database. Current statuses and 90 UTC days of uptime per service group,
 * from the hourly rollups; nothing host-ish or secret; the same 404 for a page that is not public and one that does
 * not exist; cacheable.
 */
import { describe, expect, test } from 'vitest';
import { CreateEnvironmentWithStatusPageDocument, EnvironmentStatusPageDocument, SetStatusPageDocument } from '../graphql/generated.js';
import { expectBadInput, expectError, useApiServer } from '../helpers/api.js';
import { hostInput, serviceInput } from '../helpers/fixtures.js';
import { EnvironmentModel } from '../../src/modules/environments/environment.model.js';
import { UptimeRollupModel } from '../../src/modules/history/uptime-rollup.model.js';
import { ServiceModel } from '../../src/modules/services/service.model.js';
import type { StatusPage } from '../../src/modules/status-page/status-page.js';

const api = useApiServer(import.meta.filename);

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const get = (path: string, headers: Record<string, string> = {}) => fetch(new URL(path, api.url), { headers });
const dayOf = (ms: number) => new Date(Math.floor(ms / DAY) * DAY);
const label = (date: Date) => date.toISOString().slice(0, 10);

const SECRET_ERROR = 'connect ECONNREFUSED 10.66.77.88:3306 as monitor:hunter2';
const HOSTILE = '<script>alert("x")</script> & \'Web\'';

async function publish(title: string | null = null) {
  await api.data(SetStatusPageDocument, { name: 'PRODUCTION', statusPage: { public: true, title } });
}

/**
 * production: two mysql services (one down with an error message, one running with rollups three days ago),
 * an nginx one degraded with a hostile display name, one whose monitoring is off; staging: one more service.
 */
async function seed() {
  await api.data(CreateEnvironmentWithStatusPageDocument, { input: { name: 'PRODUCTION' } });
  await api.domain.environments.create({ env_name: 'staging' });
  await api.domain.hosts.create(hostInput({ host_id: 'host_db_internal', hostname: 'db-internal-7', ip_address: '10.66.77.88' }));
  await api.domain.hosts.create(hostInput({ host_id: 'host_stage', hostname: 'stage-1', environment: 'staging' }));
  const services = [
    serviceInput({ service_id: 'svc_orders_db', host_id: 'host_db_internal', service_name: 'mysql.service', display_name: 'Orders database', tags: ['team:payments-secret'] }),
    serviceInput({ service_id: 'svc_replica_db', host_id: 'host_db_internal', service_name: 'mysql-replica.service' }),
    serviceInput({ service_id: 'svc_web', host_id: 'host_db_internal', service_name: 'nginx.service', service_type: 'nginx', display_name: HOSTILE }),
    serviceInput({ service_id: 'svc_paused', host_id: 'host_db_internal', service_name: 'cron.service', service_type: 'cron', monitoring: { enabled: false } as never }),
    serviceInput({ service_id: 'svc_stage', host_id: 'host_stage', service_name: 'stage-only.service', service_type: 'stage' }),
  ];
  for (const service of services) await api.domain.services.create(service);
  const now = new Date();
  await api.domain.recorder.record([
    { service_id: 'svc_orders_db', timestamp: now, status: 'error', error: SECRET_ERROR, error_details: SECRET_ERROR },
    { service_id: 'svc_replica_db', timestamp: now, status: 'running' },
    { service_id: 'svc_web', timestamp: now, status: 'warning', error: 'slow upstream 10.66.77.88' },
  ]);
  // Three days ago: 1 h up, then half an hour each way: 5.4 of 7.2 known hours up, 75%.
  const threeDaysAgo = +dayOf(Date.now()) - 3 * DAY;
  const expires = new Date(Date.now() + 30 * DAY);
  await UptimeRollupModel.insertMany([
    { service_id: 'svc_replica_db', bucket_start: new Date(threeDaysAgo + 5 * HOUR), up_ms: HOUR, down_ms: 0, expires_at: expires },
    { service_id: 'svc_replica_db', bucket_start: new Date(threeDaysAgo + 6 * HOUR), up_ms: HOUR / 2, down_ms: HOUR / 2, expires_at: expires },
    { service_id: 'svc_orders_db', bucket_start: new Date(threeDaysAgo + 5 * HOUR), up_ms: 0, down_ms: 0, expires_at: expires },
    // Another environment's service the same day: not in production's bars.
    { service_id: 'svc_stage', bucket_start: new Date(threeDaysAgo + 5 * HOUR), up_ms: 0, down_ms: HOUR, expires_at: expires },
  ]);
  return { threeDaysAgo: new Date(threeDaysAgo) };
}

describe('public status pages', () => {
  test('opt-in: not found until made public (the same answer as for an environment that does not exist, or any odd name), found after, gone when turned off', async () => {
    await seed();
    const hidden = await get('/status/production');
    expect(hidden.status).toBe(404);
    const notFoundBody = await hidden.text();
    for (const path of ['/status/production.json', '/status/dev', '/status/dev.json', '/status/PRODUCTION', '/status/prod', '/status/..%2Fproduction', '/status/%3Cscript%3E', '/status/production.html']) {
      const response = await get(path);
      expect(response.status, path).toBe(404);
      expect(await response.text(), path).toBe(notFoundBody);
    }
    expect((await get('/status/staging')).status).toBe(404);

    await publish();
    const shown = await get('/status/production');
    expect(shown.status).toBe(200);
    expect(shown.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect((await get('/status/production.json')).status).toBe(200);
    expect((await get('/status/staging')).status).toBe(404);

    await api.data(SetStatusPageDocument, { name: 'PRODUCTION', statusPage: { public: false } });
    const again = await get('/status/production');
    expect(again.status).toBe(404);
    expect(await again.text()).toBe(notFoundBody);
  });

  test('the page: title, overall banner, groups by service type with current statuses, daily bars from the rollups, no data elsewhere', async () => {
    const { threeDaysAgo } = await seed();
    await publish();
    const html = await (await get('/status/production')).text();
    expect(html).toMatch(/^<!doctype html>\n<html lang="en">/);
    expect(html).toContain('<meta name="viewport" content="width=device-width, initial-scale=1">');
    expect(html).toContain('prefers-color-scheme:dark');
    expect(html).toMatch(/<main>[\s\S]*<\/main>/);
    expect(html).toContain('<h1>production</h1>');
    // One of two mysql services down is not more than half: degraded, not an outage.
    expect(html).toContain('<h2 id="overall">Some systems degraded</h2>');
    expect(html).not.toContain('<script');
    const mysql = section(html, 'mysql');
    expect(mysql).toContain('<span class="status degraded">Degraded</span>');
    expect(mysql).toMatch(/<span>Orders database<\/span><span><span class="status down">Down<\/span>/);
    expect(mysql).toMatch(/<span>mysql-replica\.service<\/span><span><span class="status operational">Operational<\/span> <span class="muted">· 75% uptime/);
    const bar = `title="${label(threeDaysAgo)}: 75% up"><span class="visually-hidden">${label(threeDaysAgo)}: 75% up</span>`;
    expect(mysql).toContain(`<li class="bad" ${bar}</li>`);
    expect(mysql).toContain(`title="${label(new Date(+threeDaysAgo - DAY))}: no data"`);
    expect(mysql.match(/<li class="/g)).toHaveLength(90);
    expect(mysql).toContain('75% uptime over the last 90 days');
    expect(section(html, 'nginx')).toContain('<span class="status degraded">Degraded</span>');
    // Monitoring off: not shown; another environment's services: not shown.
    expect(html).not.toContain('cron');
    expect(html).not.toContain('stage-only');

    const json = (await (await get('/status/production.json')).json()) as StatusPage;
    expect(json).toMatchObject({ environment: 'production', title: 'production', status: 'degraded' });
    expect(Date.parse(json.generatedAt)).not.toBeNaN();
    expect(json.groups.map((g) => g.name)).toEqual(['mysql', 'nginx']);
    const group = json.groups[0]!;
    expect(group).toMatchObject({ status: 'degraded', uptimePercentage: 75 });
    expect(group.services).toEqual([
      { name: 'mysql-replica.service', status: 'operational', uptimePercentage: 75 },
      { name: 'Orders database', status: 'down', uptimePercentage: null },
    ]);
    expect(group.days).toHaveLength(90);
    expect(group.days[89]!.date).toBe(label(dayOf(Date.now())));
    expect(group.days[86]).toEqual({ date: label(threeDaysAgo), uptimePercentage: 75 });
    expect(group.days[85]).toEqual({ date: label(new Date(+threeDaysAgo - DAY)), uptimePercentage: null });
    expect(json.groups[1]!.services).toEqual([{ name: HOSTILE, status: 'degraded', uptimePercentage: null }]);
  });

  test('a major outage: more than half of a group down', async () => {
    await seed();
    await ServiceModel.updateOne({ service_id: 'svc_replica_db' }, { $set: { current_status: 'stopped' } });
    await publish();
    const json = (await (await get('/status/production.json')).json()) as StatusPage;
    expect(json.status).toBe('major_outage');
    expect(json.groups[0]!.status).toBe('outage');
    expect(await (await get('/status/production')).text()).toContain('<h2 id="overall">Major outage</h2>');
  });

  test('nothing host-ish or secret: no host id, host name, address, error message, tag or service id', async () => {
    await seed();
    await publish();
    for (const path of ['/status/production', '/status/production.json']) {
      const body = await (await get(path)).text();
      for (const secret of ['host_db_internal', 'db-internal-7', '10.66.77.88', 'ECONNREFUSED', 'hunter2', 'slow upstream', 'payments-secret', 'team:', 'svc_orders_db', 'svc_replica_db', 'svc_web']) {
        expect(body, `${path} shows ${secret}`).not.toContain(secret);
      }
    }
  });

  test('a hostile display name and title are escaped', async () => {
    await seed();
    await publish('<img src=x onerror=alert(1)> "Status" & more');
    const html = await (await get('/status/production')).text();
    expect(html).not.toContain('<img');
    expect(html).not.toContain('<script>alert');
    expect(html).toContain('<h1>&#60;img src=x onerror=alert(1)&#62; &#34;Status&#34; &#38; more</h1>');
    expect(html).toContain('<span>&#60;script&#62;alert(&#34;x&#34;)&#60;/script&#62; &#38; &#39;Web&#39;</span>');
    const json = (await (await get('/status/production.json')).json()) as StatusPage;
    expect(json.title).toBe('<img src=x onerror=alert(1)> "Status" & more');
  });

  test('cacheable: Cache-Control for a minute, an ETag (304 when it matches), and the page kept meanwhile', async () => {
    await seed();
    await publish();
    for (const path of ['/status/production', '/status/production.json', '/status/dev']) {
      expect((await get(path)).headers.get('cache-control'), path).toBe('public, max-age=60');
    }
    const first = await get('/status/production');
    const etag = first.headers.get('etag');
    expect(etag).toMatch(/^"[\w-]+"$/);
    expect(first.headers.get('content-security-policy')).toContain("default-src 'none'");
    const notModified = await get('/status/production', { 'if-none-match': etag! });
    expect(notModified.status).toBe(304);
    // A change of status without a write to the environment: the computed page is served for its minute.
    await ServiceModel.updateOne({ service_id: 'svc_orders_db' }, { $set: { current_status: 'running' } });
    const cached = await get('/status/production');
    expect(cached.headers.get('etag')).toBe(etag);
    expect(await cached.text()).toContain('Some systems degraded');
    const json = await get('/status/production.json');
    expect(json.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(json.headers.get('etag')).not.toBe(etag);
  });
});

describe('Environment.statusPage over GraphQL', () => {
  test('off by default (also for a document the seed wrote, which lacks it); set and read; title at most 100 characters; admins only', async () => {
    await EnvironmentModel.collection.insertOne({ env_name: 'dev', description: 'from the seed', alert_severity: 'low', approval_required: false, created_at: new Date() });
    const seeded = await api.data(EnvironmentStatusPageDocument, { name: 'DEV' }, { as: 'viewer' });
    expect(seeded.environment).toEqual({ name: 'DEV', statusPage: { public: false, title: null } });

    const created = await api.data(CreateEnvironmentWithStatusPageDocument, { input: { name: 'STAGING', statusPage: { public: true, title: 'Acme staging' } } });
    expect(created.createEnvironment.statusPage).toEqual({ public: true, title: 'Acme staging' });
    // A field left out keeps its value.
    const turnedOff = await api.data(SetStatusPageDocument, { name: 'STAGING', statusPage: { public: false } });
    expect(turnedOff.updateEnvironment.statusPage).toEqual({ public: false, title: 'Acme staging' });
    expect(await EnvironmentModel.collection.findOne({ env_name: 'staging' })).toMatchObject({ status_page: { public: false, title: 'Acme staging' } });
    const untitled = await api.data(SetStatusPageDocument, { name: 'DEV', statusPage: { public: true, title: null } });
    expect(untitled.updateEnvironment.statusPage).toEqual({ public: true, title: null });

    expectBadInput(await api.request(SetStatusPageDocument, { name: 'STAGING', statusPage: { title: 'x'.repeat(101) } }), 'statusPage.title');
    expectError(await api.request(SetStatusPageDocument, { name: 'STAGING', statusPage: { public: true } }, { as: 'viewer' }), 'FORBIDDEN');
    expectError(await api.request(SetStatusPageDocument, { name: 'STAGING', statusPage: { public: true } }, { as: 'operator' }), 'FORBIDDEN');
    expect((await api.data(EnvironmentStatusPageDocument, { name: 'STAGING' }, { as: 'viewer' })).environment!.statusPage.public).toBe(false);
  });
});

/** The group's <section>, from its heading to the section's end. */
function section(html: string, group: string): string {
  const start = html.indexOf(`">${group}</h2>`);
  expect(start, `group ${group}`).toBeGreaterThan(0);
  return html.slice(start, html.indexOf('</section>', start));
}
