#!/usr/bin/env node
import { inventoryCommand } from '../cli/inventory.js';
import { runCli } from './command-line.js';

runCli('service-monitor-inventory', inventoryCommand);
