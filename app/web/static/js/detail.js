// The article and entity views: one API call each for the main content, more for the rest.
import { get } from "./api.js";
import { drawCounts } from "./chart.js";
import { day, el, link } from "./dom.js";
import { stateUrl } from "./state.js";

function entityLink(entity) {
  return link(stateUrl({ view: "entity", slug: entity.slug }), entity.name, { class: `tag ${entity.type}` });
}

function articleLink(article) {
  return link(stateUrl({ view: "article", id: String(article.id) }), article.title || "(untitled)");
}

function paragraphs(text) {
  return String(text).split(/\n\s*\n/).filter((part) => part.trim()).map((part) => el("p", {}, part.trim()));
}

/** The article `id`: full text, entities, copies of its story, related articles if offered. */
export async function showArticle(view, id) {
  const article = await get(`/articles/${encodeURIComponent(id)}`);
  const meta = [article.source, article.section, day(article.published_at), (article.authors || []).join(", ")].filter(Boolean);
  const copies = el("section", { class: "copies", hidden: true, "aria-labelledby": "copies-title" });
  const related = el("section", { class: "related", hidden: true, "aria-labelledby": "related-title" });
  view.replaceChildren(
    el("p", {}, el("a", { href: "#", "data-back": "", class: "back" }, "← Back")),
    el("article", {},
      el("h2", { id: "article-title" }, article.title),
      el("p", { class: "meta" }, meta.join(" · ")),
      /^https?:\/\//i.test(article.url || "") // never a javascript: or data: link
        ? el("p", { class: "meta" }, el("a", { href: article.url, rel: "noopener noreferrer" }, "Original"))
        : null,
      article.duplicate_of ? el("p", { class: "note" }, "An exact copy of ", link(stateUrl({ view: "article", id: String(article.duplicate_of) }), `article ${article.duplicate_of}`), ".") : null,
      article.summary ? el("p", { class: "summary" }, article.summary) : null,
      el("div", { class: "body" }, paragraphs(article.body)),
      article.tags?.length ? el("p", { class: "meta" }, "Tags: ", article.tags.join(", ")) : null),
    el("section", { "aria-labelledby": "article-entities" },
      el("h3", { id: "article-entities" }, "Entities"),
      article.entities?.length
        ? el("ul", { class: "entities" }, article.entities.map((entity) => el("li", {}, entityLink(entity))))
        : el("p", {}, "No entities found in this article.")),
    copies,
    related,
  );
  const waits = [];
  if (article.cluster_size > 1) waits.push(showCopies(copies, article));
  waits.push(showRelated(related, article));
  await Promise.all(waits);
}

async function showCopies(section, article) {
  try {
    const cluster = await get(`/articles/${article.id}/cluster`);
    const others = cluster.members.filter((member) => member.id !== article.id);
    section.replaceChildren(el("details", {},
      el("summary", { id: "copies-title" }, `${others.length} other copies of this story (show)`),
      el("ul", {}, others.map((member) => el("li", {}, articleLink(member), ` — ${member.source || "unknown source"}, ${day(member.published_at)}`, member.duplicate_of ? " (exact duplicate)" : "")))));
    section.hidden = false;
  } catch { /* the story is optional: the article stands without it */ }
}

async function showRelated(section, article) {
  try {
    const answer = await get(`/articles/${article.id}/related`);
    const items = answer.hits || [];
    if (!items.length) return;
    section.replaceChildren(el("h3", { id: "related-title" }, "Related articles"),
      el("ul", {}, items.map((item) => el("li", {}, articleLink(item), ` — ${item.source || "unknown source"}, ${day(item.published_at)}`))));
    section.hidden = false;
  } catch {
    /* 409: the article has no vector yet; 503: embeddings are off on this server. Related
       articles are optional: the section stays hidden. */
  }
}

/** The entity `slug`: names, months as a chart, co-occurring entities, its articles. */
export async function showEntity(view, slug) {
  const entity = await get(`/entities/${encodeURIComponent(slug)}`);
  const forms = (entity.forms || []).map((form) => `${form.form} (${form.articles})`);
  const chart = el("div", { class: "chart", role: "img", "aria-label": `Articles naming ${entity.name} per month` });
  const articles = el("ol", { class: "hits", "aria-label": `Articles naming ${entity.name}` });
  const more = el("button", { type: "button", hidden: true }, "More articles");
  view.replaceChildren(
    el("p", {}, el("a", { href: "#", "data-back": "", class: "back" }, "← Back")),
    el("h2", { id: "entity-title" }, entity.name, " ", el("span", { class: `tag ${entity.type}` }, entity.type)),
    el("p", { class: "meta" }, `${entity.article_count} articles, ${day(entity.first_seen)} – ${day(entity.last_seen)}`,
      entity.within ? ` · within ${entity.within}` : ""),
    el("p", {}, link(stateUrl({ entity: [entity.slug] }), `Search articles naming ${entity.name}`)),
    el("section", { "aria-labelledby": "aliases-title" },
      el("h3", { id: "aliases-title" }, "Also written as"),
      el("p", { class: "aliases" }, (entity.aliases || []).join(", ") || "No aliases."),
      forms.length ? el("p", { class: "meta" }, "Forms in the text: ", forms.join(", ")) : null),
    el("section", { "aria-labelledby": "months-title" }, el("h3", { id: "months-title" }, "Articles per month"), chart),
    el("section", { "aria-labelledby": "co-title" },
      el("h3", { id: "co-title" }, "Named alongside"),
      el("ul", { class: "entities" }, (entity.co_occurring || []).map((other) =>
        el("li", {}, entityLink(other), ` ${other.count}`)))),
    el("section", { "aria-labelledby": "entity-articles-title" },
      el("h3", { id: "entity-articles-title" }, "Articles"), articles, more),
  );
  drawCounts(chart, (entity.months || []).map((m) => ({ label: m.month, start: `${m.month}-01T00:00:00Z`, count: m.count })));
  let cursor = null;
  const page = async () => {
    const answer = await get(`/entities/${encodeURIComponent(entity.slug)}/articles`, { limit: 20, cursor });
    for (const article of answer.data) {
      articles.append(el("li", { class: "hit" }, el("h4", {}, articleLink(article)),
        el("p", { class: "meta" }, [article.source, day(article.published_at)].filter(Boolean).join(" · "))));
    }
    cursor = answer.next;
    more.hidden = !cursor;
  };
  more.addEventListener("click", () => page());
  await page();
}
