// The page's state lives in its URL (/?q=...&entity=...&from=...), so a search can be shared,
// bookmarked and reloaded, and the back button walks through what the reader did.

const SINGLE = ["q", "sort", "from", "to", "source", "section", "language", "tag", "view", "id", "slug", "api"];

/** The state a URL names. */
export function readState(search = location.search) {
  const params = new URLSearchParams(search);
  const state = { entity: params.getAll("entity"), duplicates: params.get("duplicates") === "true" };
  for (const name of SINGLE) state[name] = params.get(name) || "";
  return state;
}

/** The URL of a state, keeping only what is set (and the API base, if one was given). */
export function stateUrl(state) {
  const params = new URLSearchParams();
  const api = state.api || new URLSearchParams(location.search).get("api");
  for (const name of SINGLE) if (state[name]) params.set(name, state[name]);
  if (api) params.set("api", api);
  for (const slug of state.entity || []) params.append("entity", slug);
  if (state.duplicates) params.set("duplicates", "true");
  const text = params.toString();
  return `${location.pathname}${text ? "?" + text : ""}`;
}

/** Go to a state: a new history entry (replace for each keystroke of one search). */
export function go(state, { replace = false } = {}) {
  const url = stateUrl(state);
  if (url === location.pathname + location.search) return false;
  history[replace ? "replaceState" : "pushState"](null, "", url);
  return true;
}

/** The /search and /search/timeline parameters of a search state. */
export function searchParams(state) {
  return {
    q: state.q,
    from: state.from,
    to: state.to,
    entity: state.entity,
    source: state.source,
    section: state.section,
    language: state.language,
    tag: state.tag,
    include_duplicates: state.duplicates,
  };
}
