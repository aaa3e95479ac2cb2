// The public API, called as any third-party page would: fetch, query strings, problem details.

/** The API's base URL: ?api= on the page's URL, else the newsarchive-api meta tag, else
 * the origin the page came from. */
export function apiBase() {
  const given = new URLSearchParams(location.search).get("api")
    || document.querySelector('meta[name="newsarchive-api"]')?.content || "";
  return given.replace(/\/+$/, "");
}

/** Where this page keeps the reader's API key for the API it calls (one key per API, so a
 * key is never sent to another API named by ?api=). */
function keyItem() {
  return `newsarchive-api-key:${apiBase() || location.origin}`;
}

/** The API key this page reads with, or "": kept for this tab (sessionStorage), or on this
 * browser when the reader asked (localStorage); never in the URL, so a shared link has none. */
export function apiKey() {
  return sessionStorage.getItem(keyItem()) || localStorage.getItem(keyItem()) || "";
}

/** Read with `key` from now on; `remember` keeps it after the tab closes. */
export function keepKey(key, remember) {
  forgetKey();
  (remember ? localStorage : sessionStorage).setItem(keyItem(), key);
}

export function forgetKey() {
  sessionStorage.removeItem(keyItem());
  localStorage.removeItem(keyItem());
}

/** An answer the API refused, in words a reader can act on. */
export class ApiProblem extends Error {
  constructor(status, problem) {
    super(describe(status, problem));
    this.status = status;
    this.problem = problem;
  }
}

function describe(status, problem) {
  if (status === 0) return problem.detail;
  const title = problem.title || `Error ${status}`;
  // Validation problems name each parameter; their detail only repeats the list.
  const reasons = (problem.errors || []).map((error) => {
    const where = (error.loc || []).filter((part) => part !== "query" && part !== "body").join(".");
    return `${where ? where + ": " : ""}${error.msg}`;
  });
  const said = reasons.length ? reasons.join("; ") + "." : problem.detail;
  let words = said && said !== title ? `${title}: ${said}` : title;
  if (status === 503 || status === 502) words += " The search service may be down; try again in a moment.";
  return words;
}

/** Query parameters from an object: arrays repeat the name; empty values are left out. */
export function query(params) {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) {
    for (const one of Array.isArray(value) ? value : [value]) {
      if (one !== undefined && one !== null && one !== "" && one !== false) search.append(name, String(one));
    }
  }
  const text = search.toString();
  return text ? `?${text}` : "";
}

/** GET a path of the API as JSON; an error status becomes an ApiProblem. */
export async function get(path, params = {}, { signal } = {}) {
  const url = `${apiBase()}${path}${query(params)}`;
  let response;
  try {
    const headers = { Accept: "application/json" };
    const key = apiKey();
    if (key) headers.Authorization = `Bearer ${key}`;
    response = await fetch(url, { headers, signal });
  } catch (error) {
    if (error.name === "AbortError") throw error;
    throw new ApiProblem(0, { detail: `The API at ${apiBase() || location.origin} cannot be reached (${error.message}).` });
  }
  const type = response.headers.get("content-type") || "";
  const body = type.includes("json") ? await response.json() : { title: await response.text() };
  if (!response.ok) throw new ApiProblem(response.status, body);
  return body;
}
