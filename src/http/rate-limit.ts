// Abuse limits as fixed-window counters in the store, so they hold across every instance that shares it.
// A hit is one atomic upsert (`INSERT … ON CONFLICT … DO UPDATE SET hits = hits + 1 RETURNING hits`, on
// SQLite ≥ 3.35 and PostgreSQL alike). Counted values are kept only as digests.
import type { Clock } from '../clock.ts';
import type { RateLimitConfig } from '../config.ts';
import { type Db, toCount } from '../db/database.ts';
import { sha256Hex } from '../digest.ts';
import { AppError } from './errors.ts';

export interface RateRule {
  /** Stable name, stored as the counter's scope. */
  scope: string;
  /** Events allowed per window; 0 means no limit. */
  limit: number;
  windowMs: number;
}

export interface RateHit {
  rule: RateRule;
  /** What is counted (a client id, an address, a tenant id); stored only as a digest. */
  key: string;
}

export interface Exceeded {
  rule: RateRule;
  /** Whole seconds until the window of the exceeded rule ends (at least 1). */
  retryAfterSeconds: number;
}

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const SWEEP_EVERY_MS = MINUTE;

/** The rules of the service, named by what they protect; the limits come from the configuration. */
export function rateRules(config: RateLimitConfig) {
  return {
    tokenPerClient: { scope: 'token-client', limit: config.tokenPerClientPerMinute, windowMs: MINUTE },
    tokenPerIp: { scope: 'token-ip', limit: config.tokenPerIpPerMinute, windowMs: MINUTE },
    invitationsPerRecipient: {
      scope: 'invitation-recipient',
      limit: config.invitationsPerRecipientPerDay,
      windowMs: DAY,
    },
    invitationsPerTenant: {
      scope: 'invitation-tenant',
      limit: config.invitationsPerTenantPerDay,
      windowMs: DAY,
    },
    signInPerEmail: { scope: 'sign-in-email', limit: config.signInPerEmailPerHour, windowMs: HOUR },
    signInPerIp: { scope: 'sign-in-ip', limit: config.signInPerIpPerHour, windowMs: HOUR },
  } satisfies Record<string, RateRule>;
}

export type RateRules = ReturnType<typeof rateRules>;

export class RateLimiter {
  private lastSweep = 0;

  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
    readonly rules: RateRules,
  ) {}

  /**
   * Counts one event against each rule and key, and answers the exceeded rule that frees up last (or
   * undefined). Pass the transaction that does the work: a rollback then uncounts it too, so a refused or
   * failed request costs nothing. The hits are made in the order given; callers keep one order per rule
   * set so that concurrent transactions lock counters in the same order.
   */
  async hit(hits: readonly RateHit[], db: Db = this.db): Promise<Exceeded | undefined> {
    const now = this.clock.now().getTime();
    let worst: Exceeded | undefined;
    for (const { rule, key } of hits) {
      if (rule.limit <= 0) continue;
      const windowStart = Math.floor(now / rule.windowMs) * rule.windowMs;
      const windowEnd = windowStart + rule.windowMs;
      const row = await db
        .insertInto('rate_limit_counters')
        .values({
          scope: rule.scope,
          key: sha256Hex(key),
          window_start: new Date(windowStart).toISOString(),
          hits: 1,
          expires_at: new Date(windowEnd).toISOString(),
        })
        .onConflict((oc) =>
          oc
            .columns(['scope', 'key', 'window_start'])
            .doUpdateSet((eb) => ({ hits: eb('rate_limit_counters.hits', '+', 1) })),
        )
        .returning('hits')
        .executeTakeFirstOrThrow();
      if (toCount(row.hits) <= rule.limit) continue;
      const retryAfterSeconds = Math.max(1, Math.ceil((windowEnd - now) / 1000));
      if (worst === undefined || retryAfterSeconds > worst.retryAfterSeconds) {
        worst = { rule, retryAfterSeconds };
      }
    }
    return worst;
  }

  /** Deletes the counters of ended windows; returns how many. */
  async sweep(): Promise<number> {
    const now = this.clock.now();
    this.lastSweep = now.getTime();
    const result = await this.db
      .deleteFrom('rate_limit_counters')
      .where('expires_at', '<=', now.toISOString())
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  /** A sweep at most once a minute per instance; called outside any transaction. */
  async sweepIfDue(): Promise<void> {
    if (this.clock.now().getTime() - this.lastSweep < SWEEP_EVERY_MS) return;
    await this.sweep();
  }
}

/** Seconds as a person reads them: "45 seconds", "12 minutes", "3 hours". */
export function describeWait(seconds: number): string {
  const [amount, unit] =
    seconds < 120
      ? [seconds, 'second']
      : seconds < 2 * 3600
        ? [Math.ceil(seconds / 60), 'minute']
        : [Math.ceil(seconds / 3600), 'hour'];
  return `${amount} ${unit}${amount === 1 ? '' : 's'}`;
}

/** The ErrorResponse of a refused request: 429 with Retry-After. */
export function tooManyRequests(exceeded: Exceeded, reason: string): AppError {
  return new AppError(
    'too_many_requests',
    reason,
    `Wait ${describeWait(exceeded.retryAfterSeconds)} (the Retry-After header) and send the request again.`,
    { headers: { 'Retry-After': String(exceeded.retryAfterSeconds) } },
  );
}
