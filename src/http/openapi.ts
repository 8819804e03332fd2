// The OpenAPI document is generated from the route schemas; the committed openapi.json must match it.
import type { SwaggerOptions } from '@fastify/swagger';

export function openApiOptions(publicUrl: string): SwaggerOptions {
  return {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'Convene',
        version: '1.0.0',
        description:
          'Communities, community invitations and community users, compatible with the AVEVA Data Hub Community Invitations and Community Users APIs. Conventions: static path segments match case-insensitively; ids are GUIDs (a malformed id is a 400); output properties are PascalCase and nulls are omitted unless `Accept-Verbosity: verbose`; input property and query parameter names match case-insensitively, unknown ones are ignored and null counts as absent; a JSON body is typed (a number for a string is a 400) and its text must not contain a NUL character or an unpaired surrogate (a 400); lists take `skip` (0–2147483647, default 0) and `count` (1–1000, default 100) and return `Total-Count`; every response carries `Operation-Id`; status precedence is 401, 400 (a path id that is not a GUID), 404, 403, 400 (validation), 409; a body of another type than application/json is a 415.',
      },
      servers: [{ url: publicUrl }],
      components: {
        securitySchemes: {
          bearer: {
            type: 'http',
            scheme: 'bearer',
            bearerFormat: 'JWT',
            description: 'A token from POST /identity/connect/token (client credentials).',
          },
        },
      },
      security: [{ bearer: [] }],
    },
    exposeHeadRoutes: true,
    refResolver: {
      buildLocalReference: (json, _baseUri, _fragment, i) =>
        typeof json.$id === 'string' ? json.$id : `def-${i}`,
    },
  };
}
