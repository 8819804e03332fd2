// Fuzzing from the OpenAPI document, on each engine: 5,000 seeded requests over every route and method,
// each answer held to the contract (see fuzz.ts). FUZZ_SEED and FUZZ_REQUESTS override the defaults, to
// reproduce a failure (a failure line names its seed and request number) or to widen a run.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { describeEachEngine } from '../support/app.ts';
import { DEFAULT_SEED, runFuzz, summarize } from './fuzz.ts';

function whole(name: string, fallback: number): number {
  const raw = process.env[name]?.trim();
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value < 0)
    throw new Error(`${name} must be a whole number, not ${raw}`);
  return value;
}

const seed = whole('FUZZ_SEED', DEFAULT_SEED);
const requests = whole('FUZZ_REQUESTS', 5000);

describeEachEngine('fuzzing from the OpenAPI document', (t) => {
  test(`${requests} requests over every operation answer as declared, never 5xx, and rejected writes change nothing`, async () => {
    const result = await runFuzz(t(), { requests, seed });
    console.log(`[${t().engine}] ${summarize(result)}`);
    if (result.operations.neverSucceeded.length > 0) {
      console.log(`[${t().engine}] never answered 2xx: ${result.operations.neverSucceeded.join(', ')}`);
    }
    assert.equal(result.requests, requests);
    assert.equal(
      result.failureCount,
      0,
      `${result.failureCount} failures (reproduce with FUZZ_SEED=${result.seed} FUZZ_REQUESTS=${requests}):\n` +
        result.failures.slice(0, 30).join('\n'),
    );
  });
});
