/**
 * The outbox holds each incident transition once, whether it is queued alone or in a host's entry: a sweep after a
 * crash, or a second process, queuing the same incidents grouped differently adds only what is new.
 */
import { expect, test } from 'vitest';
import { enqueue, type OutboxEntry } from '../../src/modules/alerting/outbox.js';
import { NotificationModel } from '../../src/modules/alerting/outbox.model.js';
import { useTestDatabase } from '../helpers/database.js';

useTestDatabase(import.meta.filename);

const now = new Date('2026-12-03T10:00:00Z');
const hostEntry = (ids: string[], channel = 'ch_ops'): OutboxEntry => ({ channel_id: channel, incident_id: ids[0]!, incident_ids: ids, event: 'triggered', group_key: 'host:h1', not_before: now });

async function transitionsStored(): Promise<string[]> {
  const entries = await NotificationModel.find({}, { transitions: 1 }).lean();
  return entries.flatMap((e) => e.transitions ?? []).sort();
}

test("a host's incidents queued together are one entry, with a transition per incident", async () => {
  expect(await enqueue([hostEntry(['inc_a', 'inc_b', 'inc_c'])], 30, now)).toBe(1);
  const entries = await NotificationModel.find().lean();
  expect(entries).toHaveLength(1);
  expect(entries[0]).toMatchObject({ notification_id: 'inc_a:triggered:ch_ops', incident_ids: ['inc_a', 'inc_b', 'inc_c'] });
  expect(await transitionsStored()).toEqual(['inc_a:triggered:ch_ops', 'inc_b:triggered:ch_ops', 'inc_c:triggered:ch_ops']);
});

test('queuing the same incidents again, grouped differently, stores only the new ones', async () => {
  await enqueue([hostEntry(['inc_a', 'inc_b'])], 30, now);
  // A sweep after a crash finds b and c unmarked, with d opened since: only c and d are new.
  expect(await enqueue([hostEntry(['inc_b', 'inc_c', 'inc_d'])], 30, now)).toBe(1);
  const entries = await NotificationModel.find().sort({ created_at: 1, notification_id: 1 }).lean();
  expect(entries.map((e) => e.incident_ids)).toEqual([
    ['inc_a', 'inc_b'],
    ['inc_c', 'inc_d'],
  ]);
  expect(await transitionsStored()).toEqual(['inc_a', 'inc_b', 'inc_c', 'inc_d'].map((id) => `${id}:triggered:ch_ops`));
  // Entirely queued before: nothing is added.
  expect(await enqueue([hostEntry(['inc_d', 'inc_a'])], 30, now)).toBe(0);
  expect(await NotificationModel.countDocuments()).toBe(2);
});

test('the same incidents to another channel are other transitions', async () => {
  await enqueue([hostEntry(['inc_a', 'inc_b'])], 30, now);
  expect(await enqueue([hostEntry(['inc_a', 'inc_b'], 'ch_pager')], 30, now)).toBe(1);
  expect(await NotificationModel.countDocuments()).toBe(2);
});

test('processes queuing overlapping groups at once store every transition exactly once', async () => {
  const ids = Array.from({ length: 60 }, (_, i) => `inc_${String(i).padStart(2, '0')}`);
  // Three "processes", each with its own overlapping slices of the same incidents, in entries of 7.
  const slices = [ids.slice(0, 40), ids.slice(20, 60), ids.filter((_, i) => i % 2 === 0)];
  await Promise.all(slices.map((slice) => enqueue(Array.from({ length: Math.ceil(slice.length / 7) }, (_, k) => hostEntry(slice.slice(k * 7, k * 7 + 7))), 30, now)));
  expect(await transitionsStored()).toEqual(ids.map((id) => `${id}:triggered:ch_ops`));
});

test('entries stored before transitions were recorded still count as queued', async () => {
  await NotificationModel.collection.insertOne({ notification_id: 'inc_old:triggered:ch_ops', channel_id: 'ch_ops', incident_id: 'inc_old', event: 'triggered', group_key: 'host:h1', state: 'sent' } as never);
  expect(await enqueue([hostEntry(['inc_old', 'inc_new'])], 30, now)).toBe(1);
  const added = await NotificationModel.findOne({ notification_id: 'inc_new:triggered:ch_ops' }).lean();
  expect(added?.incident_ids).toEqual(['inc_new']);
});
