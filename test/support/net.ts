// A free TCP port on loopback, for the servers tests, chaos runs and the benchmark start (the service, a
// PostgreSQL cluster, an SMTP sink). The port is released before it is returned, so another process could
// take it first; on a test machine that race is rare enough, and the start that loses it fails loudly.
import net from 'node:net';

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => (port ? resolve(port) : reject(new Error('could not pick a free port'))));
    });
  });
}
