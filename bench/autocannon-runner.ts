// The fallback load generator when wrk is missing: autocannon (an optional dependency, `npm install
// --no-save autocannon`) in its own process, reading bench/lua/read.lua's request files and printing the
// same BENCHJSON line as the Lua scripts.
import { readFileSync } from 'node:fs';

interface Options {
  hosts: string[];
  args: string[];
  connections: number;
  seconds: number;
}

interface AutocannonResult {
  requests: { total: number };
  duration: number;
  errors: number;
  timeouts: number;
  non2xx: number;
  latency: { p50: number; p90: number; p99: number; p99_9: number; max: number; mean: number };
}

type Autocannon = (options: Record<string, unknown>) => Promise<AutocannonResult>;

async function main(): Promise<void> {
  const options = JSON.parse(process.argv[2] as string) as Options;
  let autocannon: Autocannon;
  try {
    const name = 'autocannon';
    autocannon = ((await import(name)) as { default: Autocannon }).default;
  } catch {
    console.error(
      'Neither wrk nor autocannon is installed: apt-get install wrk, or npm install --no-save autocannon.',
    );
    process.exit(1);
  }
  const tokens: string[] = [];
  const requests: { method: string; path: string; headers: Record<string, string> }[] = [];
  for (const line of readFileSync(options.args[0] as string, 'utf8').split('\n')) {
    if (line.startsWith('T ')) tokens.push(`Bearer ${line.slice(2)}`);
    else if (line.startsWith('R ')) {
      const [, method, token, path] = line.split(' ');
      requests.push({
        method: method as string,
        path: path as string,
        headers: { authorization: tokens[Number(token) - 1] as string },
      });
    }
  }
  const pick = () => requests[Math.floor(Math.random() * requests.length)] as (typeof requests)[number];
  const hosts = options.hosts.map((h) => `http://${h}`);
  const per = Math.max(1, Math.floor(options.connections / hosts.length));
  const results = await Promise.all(
    hosts.map((url) =>
      autocannon({
        url,
        connections: per,
        duration: options.seconds,
        requests: [{ setupRequest: (request: Record<string, unknown>) => ({ ...request, ...pick() }) }],
      }),
    ),
  );
  const total = results.reduce((n, r) => n + r.requests.total, 0);
  const worst = (key: keyof AutocannonResult['latency']) => Math.max(...results.map((r) => r.latency[key]));
  const us = (ms: number) => Math.round(ms * 1000);
  const report = {
    requests: total,
    duration_us: Math.round(Math.max(...results.map((r) => r.duration)) * 1e6),
    bytes: 0,
    errors: {
      connect: results.reduce((n, r) => n + r.errors, 0),
      read: 0,
      write: 0,
      status: results.reduce((n, r) => n + r.non2xx, 0),
      timeout: results.reduce((n, r) => n + r.timeouts, 0),
    },
    latency_us: {
      p50: us(worst('p50')),
      p90: us(worst('p90')),
      p99: us(worst('p99')),
      p999: us(worst('p99_9')),
      max: us(worst('max')),
      mean: us(worst('mean')),
    },
  };
  console.log(`BENCHJSON ${JSON.stringify(report)}`);
}

await main();
