#!/usr/bin/env node
// The `convene` command: runs the TypeScript command line through tsx, so it works right after npm install.
import { register } from 'tsx/esm/api';

register();
await import('../src/cli/main.ts');
