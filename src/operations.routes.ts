// Probes and documentation: served without a token.
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import type { Store } from './db/database.ts';
import { AppError } from './http/errors.ts';
import { errors } from './http/schemas.ts';

const Health = Type.Object(
  { Status: Type.String({ description: 'Live or Ready.' }) },
  { description: 'Probe answer.' },
);

export async function operationsRoutes(app: FastifyInstance, deps: { store: Store }): Promise<void> {
  const publicRoute = { public: true };
  app.get(
    '/health/live',
    {
      config: publicRoute,
      schema: { tags: ['Operations'], summary: 'Liveness probe', security: [], response: { 200: Health } },
    },
    async () => ({ Status: 'Live' }),
  );
  app.get(
    '/health/ready',
    {
      config: publicRoute,
      schema: {
        tags: ['Operations'],
        summary: 'Readiness probe (checks the store)',
        security: [],
        response: { 200: Health, ...errors(503) },
      },
    },
    async () => {
      try {
        await deps.store.version();
      } catch (error) {
        throw new AppError('unavailable', 'The store does not answer.', 'Check the database and retry.', {
          cause: error,
        });
      }
      return { Status: 'Ready' };
    },
  );
  app.get('/openapi.json', { config: publicRoute, schema: { hide: true } }, async () => app.swagger());
}
