// Small helpers every route table uses: the caller, deferred input and the Total-Count header.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Principal } from '../identity/principal.ts';
import { type Input, validInput } from './input.ts';
import type { Paging } from './schemas.ts';

declare module 'fastify' {
  interface FastifyRequest {
    principal?: Principal;
  }
}

export function principalOf(request: FastifyRequest): Principal {
  if (request.principal === undefined) throw new Error('route is public but asks for a principal');
  return request.principal;
}

export function pagingOf(request: FastifyRequest): Input<Paging> {
  return () => {
    const query = validInput(request).query as { skip?: number; count?: number };
    return { skip: query.skip ?? 0, count: query.count ?? 100 };
  };
}

export function bodyOf<T>(request: FastifyRequest): Input<T> {
  return () => validInput(request).body as T;
}

export function withTotal<T>(reply: FastifyReply, page: { items: T[]; total: number }): T[] {
  reply.header('Total-Count', page.total);
  return page.items;
}
