// Input validation with two Ajv instances: the query string and path are text, so their values are
// coerced to the schema's types (`?count=5`); a JSON body is typed already, so a wrong type in it is a 400
// rather than silently converted (as an ASP.NET service would answer).
//
// A string in a body must also be text: no NUL (PostgreSQL refuses it in a text column, so the request
// would fail there and succeed on SQLite) and no unpaired surrogate (not Unicode: stored, it would come
// back as U+FFFD; System.Text.Json refuses it too). Either is a 400 like any other invalid property.

import { Ajv, type ValidateFunction } from 'ajv';
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

function isText(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    if (code === 0) return false;
    if (code >= 0xd800 && code <= 0xdfff) {
      const next = value.charCodeAt(i + 1);
      if (code > 0xdbff || !(next >= 0xdc00 && next <= 0xdfff)) return false;
      i++;
    }
  }
  return true;
}

/** The JSON pointer of the first string in `value` that is not text, or undefined. */
function notText(value: unknown, at: string): string | undefined {
  if (typeof value === 'string') return isText(value) ? undefined : at;
  if (typeof value !== 'object' || value === null) return undefined;
  for (const [key, inner] of Object.entries(value)) {
    const found = notText(inner, `${at}/${key}`);
    if (found !== undefined) return found;
  }
  return undefined;
}

function withTextCheck(validate: ValidateFunction): ValidateFunction {
  const check = ((data: unknown, context?: Parameters<ValidateFunction>[1]) => {
    if (!validate(data, context)) {
      check.errors = validate.errors;
      return false;
    }
    const at = notText(data, '');
    const message = 'must not contain a NUL character or an unpaired surrogate';
    check.errors =
      at === undefined
        ? null
        : [{ instancePath: at, schemaPath: '#/text', keyword: 'text', params: {}, message }];
    return at === undefined;
  }) as ValidateFunction;
  // Fastify passes the parent object (so that Ajv may replace the root) only to a function with schemaEnv.
  check.schema = validate.schema;
  check.schemaEnv = validate.schemaEnv;
  return check;
}

export function validatorCompiler(): FastifySchemaCompiler<unknown> {
  const body = ajv(false);
  const text = ajv(true);
  return ({ schema, httpPart }) =>
    httpPart === 'body' ? withTextCheck(body.compile(schema as object)) : text.compile(schema as object);
}
