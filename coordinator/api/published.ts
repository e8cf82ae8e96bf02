// The OpenAPI documents as committed under schemas/openapi/ (scripts/gen-schema.mjs writes them, a test compares).
import { coordinatorDocument } from './openapi.js';
import { agentDocument } from '../../daemon/api/openapi.js';
import { VERSION } from '../../lib/version.js';

/** Repository-relative path → the text of that file. */
export function openApiTexts(): Record<string, string> {
  const text = (doc: unknown) => `${JSON.stringify(doc, null, 2)}\n`;
  return { 'schemas/openapi/coordinator.json': text(coordinatorDocument(VERSION)), 'schemas/openapi/agent.json': text(agentDocument(VERSION)) };
}
