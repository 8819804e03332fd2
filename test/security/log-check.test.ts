// The log check that scripts/test.ts runs after the suite (test/support/secrets.ts) finds a recorded secret
// wherever it sits in a log line, in whole or (a JWT) by its signature alone, and never prints it.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { checkLogsForSecrets } from '../support/secrets.ts';

const random = (bytes: number) => randomBytes(bytes).toString('base64url');

describe('the log check', () => {
  let dir = '';
  const clientSecret = random(32);
  const jwt = `${random(20)}.${random(60)}.${random(256)}`;
  const linkToken = random(32);
  const line = (fields: Record<string, unknown>) =>
    `${JSON.stringify({ level: 30, time: 1, pid: 1, hostname: 'h', ...fields })}\n`;

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'convene-log-check-'));
    await writeFile(
      path.join(dir, 'secrets-1.tsv'),
      `client secret\t${clientSecret}\naccess token\t${jwt}\ninvitation link token\t${linkToken}\n`,
    );
  });
  after(() => rm(dir, { recursive: true, force: true }));

  test('clean logs pass, and the counts show what was searched', async () => {
    await writeFile(
      path.join(dir, 'app-1-1.log'),
      line({
        msg: 'request completed',
        req: { url: '/invitations/x?token=[redacted]' },
        res: { statusCode: 200 },
      }) +
        // The same tail as the secret, but not the secret: no false alarm.
        line({ msg: `zz${clientSecret.slice(2)}` }),
    );
    const check = checkLogsForSecrets(dir);
    assert.deepEqual(check.leaks, []);
    assert.equal(check.logFiles, 1);
    assert.equal(check.requestLines, 1);
    assert.equal(check.secrets.get('access token (its signature)'), 1);
    assert.equal(check.secrets.get('client secret'), 1);
  });

  test('a secret anywhere in a line, or a JWT by its signature alone, is a leak named by file, line and kind only', async () => {
    await writeFile(
      path.join(dir, 'app-1-2.log'),
      line({ msg: 'request completed', req: { url: `/invitations/x?token=${linkToken}&x=1` } }) +
        line({ msg: 'fine' }) +
        line({ msg: 'oops', err: { message: `bad secret ${clientSecret}` } }) +
        line({ msg: 'half a token', sig: jwt.split('.')[2] }) +
        line({ msg: 'whole token', headers: { authorization: `Bearer ${jwt}` } }),
    );
    const check = checkLogsForSecrets(dir);
    const leaks = check.leaks.map((leak) => leak.replace(`${dir}${path.sep}`, ''));
    assert.deepEqual(leaks.sort(), [
      "app-1-2.log:1: holds a recorded secret of kind 'invitation link token', in a line with the fields level, time, pid, hostname, msg, req",
      "app-1-2.log:3: holds a recorded secret of kind 'client secret', in a line with the fields level, time, pid, hostname, msg, err",
      "app-1-2.log:4: holds a recorded secret of kind 'access token (its signature)', in a line with the fields level, time, pid, hostname, msg, sig",
      "app-1-2.log:5: holds a recorded secret of kind 'access token (its signature)', in a line with the fields level, time, pid, hostname, msg, headers",
      "app-1-2.log:5: holds a recorded secret of kind 'access token', in a line with the fields level, time, pid, hostname, msg, headers",
    ]);
    for (const leak of check.leaks) {
      for (const secret of [clientSecret, jwt, jwt.split('.')[2] as string, linkToken]) {
        assert.ok(!leak.includes(secret), 'the report never shows the secret');
      }
    }
  });
});
