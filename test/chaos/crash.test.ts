// The crash run of scripts/chaos/crash.ts, short: a few hundred writes cut by SIGKILL, on each test engine.
// `npm run test:chaos` runs it longer (and `-- --long` at 1,000 writes).
import { test } from 'node:test';
import { describeCrash, runCrash } from '../../scripts/chaos/crash.ts';
import { testEngines } from '../support/engines.ts';

for (const engine of testEngines()) {
  test(`SIGKILL in the middle of concurrent writes [${engine}]: nothing acknowledged is lost, nothing is half applied, every message is delivered`, {
    timeout: 240_000,
  }, async (t) => {
    const figures = await runCrash({
      engine,
      writes: 150,
      concurrency: 16,
      ...(engine === 'postgres'
        ? { serverUrl: process.env.CONVENE_TEST_DATABASE_URL?.trim() as string }
        : {}),
    });
    t.diagnostic(describeCrash(figures));
  });
}
