#!/usr/bin/env node
// In a checkout, run the TypeScript source (Node 24 strips the types); once installed from npm,
// run the compiled dist/ (Node does not strip types under node_modules).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const source = new URL('../src/cli/run.ts', import.meta.url);
const sourcePath = fileURLToPath(source);
const useSource = existsSync(sourcePath) && !sourcePath.split(/[\\/]/).includes('node_modules');
await import(useSource ? source.href : new URL('../dist/cli/run.js', import.meta.url).href);
