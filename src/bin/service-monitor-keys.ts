#!/usr/bin/env node
import { keysCommand } from '../cli/keys.js';
import { runCli } from './command-line.js';

runCli('service-monitor-keys', keysCommand);
