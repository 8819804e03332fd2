// The baseline: a bare node:http server that answers each benchmark request with the response the service
// gives (same status, headers and body bytes), from objects held in memory (path → object). Mode
// `stringify` serializes the object per request with JSON.stringify, as a service must; mode `bytes` writes
// bytes serialized once at start, the ceiling of any server on this machine.
//
//   node --import tsx bench/baseline-server.ts <fixture.json> <port> <stringify|bytes>
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import http from 'node:http';

export interface FixtureEntry {
  method: 'GET' | 'HEAD';
  path: string;
  status: number;
  /** Headers other than Date, Connection, Keep-Alive, Content-Length and Operation-Id (made per request). */
  headers: Record<string, string>;
  /** The body object (absent for HEAD). */
  body?: unknown;
  /** HEAD: the Content-Length the service sends without a body. */
  contentLength?: string;
}

export interface Fixture {
  /** Fastify's keepAliveTimeout, so the Keep-Alive header is the same. */
  keepAliveTimeoutMs: number;
  entries: FixtureEntry[];
}

interface Route {
  status: number;
  headers: Record<string, string>;
  body?: unknown;
  bytes?: Buffer;
  head: boolean;
  contentLength?: string;
}

function main(): void {
  const [file, portText, mode] = process.argv.slice(2);
  if (file === undefined || portText === undefined || (mode !== 'stringify' && mode !== 'bytes')) {
    console.error('usage: baseline-server.ts <fixture.json> <port> <stringify|bytes>');
    process.exit(2);
  }
  const fixture = JSON.parse(readFileSync(file, 'utf8')) as Fixture;
  const routes = new Map<string, Route>();
  for (const e of fixture.entries) {
    routes.set(`${e.method} ${e.path}`, {
      status: e.status,
      headers: e.headers,
      head: e.method === 'HEAD',
      ...(e.contentLength === undefined ? {} : { contentLength: e.contentLength }),
      ...(mode === 'bytes' && e.body !== undefined
        ? { bytes: Buffer.from(JSON.stringify(e.body)) }
        : { body: e.body }),
    });
  }
  const server = http.createServer((request, response) => {
    const route = routes.get(`${request.method} ${request.url}`);
    if (route === undefined) {
      response.writeHead(404, { 'content-length': '0' }).end();
      return;
    }
    const headers: Record<string, string> = { ...route.headers, 'operation-id': randomUUID() };
    if (route.head) {
      if (route.contentLength !== undefined) headers['content-length'] = route.contentLength;
      response.writeHead(route.status, headers).end();
      return;
    }
    const payload = route.bytes ?? JSON.stringify(route.body);
    headers['content-length'] = String(Buffer.byteLength(payload));
    response.writeHead(route.status, headers).end(payload);
  });
  server.keepAliveTimeout = fixture.keepAliveTimeoutMs;
  server.listen(Number(portText), '127.0.0.1', () => {
    process.stdout.write('ready\n');
  });
  process.on('SIGTERM', () => server.close(() => process.exit(0)));
}

if (process.argv[1]?.endsWith('baseline-server.ts')) main();
