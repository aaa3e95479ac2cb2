/**
 * A typed client for the newsarchive API: openapi-fetch over the types generated from
 * openapi.json (src/schema.ts, written by `make openapi`; do not edit it by hand).
 */
import createClient, { type Client } from "openapi-fetch";
import type { components, operations, paths } from "./schema";

export type { components, operations, paths };

type Schemas = components["schemas"];
export type Problem = Schemas["Problem"];
export type SearchResponse = Schemas["SearchResponse"];
export type SearchHit = Schemas["SearchHit"];
export type ArticlePublic = Schemas["ArticlePublic"];
export type EntityDetail = Schemas["EntityDetail"];
export type EntitySummary = Schemas["EntitySummary"];
export type TimelineResponse = Schemas["TimelineResponse"];
export type NewsarchiveClient = Client<paths>;

export interface ClientOptions {
  /** A key from `newsarchive keys create`; reads need none unless REQUIRE_KEY_FOR_READS is set. */
  apiKey?: string;
  /** Another fetch (tests, retries, a proxy); the global one by default. */
  fetch?: typeof globalThis.fetch;
}

/** A client for the API at `baseUrl` (e.g. "http://127.0.0.1:8000"). Every call answers
 * `{data, error, response}`: `data` typed by the operation's response model, `error` by its
 * problem responses (RFC 9457 problem details). */
export function createNewsarchiveClient(
  baseUrl: string,
  options: ClientOptions = {},
): NewsarchiveClient {
  const headers: Record<string, string> = {};
  if (options.apiKey) headers.Authorization = `Bearer ${options.apiKey}`;
  return createClient<paths>({
    baseUrl: baseUrl.replace(/\/+$/, ""),
    headers,
    ...(options.fetch ? { fetch: options.fetch } : {}),
  });
}

/** A problem's words for a person: its detail, else its title. */
export function describeProblem(problem: Problem): string {
  return problem.detail ?? problem.title ?? `HTTP ${problem.status}`;
}
