import 'reflect-metadata';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { projectRoot } from '../db/paths.js';
import { buildApiSchema, printApiSchema } from './schema.js';

/** `npm run schema`: writes schema/schema.graphql from the code. */
const target = join(projectRoot(), 'schema', 'schema.graphql');
await writeFile(target, printApiSchema(await buildApiSchema()));
process.stdout.write(`wrote ${target}\n`);
