#!/usr/bin/env node
// Stable bin entry: pnpm links it at install time, before dist/ is built.
import '../dist/cli.js';
