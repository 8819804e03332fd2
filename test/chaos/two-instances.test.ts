// Two service processes on one PostgreSQL database (test/chaos/two-instances.ts). PostgreSQL only: SQLite
// serves one instance.
import { test } from 'node:test';
import { describeTwoInstances, runTwoInstances } from './two-instances.ts';

const serverUrl = process.env.CONVENE_TEST_DATABASE_URL?.trim();

test('two instances on one PostgreSQL: racing migrations, one winner per race, every message delivered once', {
  skip: serverUrl ? false : 'PostgreSQL only: CONVENE_TEST_DATABASE_URL is not set (npm test sets it)',
  timeout: 180_000,
}, async (t) => {
  const figures = await runTwoInstances({ serverUrl: serverUrl as string });
  t.diagnostic(describeTwoInstances(figures));
});
