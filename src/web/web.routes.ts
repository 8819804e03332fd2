// The pages a person opens from an invitation e-mail, as one route table. They are public routes (no
// bearer token): the person signs in with a mailed one-time link, and the session cookie then carries a
// user access token that resolves to a Principal exactly as the API's bearer token does. Every answer is
// HTML with strict security headers, errors included.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { toAppError } from '../http/conventions.ts';
import { normaliseEmail } from '../http/email.ts';
import { AppError } from '../http/errors.ts';
import { describeWait } from '../http/rate-limit.ts';
import { isGuid } from '../http/schemas.ts';
import type { AuthService } from '../identity/auth.service.ts';
import type { Principal } from '../identity/principal.ts';
import type { InvitationService } from '../invitations/invitation.service.ts';
import { FAVICON, STYLESHEET } from './assets.ts';
import {
  checkMailPage,
  errorPage,
  forbiddenFormPage,
  type InvitationFacts,
  invitationPage,
  invitationPath,
  type Notice,
  notFoundPage,
  type Page,
  type PageContext,
  signedInPage,
  signedOutPage,
  signInLinkProblemPage,
  supersededPage,
  type Viewer,
} from './pages.ts';
import {
  clearCookie,
  cookieNames,
  csrfMatches,
  newCsrfToken,
  readCookie,
  sameOriginRequest,
  setCookie,
} from './session.ts';
import { isSafeReturnPath, type SignInService } from './sign-in.service.ts';

export interface WebDeps {
  invitations: InvitationService;
  signIn: SignInService;
  auth: AuthService;
  publicUrl: string;
}

export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy':
    "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  'x-content-type-options': 'nosniff',
  // The invitation token travels in the page's URL: no other site may see it in a Referer.
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
  'x-frame-options': 'DENY',
  'cross-origin-opener-policy': 'same-origin',
};

const HTML_TYPE = 'text/html; charset=utf-8';
const LINK_TOKEN = /^[A-Za-z0-9_-]{1,200}$/;
const pageRoute = { config: { public: true }, schema: { hide: true } } as const;

interface Session {
  principal: Principal;
  viewer: Viewer;
}

type Form = Record<string, string | undefined>;

/** The first value of each field of a urlencoded form; anything else reads as an empty form. */
function formOf(request: FastifyRequest): Form {
  const body = request.body;
  if (typeof body !== 'object' || body === null) return {};
  const out: Form = {};
  for (const [key, value] of Object.entries(body as Record<string, unknown>)) {
    const first = Array.isArray(value) ? value[0] : value;
    if (typeof first === 'string') out[key] = first;
  }
  return out;
}

function queryToken(request: FastifyRequest): string | undefined {
  const token = (request.query as Record<string, unknown> | undefined)?.token;
  return typeof token === 'string' && LINK_TOKEN.test(token) ? token : undefined;
}

export async function webRoutes(app: FastifyInstance, deps: WebDeps): Promise<void> {
  const { invitations, signIn, auth } = deps;
  const cookies = cookieNames(deps.publicUrl);
  const publicOrigin = new URL(deps.publicUrl).origin;

  const send = (reply: FastifyReply, page: Page) => reply.code(page.status).type(HTML_TYPE).send(page.body);

  /** The CSRF token of this browser, issued on first sight. */
  function csrfOf(request: FastifyRequest, reply: FastifyReply): string {
    const existing = readCookie(request, cookies.csrf);
    if (existing !== undefined && existing.length >= 32) return existing;
    const token = newCsrfToken();
    setCookie(reply, cookies.csrf, token, { secure: cookies.secure });
    return token;
  }

  /** The signed-in user, or undefined (a session that no longer authenticates is cleared). */
  async function sessionOf(request: FastifyRequest, reply: FastifyReply): Promise<Session | undefined> {
    const token = readCookie(request, cookies.session);
    if (token === undefined) return undefined;
    let principal: Principal;
    try {
      principal = await auth.authenticate(`Bearer ${token}`);
    } catch (error) {
      if (!(error instanceof AppError) || error.status !== 401) throw error;
      clearCookie(reply, cookies.session, cookies.secure);
      return undefined;
    }
    if (principal.kind !== 'user') return undefined;
    const tenantName = (await signIn.tenantName(principal.tenantId)) ?? 'your organisation';
    return {
      principal,
      viewer: {
        email: principal.email,
        tenantId: principal.tenantId,
        tenantName,
        tenantAdmin: principal.tenantAdmin,
      },
    };
  }

  /** Double submit, and the browser's own word on where the post comes from. */
  function formAccepted(request: FastifyRequest, form: Form): boolean {
    return (
      sameOriginRequest(request, publicOrigin) && csrfMatches(readCookie(request, cookies.csrf), form.csrf)
    );
  }

  type Link =
    | { kind: 'missing' }
    | { kind: 'superseded' }
    | { kind: 'found'; facts: InvitationFacts; path: string };

  /** The invitation behind a link (id and token), checked against the current token. */
  async function linkOf(rawId: string, token: string | undefined): Promise<Link> {
    if (!isGuid(rawId) || token === undefined || !LINK_TOKEN.test(token)) return { kind: 'missing' };
    const id = rawId.toLowerCase();
    const found = await invitations.byLink(id, token);
    if (found === undefined) return { kind: 'missing' };
    if (!found.current) return { kind: 'superseded' };
    const i = found.invitation;
    return {
      kind: 'found',
      path: invitationPath(id, token),
      facts: {
        id,
        token,
        communityName: i.community_name,
        issuerName: found.issuerName,
        recipient: i.recipient,
        state: found.state,
        expiresAt: i.expires_at,
        acceptedTenantName: i.accepted_tenant_name,
        invitedTenantId: i.invited_tenant_id,
      },
    };
  }

  await app.register(async (web) => {
    web.addHook('onRequest', async (_request, reply) => {
      reply.headers(SECURITY_HEADERS);
    });

    // Whatever fails inside a page (a body too large, the store) is still answered as a page.
    web.setErrorHandler((error, request, reply) => {
      const appError = toAppError(error);
      if (appError.status >= 500) request.log.error({ err: error }, 'page failed');
      return send(reply, errorPage(appError.status, appError.title, appError.reason, appError.resolution));
    });

    web.get('/assets/convene.css', pageRoute, async (_request, reply) =>
      reply.header('cache-control', 'public, max-age=3600').type('text/css; charset=utf-8').send(STYLESHEET),
    );
    web.get('/assets/favicon.svg', pageRoute, async (_request, reply) =>
      reply.header('cache-control', 'public, max-age=86400').type('image/svg+xml').send(FAVICON),
    );

    web.get<{ Params: { invitationId: string } }>(
      '/invitations/:invitationId',
      pageRoute,
      async (request, reply) => {
        const link = await linkOf(request.params.invitationId, queryToken(request));
        const csrf = csrfOf(request, reply);
        const session = await sessionOf(request, reply);
        const context: PageContext = { csrf, ...(session ? { viewer: session.viewer } : {}) };
        if (link.kind === 'missing') return send(reply, notFoundPage(context));
        if (link.kind === 'superseded') return send(reply, supersededPage(context));
        return send(reply, invitationPage(link.facts, { ...context, here: link.path }));
      },
    );

    web.post<{ Params: { invitationId: string } }>(
      '/invitations/:invitationId/sign-in',
      pageRoute,
      async (request, reply) => {
        const form = formOf(request);
        const csrf = csrfOf(request, reply);
        if (!formAccepted(request, form)) return send(reply, forbiddenFormPage({ csrf }));
        const link = await linkOf(request.params.invitationId, form.token);
        if (link.kind === 'missing') return send(reply, notFoundPage({ csrf }));
        if (link.kind === 'superseded') return send(reply, supersededPage({ csrf }, 409));
        const email = normaliseEmail(form.email ?? '');
        if (email === undefined) {
          const notice: Notice = {
            kind: 'error',
            title: 'That is not an e-mail address.',
            text: 'Enter the address you use for your organisation, such as name@example.com.',
          };
          return send(
            reply,
            invitationPage(link.facts, { csrf, notice }, { email: (form.email ?? '').slice(0, 254) }, 400),
          );
        }
        try {
          await signIn.requestLink(email, link.path, request.ip);
        } catch (error) {
          if (!(error instanceof AppError) || error.code !== 'too_many_requests') throw error;
          // The form again, saying so: a page, as everything here, with the wait in Retry-After too.
          const notice: Notice = {
            kind: 'error',
            title: 'Too many sign-in links were asked for.',
            text: error.reason,
            resolution: `Try again in ${describeWait(Number(error.headers['Retry-After']))}. A link already mailed to you still works until it expires.`,
          };
          reply.headers(error.headers);
          return send(reply, invitationPage(link.facts, { csrf, notice }, { email }, error.status));
        }
        return send(reply, checkMailPage(email, link.path, { csrf }));
      },
    );

    const answer = (action: 'Accept' | 'Decline') =>
      async function handler(
        request: FastifyRequest<{ Params: { invitationId: string } }>,
        reply: FastifyReply,
      ) {
        const form = formOf(request);
        const csrf = csrfOf(request, reply);
        if (!formAccepted(request, form)) return send(reply, forbiddenFormPage({ csrf }));
        const link = await linkOf(request.params.invitationId, form.token);
        if (link.kind === 'missing') return send(reply, notFoundPage({ csrf }));
        if (link.kind === 'superseded') return send(reply, supersededPage({ csrf }, 409));
        const session = await sessionOf(request, reply);
        if (session === undefined) {
          const notice: Notice = {
            kind: 'error',
            title: 'You are not signed in.',
            text: 'Your session has ended or you have not signed in yet.',
            resolution: 'Sign in again below; then answer the invitation.',
          };
          return send(reply, invitationPage(link.facts, { csrf, notice }, {}, 401));
        }
        const contactEmail = form.contactEmail;
        try {
          await invitations.process(session.principal, link.facts.id, () =>
            action === 'Accept'
              ? { Action: 'Accept', ...(contactEmail === undefined ? {} : { ContactEmail: contactEmail }) }
              : { Action: 'Decline' },
          );
        } catch (error) {
          if (!(error instanceof AppError)) throw error;
          // Show the invitation as it is now, with the service's reason for refusing.
          const now = await linkOf(link.facts.id, link.facts.token);
          const facts = now.kind === 'found' ? now.facts : link.facts;
          const notice: Notice = {
            kind: 'error',
            title: `The invitation could not be ${action === 'Accept' ? 'accepted' : 'declined'}.`,
            text: error.reason,
            resolution: error.resolution,
          };
          const context: PageContext = { csrf, viewer: session.viewer, here: link.path, notice };
          return send(
            reply,
            invitationPage(
              facts,
              context,
              contactEmail === undefined ? {} : { contactEmail: contactEmail.slice(0, 254) },
              error.status,
            ),
          );
        }
        // Post/redirect/get: the invitation page shows the new state, and a reload sends nothing again.
        return reply.redirect(link.path, 303);
      };
    web.post('/invitations/:invitationId/accept', pageRoute, answer('Accept'));
    web.post('/invitations/:invitationId/decline', pageRoute, answer('Decline'));

    web.get('/sign-in', pageRoute, async (request, reply) => {
      const token = queryToken(request);
      const used = token === undefined ? undefined : await signIn.useLink(token);
      if (used === undefined || !used.ok)
        return send(reply, signInLinkProblemPage(used?.reason ?? 'unknown'));
      setCookie(reply, cookies.session, used.sessionToken, {
        secure: cookies.secure,
        maxAgeSeconds: signIn.sessionTtlSeconds,
      });
      // A new session gets a new CSRF token, so no token known before the sign-in works after it.
      const csrf = newCsrfToken();
      setCookie(reply, cookies.csrf, csrf, { secure: cookies.secure });
      if (used.returnTo !== undefined) return reply.redirect(used.returnTo, 303);
      return send(reply, signedInPage({ csrf }));
    });

    web.post('/sign-out', pageRoute, async (request, reply) => {
      const form = formOf(request);
      const csrf = csrfOf(request, reply);
      if (!formAccepted(request, form)) return send(reply, forbiddenFormPage({ csrf }));
      clearCookie(reply, cookies.session, cookies.secure);
      setCookie(reply, cookies.csrf, newCsrfToken(), { secure: cookies.secure });
      const returnTo = form.returnTo;
      if (returnTo !== undefined && isSafeReturnPath(returnTo)) return reply.redirect(returnTo, 303);
      return send(reply, signedOutPage());
    });
  });
}
