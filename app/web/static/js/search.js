// The search view: hits as you type, facets that filter, a timeline, more hits as you scroll.
import { get } from "./api.js";
import { drawCounts } from "./chart.js";
import { day, el, link, marked, POST, PRE } from "./dom.js";
import { searchParams, stateUrl } from "./state.js";

const PER_PAGE = 20;
const FACETS = ["source", "entity", "month", "section", "tag"];
const FACET_TITLES = { source: "Sources", entity: "Entities", month: "Months", section: "Sections", tag: "Tags" };

/** Entity names by slug, learnt from hits, chips and autocomplete. */
export const entityNames = new Map();

let current = null; // {state, next, page, controller, loading, done}

function order(state) {
  return state.sort || (state.q ? "relevance" : "newest");
}

function request(run) {
  const sort = order(run.state);
  const params = {
    ...searchParams(run.state),
    sort,
    per_page: PER_PAGE,
    highlight: true,
    highlight_pre_tag: PRE,
    highlight_post_tag: POST,
    crop_length: 30,
  };
  // Relevance pages by number; newest and oldest walk a cursor (no depth limit).
  if (sort === "relevance") params.page = run.page;
  else params.cursor = run.next || "*";
  if (run.page === 1) params.facets = FACETS;
  return params;
}

/** Search for `state` from its first page; `show` reports problems. */
export async function runSearch(state, show) {
  current?.controller.abort();
  const run = { state, page: 1, next: null, controller: new AbortController(), loading: false, done: false };
  current = run;
  document.getElementById("hits").replaceChildren();
  document.getElementById("more").hidden = true;
  document.getElementById("summary").textContent = "Searching…";
  const timeline = drawTimeline(run);
  await loadPage(run, show);
  await timeline;
}

/** The next page of the current search, if there is one (scrolling or the button). */
export async function loadMore(show) {
  if (current && !current.loading && !current.done) await loadPage(current, show);
}

async function loadPage(run, show) {
  run.loading = true;
  const hits = document.getElementById("hits");
  hits.setAttribute("aria-busy", "true");
  try {
    const answer = await get("/search", request(run), { signal: run.controller.signal });
    if (run !== current) return;
    show(null);
    for (const hit of answer.hits) {
      for (const entity of hit.entities || []) entityNames.set(entity.slug, entity.name);
    }
    if (run.page === 1) {
      renderSummary(answer, run.state);
      renderFacets(answer.facets || {}, run.state);
    }
    hits.append(...answer.hits.map(renderHit));
    run.page += 1;
    run.next = answer.next;
    const shown = hits.children.length;
    const cursorEnd = order(run.state) !== "relevance" && !answer.next;
    run.done = cursorEnd || shown >= answer.total || !answer.hits.length;
    document.getElementById("more").hidden = run.done;
    hits.dataset.count = String(shown);
  } catch (error) {
    if (error.name === "AbortError" || run !== current) return;
    run.done = true;
    document.getElementById("more").hidden = true;
    if (run.page > 1 && error.status === 422 && order(run.state) === "relevance") {
      // Best-match pages stop at the index's depth limit; a date order walks everything.
      hits.append(el("li", { class: "note" }, "No deeper pages by best match: sort by newest or oldest to see every result."));
      return;
    }
    document.getElementById("summary").textContent = "";
    show(error);
  } finally {
    run.loading = false;
    hits.removeAttribute("aria-busy");
  }
}

function renderSummary(answer, state) {
  const words = answer.total === 1 ? "1 article" : `${answer.total.toLocaleString()} articles`;
  const warnings = (answer.query.warnings || []).join(" ");
  document.getElementById("summary").textContent =
    `${words}${state.q ? ` for “${state.q}”` : ""}, ${order(state) === "relevance" ? "best match first" : order(state) + " first"}. ${warnings}`.trim();
}

function renderHit(hit) {
  const highlights = hit._highlights || {};
  const snippet = highlights.body || highlights.summary || hit.summary || "";
  const meta = [hit.source, hit.section, day(hit.published_at)].filter(Boolean).join(" · ");
  return el("li", { class: "hit" },
    el("h3", {}, link(stateUrl({ view: "article", id: String(hit.id) }), marked(highlights.title || hit.title || "(untitled)"))),
    el("p", { class: "meta" }, meta, hit.cluster_size > 1 ? ` · ${hit.cluster_size} copies of this story` : "",
      hit.duplicate_of ? ` · exact copy of article ${hit.duplicate_of}` : ""),
    snippet ? el("p", { class: "snippet" }, marked(snippet)) : null,
    el("ul", { class: "entities", "aria-label": "Entities" },
      (hit.entities || []).slice(0, 6).map((entity) =>
        el("li", {}, link(stateUrl({ view: "entity", slug: entity.slug }), entity.name, { class: `tag ${entity.type}` })))),
  );
}

function facetState(state, facet, value) {
  const next = { ...state, view: "", id: "", slug: "" };
  if (facet === "entity") next.entity = [...new Set([...state.entity, value])];
  else if (facet === "month") {
    const [year, month] = value.split("-").map(Number);
    next.from = `${value}-01`;
    next.to = new Date(Date.UTC(year, month, 0)).toISOString().slice(0, 10);
  } else next[facet] = value;
  return next;
}

function renderFacets(facets, state) {
  const holder = document.getElementById("facets");
  holder.replaceChildren();
  for (const facet of FACETS) {
    const counts = Object.entries(facets[facet] || {});
    if (!counts.length) continue;
    if (facet === "month") counts.sort(([a], [b]) => b.localeCompare(a));
    else counts.sort(([, a], [, b]) => b - a);
    holder.append(el("section", { class: "facet", "data-facet": facet },
      el("h3", {}, FACET_TITLES[facet]),
      el("ul", {}, counts.slice(0, 10).map(([value, count]) => {
        const name = facet === "entity" ? entityNames.get(value) || value : value;
        return el("li", {}, link(stateUrl(facetState(state, facet, value)), `${name} `,
          { "aria-label": `${FACET_TITLES[facet]}: ${name}, ${count} articles`, "data-value": value }),
          el("span", { class: "count", "aria-hidden": "true" }, String(count)));
      }))));
  }
}

async function drawTimeline(run) {
  const holder = document.getElementById("timeline");
  const { from, to } = run.state;
  const days = from && to ? (Date.parse(to) - Date.parse(from)) / 86400000 : Infinity;
  const params = { ...searchParams(run.state), interval: days <= 92 ? "day" : "month" };
  try {
    const answer = await get("/search/timeline", params, { signal: run.controller.signal });
    if (run !== current) return;
    drawCounts(holder, answer.series[0]?.buckets || [], { label: "matches" });
  } catch (error) {
    if (error.name !== "AbortError" && run === current) holder.textContent = "The timeline is unavailable.";
  }
}
