/**
 * Checks answers against the OpenAPI document: the schema the document gives for that path,
 * status and media type (ajv, JSON Schema 2020-12 as OpenAPI 3.1 uses it, formats asserted).
 * A status the document does not list for that path is itself a failure.
 */
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { catalog } from '../../src/lambda/catalog.ts';
import { LOCAL_SERVER, openApiDocument } from '../../src/lambda/openapi/document.ts';

type Json = Record<string, any>;
const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => void;

/** `/a/b` → `~1a~1b` (JSON Pointer, RFC 6901). */
const pointer = (s: string) => s.replaceAll('~', '~0').replaceAll('/', '~1');

export class AnswerValidator {
  private readonly ajv = new Ajv2020({ strict: false, allErrors: true });
  private readonly compiled = new Map<string, ReturnType<Ajv2020['compile']>>();

  constructor(readonly document: Json = openApiDocument(catalog().values(), [LOCAL_SERVER])) {
    addFormats(this.ajv);
    this.ajv.addSchema(document, 'openapi.json');
  }

  /**
   * Where the document keeps the schema of this answer, as a JSON Pointer. Paths the document
   * does not have are answered by the gateway's 404 (components/responses/NotFound).
   */
  schemaPointer(method: string, path: string, status: number, mediaType: string): string {
    const operation = this.document.paths[path]?.[method.toLowerCase()];
    let at: string;
    let response: Json | undefined;
    if (!operation) {
      if (status !== 404) throw new Error(`${method} ${path}: not in the document, yet answered ${status}`);
      at = '/components/responses/NotFound';
      response = this.document.components.responses.NotFound;
    } else {
      at = `/paths/${pointer(path)}/${method.toLowerCase()}/responses/${status}`;
      response = operation.responses[String(status)];
      if (!response) throw new Error(`${method} ${path}: status ${status} is not in the document`);
    }
    if (response?.$ref) {
      at = (response.$ref as string).slice(1);
      response = this.document.components.responses[(response.$ref as string).split('/').at(-1)!];
    }
    if (!response?.content?.[mediaType]) throw new Error(`${method} ${path} ${status}: no ${mediaType} content in the document`);
    return `${at}/content/${pointer(mediaType)}/schema`;
  }

  /** Errors (empty when valid) of a body against the document. */
  errors(method: string, path: string, status: number, mediaType: string, body: unknown): string[] {
    const key = this.schemaPointer(method, path, status, mediaType);
    let validate = this.compiled.get(key);
    if (!validate) {
      validate = this.ajv.compile({ $ref: `openapi.json#${key}` });
      this.compiled.set(key, validate);
    }
    return validate(body) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message} ${JSON.stringify(e.params)}`);
  }

  /** Throws unless the HTTP answer matches the document. The response stays readable. */
  async check(response: Response, method = 'GET'): Promise<void> {
    const url = new URL(response.url);
    const mediaType = (response.headers.get('content-type') ?? '').split(';')[0]!.trim();
    const text = await response.clone().text();
    const body = /^application\/([\w.-]+\+)?json$/.test(mediaType) ? JSON.parse(text) : text;
    const errors = this.errors(method, url.pathname, response.status, mediaType, body);
    if (errors.length) throw new Error(`${method} ${url.pathname} ${response.status} does not match the OpenAPI document:\n${errors.join('\n')}\n${text.slice(0, 500)}`);
  }
}

let shared: AnswerValidator | undefined;

/** fetch's answer, checked against the project's OpenAPI document (for `.then(conforms)`). */
export async function conforms(response: Response): Promise<Response> {
  shared ??= new AnswerValidator();
  await shared.check(response);
  return response;
}
