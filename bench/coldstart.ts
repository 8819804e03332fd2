// Cold start: from spawning the process to the first 200 of an authenticated request, on a migrated
// SQLite database (the first start, which migrates and generates the signing key, is not measured).
import { httpStatus, ServiceInstance, type ServiceOptions, sleep } from './service.ts';

export async function coldStart(
  options: ServiceOptions,
  request: { path: string; token: string },
  runs: number,
): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    const instance = ServiceInstance.spawn(options, `cold start ${options.runtime}`);
    const url = `http://127.0.0.1:${options.port}${request.path}`;
    let status = 0;
    while (performance.now() - started < 30_000) {
      status = await httpStatus(url, { authorization: `Bearer ${request.token}` }).catch(() => 0);
      if (status === 200 || instance.child.exitCode !== null) break;
      await sleep(2);
    }
    const ms = performance.now() - started;
    await instance.stop();
    if (status !== 200)
      throw new Error(`cold start (${options.runtime}) never answered 200:\n${instance.errors}`);
    out.push(ms);
  }
  return out;
}
