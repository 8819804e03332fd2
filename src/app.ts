// The one composition root: builds the app from its dependencies and never listens. Tests pass their
// own store, clock and configuration; nothing here knows whether it runs under test.
import { randomUUID } from 'node:crypto';
import formbody from '@fastify/formbody';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import Fastify, { type FastifyInstance, type FastifyRequest, type FastifyServerOptions } from 'fastify';
import { type Clock, systemClock } from './clock.ts';
import { communityRoutes } from './communities/community.routes.ts';
import { CommunityService } from './communities/community.service.ts';
import { communityUserRoutes } from './community-users/community-user.routes.ts';
import { CommunityUserService } from './community-users/community-user.service.ts';
import type { Config } from './config.ts';
import type { Store } from './db/database.ts';
import conventions, { frameworkErrors } from './http/conventions.ts';
import { openApiOptions } from './http/openapi.ts';
import { ErrorResponse } from './http/schemas.ts';
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

export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const { config, store } = deps;
  const clock = deps.clock ?? systemClock;
  const app = Fastify({
    logger: deps.logger ?? {
      level: config.logLevel,
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
      serializers: { req: serializeRequest },
    },
    genReqId: () => randomUUID(),
    frameworkErrors,
    bodyLimit: 256 * 1024,
    routerOptions: { caseSensitive: false, ignoreTrailingSlash: true, ignoreDuplicateSlashes: true },
  });
  app.setValidatorCompiler(validatorCompiler());

  const tokens = await TokenService.create(config, clock);
  const auth = new AuthService(store.db, tokens, clock, config);
  const identity = new IdentityService(store.db, clock, config.tokenTtlSeconds);
  const communities = new CommunityService(store.db, clock);
  const communityUsers = new CommunityUserService(store.db, store.engine, communities);
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
  });
  app.decorate('outbox', outbox);

  app.addSchema(ErrorResponse);
  await app.register(swagger, openApiOptions(config.publicUrl));
  await app.register(swaggerUi, { routePrefix: '/docs', uiConfig: { deepLinking: true } });
  await app.register(formbody, { bodyLimit: 16 * 1024 });
  await app.register(conventions);

  app.addHook('onRequest', async (request) => {
    if (request.is404 || request.routeOptions.config?.public === true || request.url.startsWith('/docs'))
      return;
    request.principal = await auth.authenticate(request.headers.authorization);
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
    await identityRoutes(scope, { identity, auth, tokens, publicUrl: config.publicUrl });
    await communityRoutes(scope, { communities });
    await invitationRoutes(scope, { invitations, clock });
    const signIn = new SignInService({
      db: store.db,
      clock,
      tokens,
      publicUrl: config.publicUrl,
      sessionTtlSeconds: config.tokenTtlSeconds,
      onMail: () => outbox.wake(),
    });
    await webRoutes(scope, { invitations, signIn, auth, publicUrl: config.publicUrl });
    await communityUserRoutes(scope, { communityUsers });
  });

  return app;
}
