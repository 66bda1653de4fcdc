#!/usr/bin/env node
import { runSchemaCli } from '../dist/schema-cli.js';

process.exitCode = await runSchemaCli(process.argv.slice(2));
