// HEAD requests for the load runs. wrk cannot read the answer to a HEAD that carries a Content-Length (it
// waits for a body that never comes), so HEAD scenarios use this minimal keep-alive client instead: one
// process, raw sockets, one request in flight per connection, the request file format of read.lua, and the
// same BENCHJSON line. It spends a few microseconds per request, against the server's hundreds.
//
//   node --import tsx bench/head-load.ts '{"hosts":["127.0.0.1:8080"],"args":["file"],"connections":10,"seconds":3}'
import { readFileSync } from 'node:fs';
import net from 'node:net';

interface Options {
  hosts: string[];
  args: string[];
  connections: number;
  seconds: number;
}

function main(): void {
  const options = JSON.parse(process.argv[2] as string) as Options;
  const tokens: string[] = [];
  const requests: Buffer[] = [];
  for (const line of readFileSync(options.args[0] as string, 'utf8').split('\n')) {
    if (line.startsWith('T ')) tokens.push(line.slice(2));
    else if (line.startsWith('R ')) {
      const [, method, token, path] = line.split(' ');
      requests.push(
        Buffer.from(
          `${method} ${path} HTTP/1.1\r\nHost: bench\r\nAuthorization: Bearer ${tokens[Number(token) - 1]}\r\n\r\n`,
        ),
      );
    }
  }
  const latencies: number[] = [];
  const errors = { connect: 0, read: 0, write: 0, status: 0, timeout: 0 };
  let requestsDone = 0;
  const started = process.hrtime.bigint();
  const deadline = Date.now() + options.seconds * 1000;
  let open = 0;

  const finish = () => {
    const duration = Number(process.hrtime.bigint() - started) / 1000;
    latencies.sort((a, b) => a - b);
    const pct = (p: number) =>
      latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))] ?? 0;
    const mean = latencies.reduce((a, b) => a + b, 0) / Math.max(1, latencies.length);
    const report = {
      requests: requestsDone,
      duration_us: Math.round(duration),
      bytes: 0,
      errors,
      latency_us: {
        p50: Math.round(pct(50)),
        p90: Math.round(pct(90)),
        p99: Math.round(pct(99)),
        p999: Math.round(pct(99.9)),
        max: Math.round(latencies.at(-1) ?? 0),
        mean,
      },
    };
    console.log(`BENCHJSON ${JSON.stringify(report)}`);
    process.exit(0);
  };

  for (let c = 0; c < options.connections; c++) {
    const [host, port] = (options.hosts[c % options.hosts.length] as string).split(':');
    const socket = net.connect(Number(port), host as string);
    socket.setNoDelay(true);
    open++;
    let sentAt = 0n;
    let buffer = '';
    const send = () => {
      if (Date.now() >= deadline) {
        socket.end();
        return;
      }
      sentAt = process.hrtime.bigint();
      socket.write(requests[Math.floor(Math.random() * requests.length)] as Buffer);
    };
    socket.on('connect', send);
    socket.on('data', (chunk: Buffer) => {
      buffer += chunk.toString('latin1');
      // A HEAD answer is its head only: one per blank line.
      let end = buffer.indexOf('\r\n\r\n');
      while (end >= 0) {
        const head = buffer.slice(0, end);
        buffer = buffer.slice(end + 4);
        latencies.push(Number(process.hrtime.bigint() - sentAt) / 1000);
        requestsDone++;
        const status = Number(head.slice(9, 12));
        if (status > 399) errors.status++;
        end = buffer.indexOf('\r\n\r\n');
        send();
      }
    });
    socket.on('error', () => {
      errors.read++;
    });
    socket.on('close', () => {
      if (--open === 0) finish();
    });
  }
  setTimeout(finish, options.seconds * 1000 + 10_000).unref();
}

main();
