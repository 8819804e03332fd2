// Writes openapi.json from the route schemas, or with --check fails when the committed file has drifted.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildApp } from '../src/app.ts';
import { loadConfig } from '../src/config.ts';
import { openStore } from '../src/db/database.ts';

const target = path.resolve(import.meta.dirname, '..', 'openapi.json');
const dataDir = mkdtempSync(path.join(os.tmpdir(), 'convene-openapi-'));
// A fixed public URL keeps the document independent of the machine that generates it.
const config = loadConfig({ CONVENE_DATA_DIR: dataDir, CONVENE_DATABASE_URL: 'sqlite::memory:' });
const app = await buildApp({ config, store: openStore(config.database), logger: false });
await app.ready();
const generated = `${JSON.stringify(app.swagger(), null, 2)}\n`;
await app.close();
rmSync(dataDir, { recursive: true, force: true });

if (process.argv.includes('--check')) {
  let committed = '';
  try {
    committed = readFileSync(target, 'utf8');
  } catch {
    // A missing file is drift too.
  }
  if (committed !== generated) {
    console.error('openapi.json is out of date with the route schemas: run `npm run openapi` and commit it.');
    process.exit(1);
  }
  console.log('openapi.json matches the route schemas.');
} else {
  writeFileSync(target, generated);
  console.log(`Wrote ${path.relative(process.cwd(), target)}`);
}
