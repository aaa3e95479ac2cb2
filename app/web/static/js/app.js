// The page's wiring: URL state, the search form, entity chips, views, problems in words.
import { apiBase, apiKey, forgetKey, get, keepKey } from "./api.js";
import { showArticle, showEntity } from "./detail.js";
import { el } from "./dom.js";
import { entityNames, loadMore, runSearch } from "./search.js";
import { go, readState, stateUrl } from "./state.js";

const $ = (id) => document.getElementById(id);
const FILTERS = ["from", "to", "source", "section", "language", "tag"];
let typing = false; // keystrokes of one search replace its history entry instead of adding more
const entityTypes = new Map(); // slug -> person, organization, place...
let steps = 0; // history entries this page added, so Back never leaves the page by surprise

/** Show a problem (an Error whose message is in words), or hide the area with null. A 401
 * (no key, or a key the API refused) also asks for a key. */
function show(error) {
  const area = $("problem");
  area.hidden = !error;
  area.textContent = error ? error.message : "";
  showKey(error?.status === 401);
}

/** The key form when one is needed, else a note that a key is in use (with a way to drop it). */
function showKey(needed) {
  const form = $("key-form");
  const asking = needed && form.hidden;
  form.hidden = !needed;
  $("key-held").hidden = needed || !apiKey();
  if (asking) $("api-key").focus();
}

function formState() {
  const state = { ...readState(), view: "", id: "", slug: "" };
  state.q = $("q").value.trim();
  state.sort = $("sort").value;
  for (const name of FILTERS) state[name] = $(name).value.trim();
  state.duplicates = $("duplicates").checked;
  return state;
}

function navigate(state, options = {}) {
  if (!go(state, options)) return;
  if (!options.replace) steps += 1;
  render();
}

async function render() {
  const state = readState();
  const views = { search: $("search-view"), article: $("article-view"), entity: $("entity-view") };
  const name = state.view === "article" || state.view === "entity" ? state.view : "search";
  for (const [key, view] of Object.entries(views)) view.hidden = key !== name;
  show(null);
  if (name === "search") {
    document.title = state.q ? `${state.q} — newsarchive` : "newsarchive search";
    fillForm(state);
    await runSearch(state, show);
    return;
  }
  const view = views[name];
  view.replaceChildren(el("p", { "aria-live": "polite" }, "Loading…"));
  try {
    if (name === "article") await showArticle(view, state.id);
    else await showEntity(view, state.slug);
    document.title = `${view.querySelector("h2")?.textContent || ""} — newsarchive`;
    view.focus({ preventScroll: true });
  } catch (error) {
    view.replaceChildren(el("p", {}, el("a", { href: "#", "data-back": "", class: "back" }, "← Back")));
    show(error);
  }
}

function fillForm(state) {
  if (document.activeElement !== $("q")) $("q").value = state.q;
  $("sort").value = state.sort;
  for (const name of FILTERS) $(name).value = state[name];
  $("duplicates").checked = state.duplicates;
  renderChips(state);
}

function renderChips(state) {
  const chips = $("entity-chips");
  chips.replaceChildren(...state.entity.map((slug) => {
    const name = entityNames.get(slug) || slug;
    const type = entityTypes.get(slug);
    return el("li", { class: "chip", "data-slug": slug }, el("span", {}, name),
      type ? el("span", { class: `tag ${type}` }, type) : null,
      el("button", { type: "button", "aria-label": `Remove entity ${name}`, onclick: () => {
        navigate({ ...formState(), entity: readState().entity.filter((s) => s !== slug) });
      } }, "×"));
  }));
  for (const slug of state.entity.filter((s) => !entityNames.has(s))) {
    get(`/entities/${encodeURIComponent(slug)}`).then((entity) => {
      entityNames.set(slug, entity.name);
      entityTypes.set(slug, entity.type);
      const chip = chips.querySelector(`[data-slug="${CSS.escape(slug)}"]`);
      if (chip) {
        chip.firstChild.textContent = entity.name;
        chip.querySelector("button").setAttribute("aria-label", `Remove entity ${entity.name}`);
        chip.querySelector("button").before(el("span", { class: `tag ${entity.type}` }, entity.type));
      }
    }).catch(() => {});
  }
}

// --- the search box: results as you type ---------------------------------------------
let typingTimer;
$("q").addEventListener("input", () => {
  clearTimeout(typingTimer);
  typingTimer = setTimeout(() => {
    navigate(formState(), { replace: typing });
    typing = true;
  }, 250);
});
$("search-form").addEventListener("submit", (event) => {
  event.preventDefault();
  clearTimeout(typingTimer);
  typing = false;
  if (!go(formState(), { replace: true })) return render();
  render();
});
for (const id of ["sort", "duplicates", ...FILTERS]) {
  $(id).addEventListener("change", () => { typing = false; navigate(formState()); });
}
$("clear-filters").addEventListener("click", () => {
  typing = false;
  navigate({ q: $("q").value.trim(), sort: $("sort").value, entity: [] });
});

// --- entity autocomplete (an ARIA combobox) ------------------------------------------
const input = $("entity-input");
const options = $("entity-options");
let suggestTimer;
let active = -1;

function closeOptions() {
  options.hidden = true;
  options.replaceChildren();
  input.setAttribute("aria-expanded", "false");
  input.removeAttribute("aria-activedescendant");
  active = -1;
}

function choose(entity) {
  entityNames.set(entity.slug, entity.name);
  entityTypes.set(entity.slug, entity.type);
  input.value = "";
  closeOptions();
  typing = false;
  navigate({ ...formState(), entity: [...new Set([...readState().entity, entity.slug])] });
}

function highlight(index) {
  const items = [...options.children];
  if (!items.length) return;
  active = (index + items.length) % items.length;
  items.forEach((item, i) => item.setAttribute("aria-selected", String(i === active)));
  input.setAttribute("aria-activedescendant", items[active].id);
}

input.addEventListener("input", () => {
  clearTimeout(suggestTimer);
  const words = input.value.trim();
  if (!words) return closeOptions();
  suggestTimer = setTimeout(async () => {
    try {
      const answer = await get("/entities", { q: words, sort: "articles", limit: 8 });
      if (input.value.trim() !== words) return;
      options.replaceChildren(...answer.data.map((entity, i) =>
        el("li", { id: `entity-option-${i}`, role: "option", "aria-selected": "false", "data-slug": entity.slug,
          onmousedown: (event) => { event.preventDefault(); choose(entity); } },
          el("span", {}, entity.name), " ", el("span", { class: `tag ${entity.type}` }, entity.type),
          el("span", { class: "count" }, ` ${entity.article_count}`))));
      options._entities = answer.data;
      if (!answer.data.length) options.append(el("li", { role: "option", "aria-disabled": "true" }, "No entity by that name"));
      options.hidden = false;
      input.setAttribute("aria-expanded", "true");
      active = -1;
    } catch (error) {
      show(error);
    }
  }, 150);
});
input.addEventListener("keydown", (event) => {
  if (event.key === "ArrowDown") { event.preventDefault(); highlight(active + 1); }
  else if (event.key === "ArrowUp") { event.preventDefault(); highlight(active - 1); }
  else if (event.key === "Escape") closeOptions();
  else if (event.key === "Enter") {
    event.preventDefault();
    const entities = options._entities || [];
    const entity = entities[active >= 0 ? active : 0];
    if (entity && !options.hidden) choose(entity);
  }
});
input.addEventListener("blur", () => setTimeout(closeOptions, 100));

// --- links, back, history, scrolling ---------------------------------------------------
document.addEventListener("click", (event) => {
  const anchor = event.target.closest("a");
  if (!anchor || event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey) return;
  if (anchor.hasAttribute("data-back")) {
    event.preventDefault();
    if (steps > 0) {
      steps -= 1;
      history.back();
    } else navigate({ entity: [] });
  } else if (anchor.hasAttribute("data-internal")) {
    event.preventDefault();
    typing = false;
    const url = new URL(anchor.href);
    navigate(readState(url.search));
    window.scrollTo(0, 0);
  }
});
$("home").addEventListener("click", (event) => {
  event.preventDefault();
  typing = false;
  $("q").value = "";
  navigate({ entity: [] });
});
window.addEventListener("popstate", () => { typing = false; render(); });
$("more").addEventListener("click", () => loadMore(show));
$("key-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const key = $("api-key").value.trim();
  if (!key) return;
  keepKey(key, $("remember-key").checked);
  $("api-key").value = "";
  render();
});
$("forget-key").addEventListener("click", () => {
  forgetKey();
  render();
});
new IntersectionObserver((entries) => {
  if (entries.some((entry) => entry.isIntersecting) && !$("search-view").hidden) loadMore(show);
}, { rootMargin: "200px" }).observe($("more-sentinel"));

// Links to the API's own documents point at the API, wherever the page is served from.
for (const anchor of document.querySelectorAll(".foot a")) anchor.href = `${apiBase()}${anchor.getAttribute("href")}`;

render();
