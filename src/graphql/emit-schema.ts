import 'reflect-metadata';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { projectRoot } from '../db/paths.js';
import { printInventorySchema } from '../modules/inventory/inventory-schema.js';
import { buildApiSchema, printApiSchema } from './schema.js';

/** `npm run schema`: writes schema/schema.graphql and schema/inventory.schema.json from the code. */
const target = join(projectRoot(), 'schema', 'schema.graphql');
await writeFile(target, printApiSchema(await buildApiSchema()));
process.stdout.write(`wrote ${target}\n`);
const inventory = join(projectRoot(), 'schema', 'inventory.schema.json');
await writeFile(inventory, printInventorySchema());
process.stdout.write(`wrote ${inventory}\n`);
