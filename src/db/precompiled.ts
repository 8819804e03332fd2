// Precompiled queries for the hot paths. Building and compiling a Kysely query costs more than running it
// on SQLite (a third of an authenticated GET's CPU, measured in bench/README.md), so a query that runs on
// every request is built once per engine with named placeholders and afterwards only its parameters change.
// It still runs through Kysely's executor, so it takes part in transactions and in SQLite's connection
// lock like any other query; the SQL text is one string object, so the statement cache finds it cheaply.
import type { Compilable, CompiledQuery } from 'kysely';
import type { Db } from './database.ts';

const MARK = '\u0000convene-parameter:';

interface Compiled {
  /** The query as Kysely compiled it, with placeholders for parameters. */
  query: CompiledQuery<unknown>;
  /** Per parameter position: the name of a placeholder, or a constant the query was built with. */
  slots: ({ name: string } | { value: unknown })[];
}

/**
 * `build` receives placeholders in place of its parameters and must use each only as a bound value (in a
 * comparison, `limit` or `offset`), never in JavaScript logic: it runs once, not per call. Queries whose
 * shape depends on their arguments (an `in` list, an optional filter) are not for this.
 */
export function precompiled<P extends object, Row>(
  build: (db: Db, parameters: P) => Compilable<Row>,
): (db: Db, parameters: P) => Promise<Row[]> {
  // Keyed by the dialect adapter, which a Kysely instance shares with its transactions.
  const byAdapter = new WeakMap<object, Compiled>();
  const placeholders = new Proxy({} as P, {
    get: (_target, name) => `${MARK}${String(name)}`,
  });
  return async (db, parameters) => {
    const executor = db.getExecutor();
    // A plugin (withSchema, withPlugin…) would change the SQL per instance while sharing the adapter.
    if (executor.plugins.length > 0)
      throw new Error('A precompiled query cannot run through Kysely plugins.');
    const adapter = executor.adapter;
    let compiled = byAdapter.get(adapter);
    if (compiled === undefined) {
      const query = build(db, placeholders).compile();
      compiled = {
        query,
        slots: query.parameters.map((value) =>
          typeof value === 'string' && value.startsWith(MARK)
            ? { name: value.slice(MARK.length) }
            : { value },
        ),
      };
      byAdapter.set(adapter, compiled);
    }
    const values = compiled.slots.map((slot) => {
      if (!('name' in slot)) return slot.value;
      const value = (parameters as Record<string, unknown>)[slot.name];
      // A placeholder the builder transformed (say, lowercased) names no parameter: never bind undefined.
      if (value === undefined)
        throw new Error(`No value for the precompiled query's parameter '${slot.name}'.`);
      return value;
    });
    // The compiled query (its text, its syntax tree) with this call's values bound in place of the placeholders.
    const bound = { ...compiled.query, parameters: values } as CompiledQuery<Row>;
    return (await db.executeQuery(bound)).rows;
  };
}

/** As precompiled, for a query that finds at most one row. */
export function precompiledFirst<P extends object, Row>(
  build: (db: Db, parameters: P) => Compilable<Row>,
): (db: Db, parameters: P) => Promise<Row | undefined> {
  const run = precompiled(build);
  return async (db, parameters) => (await run(db, parameters))[0];
}
