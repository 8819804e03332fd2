// The one composition root: builds the app from its dependencies and never listens. Tests pass their
// own store, clock and configuration; nothing here knows whether it runs under test.
import { randomUUID } from 'node:crypto';
import formbody from '@fastify/formbody';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import Fastify, {
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
  type FastifyServerOptions,
  LogController,
} from 'fastify';
import { type Clock, systemClock } from './clock.ts';
import { communityRoutes } from './communities/community.routes.ts';
import { CommunityService } from './communities/community.service.ts';
import { communityUserRoutes } from './community-users/community-user.routes.ts';
import { CommunityUserService } from './community-users/community-user.service.ts';
import type { Config } from './config.ts';
import type { Store } from './db/database.ts';
import conventions, { frameworkErrors } from './http/conventions.ts';
import idempotency from './http/idempotency.ts';
import { openApiOptions } from './http/openapi.ts';
import { RateLimiter, rateRules } from './http/rate-limit.ts';
import { ErrorResponse } from './http/schemas.ts';
import { memoizedSerializers } from './http/serializers.ts';
import { validatorCompiler } from './http/validation.ts';
import { AuthService } from './identity/auth.service.ts';
import { identityRoutes } from './identity/identity.routes.ts';
import { IdentityService } from './identity/identity.service.ts';
import { TokenService } from './identity/token.service.ts';
import { invitationRoutes } from './invitations/invitation.routes.ts';
import { InvitationService } from './invitations/invitation.service.ts';
import { createMailer, type Mailer } from './mail/mailer.ts';
import { OutboxWorker } from './mail/outbox.ts';
import { operationsRoutes } from './operations.routes.ts';
import { SignInService } from './web/sign-in.service.ts';
import { webRoutes } from './web/web.routes.ts';

export interface AppDeps {
  config: Readonly<Config>;
  store: Store;
  clock?: Clock;
  /** Pino options, or false for no logging (the default logs JSON at config.logLevel). */
  logger?: FastifyServerOptions['logger'];
  /** Where mail goes; by default SMTP (CONVENE_SMTP_URL) or .eml files in the mail folder. */
  mailer?: Mailer;
  /** How often the outbox worker polls for due messages (it is also woken after each commit). */
  outboxPollMs?: number;
}

declare module 'fastify' {
  interface FastifyInstance {
    outbox: OutboxWorker;
  }
}

export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'headers.authorization',
  'client_secret',
  'access_token',
  'ClientSecret',
  'Secret',
  '*.client_secret',
  '*.ClientSecret',
  '*.Secret',
];

/** Links carry one-time tokens in the query string (invitation and sign-in links): never log them. */
export const redactUrl = (url: string): string =>
  url.replace(/([?&](?:token|client_secret)=)[^&#]*/gi, '$1[redacted]');

function serializeRequest(request: FastifyRequest) {
  return { method: request.method, url: redactUrl(request.url), remoteAddress: request.ip };
}

/** The service's pino options; tests use them too (at level trace) to prove no secret reaches a log. */
export const loggerOptions = (level: string) => ({
  level,
  redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
  serializers: { req: serializeRequest },
});

/** One log line per request, written when it completes, instead of Fastify's two (a measurable cost). */
class OneLinePerRequest extends LogController {
  override incomingRequest() {}

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply) {
    if (this.isLogDisabled(request)) return;
    if (error) {
      reply.log.error(
        { req: request, res: reply, err: error, responseTime: reply.elapsedTime },
        'request errored',
      );
    } else {
      reply.log.info({ req: request, res: reply, responseTime: reply.elapsedTime }, 'request completed');
    }
  }
}

export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const { config, store } = deps;
  const clock = deps.clock ?? systemClock;
  const app = Fastify({
    logger: deps.logger ?? loggerOptions(config.logLevel),
    genReqId: () => randomUUID(),
    logController: new OneLinePerRequest(),
    frameworkErrors,
    schemaController: { compilersFactory: { buildSerializer: memoizedSerializers() } },
    // Size and time limits (SECURITY.md): bodies, headers (Node answers 431 beyond them), path parameters
    // (a GUID is 36 characters), and the time a client may take to send its whole request (Fastify's
    // default of 0 would switch Node's limit off and let a slow sender hold a connection for ever).
    bodyLimit: 256 * 1024,
    http: { maxHeaderSize: 16 * 1024 },
    requestTimeout: 60_000,
    routerOptions: {
      caseSensitive: false,
      ignoreTrailingSlash: true,
      ignoreDuplicateSlashes: true,
      maxParamLength: 100,
    },
  });
  const validate = validatorCompiler();
  app.setValidatorCompiler(validate);

  const tokens = await TokenService.create(config, clock);
  const auth = new AuthService(store.db, tokens, clock, config);
  const identity = new IdentityService(store.db, clock, config.tokenTtlSeconds);
  const communities = new CommunityService(store.db, clock);
  const communityUsers = new CommunityUserService(store.db, store.engine, communities);
  const limiter = new RateLimiter(store.db, clock, rateRules(config.rateLimits));
  const mailer = deps.mailer ?? createMailer(config);
  const outbox = new OutboxWorker({
    db: store.db,
    engine: store.engine,
    mailer,
    clock,
    log: app.log.child({ component: 'outbox' }),
    ...(deps.outboxPollMs === undefined ? {} : { pollMs: deps.outboxPollMs }),
  });
  const invitations = new InvitationService({
    db: store.db,
    clock,
    communities,
    ttlMs: config.invitationTtlMs,
    publicUrl: config.publicUrl,
    onMail: () => outbox.wake(),
    limiter,
  });
  app.decorate('outbox', outbox);

  app.addSchema(ErrorResponse);
  await app.register(swagger, openApiOptions(config.publicUrl));
  await app.register(swaggerUi, { routePrefix: '/docs', uiConfig: { deepLinking: true } });
  await app.register(formbody, { bodyLimit: 16 * 1024 });
  await app.register(conventions, { validatorCompiler: validate });
  await app.register(idempotency, { db: store.db, clock });

  app.addHook('onRequest', async (request) => {
    // Decided by the route that matched, never by the text of the URL (the documentation's routes are the
    // swagger-ui plugin's, which cannot be marked public).
    const docs = request.routeOptions.url?.startsWith('/docs') === true;
    if (request.is404 || request.routeOptions.config?.public === true || docs) return;
    request.principal = await auth.authenticate(request.headers.authorization);
  });

  // A request the client gave up on gets no completion line; this is its line.
  app.addHook('onRequestAbort', async (request) => {
    request.log.info({ req: request }, 'request aborted by the client');
  });

  // Counters of ended windows are deleted after a response, at most once a minute per instance.
  app.addHook('onResponse', async (request) => {
    await limiter
      .sweepIfDue()
      .catch((error) => request.log.warn({ err: error }, 'rate counter sweep failed'));
  });

  app.addHook('onReady', async () => {
    outbox.start();
  });
  // In-flight requests have finished when onClose runs: stop delivering, then close the store.
  app.addHook('onClose', async () => {
    await outbox.stop();
    mailer.close();
    await store.close();
  });

  await app.register(async (scope) => {
    await operationsRoutes(scope, { store });
    await identityRoutes(scope, { identity, auth, tokens, publicUrl: config.publicUrl, limiter });
    await communityRoutes(scope, { communities });
    await invitationRoutes(scope, { invitations, clock });
    const signIn = new SignInService({
      db: store.db,
      clock,
      tokens,
      publicUrl: config.publicUrl,
      sessionTtlSeconds: config.tokenTtlSeconds,
      onMail: () => outbox.wake(),
      limiter,
    });
    await webRoutes(scope, { invitations, signIn, auth, publicUrl: config.publicUrl });
    await communityUserRoutes(scope, { communityUsers });
  });

  return app;
}
