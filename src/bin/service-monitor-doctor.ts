#!/usr/bin/env node
import { dbDoctorCommand } from '../cli/db-doctor.js';
import { runCli } from './command-line.js';

runCli('service-monitor-doctor', dbDoctorCommand);
