// Input validation with two Ajv instances: the query string and path are text, so their values are
// coerced to the schema's types (`?count=5`); a JSON body is typed already, so a wrong type in it is a 400
// rather than silently converted (as an ASP.NET service would answer).

import { Ajv } from 'ajv';
import addFormatsModule from 'ajv-formats';
import type { FastifySchemaCompiler } from 'fastify';

// ajv-formats is CommonJS with a default export; under NodeNext its function sits on `.default`.
const addFormats = addFormatsModule.default;

function ajv(coerce: boolean): Ajv {
  const instance = new Ajv({
    coerceTypes: coerce ? 'array' : false,
    useDefaults: true,
    removeAdditional: true,
    allErrors: false,
    strict: false,
  });
  addFormats(instance);
  return instance;
}

export function validatorCompiler(): FastifySchemaCompiler<unknown> {
  const body = ajv(false);
  const text = ajv(true);
  return ({ schema, httpPart }) => (httpPart === 'body' ? body : text).compile(schema as object);
}
