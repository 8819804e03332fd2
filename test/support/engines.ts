// Which storage engines a test file runs against, and a fresh store configuration for each.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createTestDatabase } from './postgres.ts';

export type Engine = 'sqlite' | 'postgres';

export interface TestDatabaseConfig {
  database: { kind: 'sqlite'; path: string } | { kind: 'postgres'; url: string };
  dataDir: string;
  cleanup(): Promise<void>;
}

const ENGINES: readonly Engine[] = ['sqlite', 'postgres'];

function serverUrl(): string | undefined {
  const url = process.env.CONVENE_TEST_DATABASE_URL?.trim();
  return url ? url : undefined;
}

/** CONVENE_TEST_ENGINES (comma-separated), else sqlite plus postgres when a server URL is given. */
export function testEngines(): Engine[] {
  const raw = process.env.CONVENE_TEST_ENGINES?.trim();
  if (!raw) return serverUrl() ? ['sqlite', 'postgres'] : ['sqlite'];
  const engines = [
    ...new Set(
      raw
        .split(',')
        .map((name) => name.trim())
        .filter(Boolean),
    ),
  ];
  for (const engine of engines) {
    if (!ENGINES.includes(engine as Engine)) {
      throw new Error(
        `CONVENE_TEST_ENGINES: unknown engine ${JSON.stringify(engine)} (use sqlite, postgres)`,
      );
    }
  }
  // Fail loudly rather than silently skipping the PostgreSQL half of the suite.
  if (engines.includes('postgres') && !serverUrl()) {
    throw new Error('CONVENE_TEST_ENGINES includes postgres but CONVENE_TEST_DATABASE_URL is not set');
  }
  return engines as Engine[];
}

export async function testDatabaseConfig(engine: Engine): Promise<TestDatabaseConfig> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'convene-test-'));
  const removeDir = () => rm(dataDir, { recursive: true, force: true });

  if (engine === 'sqlite') {
    return {
      database: { kind: 'sqlite', path: path.join(dataDir, 'convene.sqlite') },
      dataDir,
      cleanup: removeDir,
    };
  }

  const url = serverUrl();
  if (!url) {
    await removeDir();
    throw new Error('postgres tests need CONVENE_TEST_DATABASE_URL (npm test sets it)');
  }
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  try {
    db = await createTestDatabase(url);
  } catch (error) {
    await removeDir();
    throw error;
  }
  return {
    database: { kind: 'postgres', url: db.url },
    dataDir,
    async cleanup() {
      try {
        await db.drop();
      } finally {
        await removeDir();
      }
    },
  };
}
