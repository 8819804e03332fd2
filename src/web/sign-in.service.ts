// Sign-in for the invitation page by a one-time link mailed to a tenant user's address. The answer never
// tells whether the address matched; links are stored only as hashes, expire after 15 minutes and are
// used once (compare-and-set); a used link becomes a user access token of this service for the session.
import type { Clock } from '../clock.ts';
import type { Db } from '../db/database.ts';
import { emailKey } from '../http/email.ts';
import { type RateLimiter, tooManyRequests } from '../http/rate-limit.ts';
import { findTenant } from '../identity/identity.repository.ts';
import { hashSecret, newSecret } from '../identity/secrets.ts';
import type { TokenService } from '../identity/token.service.ts';
import { enqueue } from '../mail/outbox.ts';
import { signInMail } from './sign-in.emails.ts';
import * as repo from './sign-in.repository.ts';

export const SIGN_IN_LINK_TTL_MS = 15 * 60_000;
/** Unused links one user may hold at once: bounds the mail a stranger can make an address receive. */
const MAX_LIVE_LINKS = 5;
/** How long a dead link is kept, so that opening it again still says "already used" or "expired". */
const KEEP_DEAD_MS = 24 * 3_600_000;

/** Where a link may lead after sign-in: an invitation page of this service, never another site. */
const RETURN_PATH =
  /^\/invitations\/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}(\?token=[A-Za-z0-9_-]{1,200})?$/;

export const isSafeReturnPath = (value: string): boolean => RETURN_PATH.test(value);

export type LinkUse =
  | { ok: true; sessionToken: string; returnTo: string | undefined }
  | { ok: false; reason: 'used' | 'expired' | 'unknown' };

export interface SignInServiceOptions {
  db: Db;
  clock: Clock;
  tokens: TokenService;
  publicUrl: string;
  /** Lifetime of the session's access token (and of its cookie). */
  sessionTtlSeconds: number;
  /** Called after a commit that wrote outbox messages (wakes the delivery worker). */
  onMail: () => void;
  /** Counts link requests per e-mail address and per client address. */
  limiter: RateLimiter;
}

export class SignInService {
  constructor(private readonly o: SignInServiceOptions) {}

  get sessionTtlSeconds(): number {
    return this.o.sessionTtlSeconds;
  }

  /**
   * Mails a link per tenant user whose address this is; silently nothing when there is none. Requests are
   * counted per e-mail address and per client address before the lookup, so a refusal (429) is the same
   * for an address that matches no user.
   */
  async requestLink(email: string, returnTo: string, clientAddress: string): Promise<void> {
    // Not named in the message: the path carries the invitation's link token, and errors are logged.
    if (!isSafeReturnPath(returnTo)) throw new Error('unsafe return path');
    const { rules } = this.o.limiter;
    const exceeded = await this.o.limiter.hit([
      { rule: rules.signInPerEmail, key: emailKey(email) },
      { rule: rules.signInPerIp, key: clientAddress },
    ]);
    if (exceeded !== undefined) {
      throw tooManyRequests(
        exceeded,
        exceeded.rule === rules.signInPerEmail
          ? 'Too many sign-in links were asked for this address.'
          : 'Too many sign-in links were asked for from your network.',
      );
    }
    const users = await repo.findUsersByAddress(this.o.db, email);
    if (users.length === 0) return;
    const now = this.o.clock.now();
    const at = now.toISOString();
    const expiresAt = new Date(now.getTime() + SIGN_IN_LINK_TTL_MS).toISOString();
    const sent = await this.o.db.transaction().execute(async (trx) => {
      await repo.deleteDeadLinks(trx, new Date(now.getTime() - KEEP_DEAD_MS).toISOString());
      const links: { tenantName: string; url: string }[] = [];
      for (const user of users) {
        if ((await repo.countLiveLinks(trx, user.user_id, at)) >= MAX_LIVE_LINKS) continue;
        const token = newSecret();
        await repo.insertLink(trx, {
          token_hash: hashSecret(token),
          user_id: user.user_id,
          tenant_id: user.tenant_id,
          return_to: returnTo,
          expires_at: expiresAt,
          used_at: null,
        });
        links.push({ tenantName: user.tenant_name, url: `${this.o.publicUrl}/sign-in?token=${token}` });
      }
      if (links.length === 0) return false;
      const validMinutes = SIGN_IN_LINK_TTL_MS / 60_000;
      await enqueue(trx, now, [signInMail({ to: email, links, validMinutes })]);
      return true;
    });
    if (sent) this.o.onMail();
  }

  /** Uses a link once: the session token and where to go, or why the link no longer works. */
  async useLink(token: string): Promise<LinkUse> {
    if (!/^[A-Za-z0-9_-]{16,200}$/.test(token)) return { ok: false, reason: 'unknown' };
    const hash = hashSecret(token);
    const at = this.o.clock.now().toISOString();
    const link = await repo.useLink(this.o.db, hash, at);
    if (link === undefined) {
      const dead = await repo.findLink(this.o.db, hash);
      return {
        ok: false,
        reason: dead === undefined ? 'unknown' : dead.used_at !== null ? 'used' : 'expired',
      };
    }
    const sessionToken = await this.o.tokens.sign(
      { kind: 'user', id: link.user_id, tenantId: link.tenant_id },
      this.o.sessionTtlSeconds,
    );
    return {
      ok: true,
      sessionToken,
      returnTo: isSafeReturnPath(link.return_to) ? link.return_to : undefined,
    };
  }

  async tenantName(tenantId: string): Promise<string | undefined> {
    return (await findTenant(this.o.db, tenantId))?.name;
  }
}
