#!/usr/bin/env node
import { migrateConfigCommand } from '../cli/migrate-config.js';
import { runCli } from './command-line.js';

runCli('service-monitor-migrate', migrateConfigCommand);
