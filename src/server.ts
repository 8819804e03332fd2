// The process: configuration → store → migrations → app → listen, and a graceful shutdown on
// SIGTERM/SIGINT (stop accepting, finish in-flight requests, close the store).
import { buildApp } from './app.ts';
import { ConfigError, loadConfig } from './config.ts';
import { openStore } from './db/database.ts';
import { migrateToLatest } from './db/migrate.ts';

async function main(): Promise<void> {
  const config = loadConfig();
  const store = openStore(config.database);
  await migrateToLatest(store.db);
  const app = await buildApp({ config, store });

  let closing = false;
  const shutdown = (signal: string) => {
    if (closing) return;
    closing = true;
    app.log.info({ signal }, 'shutting down');
    const force = setTimeout(() => process.exit(1), 10_000);
    force.unref();
    app.close().then(
      () => process.exit(0),
      (error: unknown) => {
        app.log.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));

  await app.listen({ host: config.host, port: config.port });
  app.log.info({ store: store.engine, publicUrl: config.publicUrl }, 'convene is serving');
}

main().catch((error: unknown) => {
  // A configuration error is the operator's to fix: print it plainly, without a stack.
  console.error(error instanceof ConfigError ? error.message : error);
  process.exit(1);
});
