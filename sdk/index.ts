// The eris SDK: a typed client for the coordinator's API (the `eris` CLI is built on it).
export { ErisClient, ErisApiError, type ErisClientOptions, type RequestOptions, type EventsOptions, type WaitOptions } from './client.js';
export { readSse, type SseMessage } from './sse.js';
export { RUN_EVENT_TYPES, isFinalEvent } from './types.js';
export type * from './types.js';
export { ErisError, UnavailableError, TimeoutError } from '../lib/errors.js';
