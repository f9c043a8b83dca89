import 'reflect-metadata';
import { test, expect } from 'vitest';
import { prop, getModelForClass } from '@typegoose/typegoose';
class Thing { @prop({ required: true }) public host_id!: string; @prop() public n?: number }
test('metadata', () => {
  const M = getModelForClass(Thing);
  expect((M.schema.paths.n as any).instance).toBe('Number');
});
