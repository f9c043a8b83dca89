/** The pull-based event queue behind every subscription, and the per-connection budget that bounds it. */
import { describe, expect, test, vi } from 'vitest';
import { eventStream, SendBudget } from '../../src/modules/live/event-stream.js';

function source<T>() {
  let deliver: ((event: T) => void) | null = null;
  const stop = vi.fn(() => (deliver = null));
  return {
    listen: (d: (event: T) => void) => {
      deliver = d;
      return stop;
    },
    push: (event: T) => deliver?.(event),
    stop,
  };
}

describe('eventStream', () => {
  test('yields pushed events in order, whether they arrive before or while it waits', async () => {
    const s = source<number>();
    const stream = eventStream({ listen: s.listen }, null);
    s.push(1);
    const waiting = stream.next();
    expect(await waiting).toEqual({ value: 1, done: false });
    const next = stream.next();
    s.push(2);
    expect(await next).toEqual({ value: 2, done: false });
  });

  test('return() ends a pending next() and stops listening', async () => {
    const s = source<number>();
    const stream = eventStream({ listen: s.listen }, null);
    const pending = stream.next();
    await stream.return!();
    expect(await pending).toEqual({ value: undefined, done: true });
    expect(s.stop).toHaveBeenCalledOnce();
  });

  test('live events arriving during the replay follow it, and those the replay already had are skipped', async () => {
    const s = source<{ id: string }>();
    let finishReplay!: (events: { id: string }[]) => void;
    const stream = eventStream({ listen: s.listen, before: () => new Promise<{ id: string }[]>((resolve) => (finishReplay = resolve)), idOf: (e) => e.id }, null);
    s.push({ id: 'b' });
    s.push({ id: 'c' });
    finishReplay([{ id: 'a' }, { id: 'b' }]);
    const ids = [];
    for (let i = 0; i < 3; i++) ids.push(((await stream.next()).value as { id: string }).id);
    expect(ids).toEqual(['a', 'b', 'c']);
  });
});

describe('SendBudget', () => {
  test('a connection whose queued events pass the limit is dropped once, and its streams end', async () => {
    const dropped = vi.fn();
    const budget = new SendBudget(3, dropped);
    const s = source<number>();
    const stream = eventStream({ listen: s.listen }, budget);
    for (let i = 0; i < 10; i++) s.push(i);
    expect(dropped).toHaveBeenCalledOnce();
    expect(s.stop).toHaveBeenCalledOnce();
    expect(await stream.next()).toEqual({ value: undefined, done: true });
  });

  test('events taken off the queue free their place: a reader keeping up is never dropped', async () => {
    const dropped = vi.fn();
    const budget = new SendBudget(3, dropped);
    const s = source<number>();
    const stream = eventStream({ listen: s.listen }, budget);
    for (let i = 0; i < 100; i++) {
      s.push(i);
      s.push(i);
      await stream.next();
      await stream.next();
    }
    expect(dropped).not.toHaveBeenCalled();
  });

  test('a replay longer than the budget is delivered whole: what the client asked for is not charged', async () => {
    const dropped = vi.fn();
    const budget = new SendBudget(10, dropped);
    const s = source<{ id: string }>();
    const replay = Array.from({ length: 1000 }, (_, i) => ({ id: `r${i}` }));
    const stream = eventStream({ listen: s.listen, before: async () => replay, idOf: (e) => e.id }, budget);
    s.push({ id: 'live' });
    const ids: string[] = [];
    for (let i = 0; i < 1001; i++) ids.push(((await stream.next()).value as { id: string }).id);
    expect(ids.at(0)).toBe('r0');
    expect(ids.at(-1)).toBe('live');
    expect(dropped).not.toHaveBeenCalled();
  });

  test('live events piling up while a replay loads are charged', async () => {
    const dropped = vi.fn();
    const budget = new SendBudget(5, dropped);
    const s = source<{ id: string }>();
    eventStream({ listen: s.listen, before: () => new Promise<{ id: string }[]>(() => {}), idOf: (e) => e.id }, budget);
    for (let i = 0; i < 10; i++) s.push({ id: `live${i}` });
    expect(dropped).toHaveBeenCalledOnce();
  });

  test('the limit counts every subscription of the connection together', () => {
    const dropped = vi.fn();
    const budget = new SendBudget(4, dropped);
    const a = source<number>();
    const b = source<number>();
    eventStream({ listen: a.listen }, budget);
    eventStream({ listen: b.listen }, budget);
    for (let i = 0; i < 3; i++) {
      a.push(i);
      b.push(i);
    }
    expect(dropped).toHaveBeenCalledOnce();
  });
});
