// Small DOM helpers: every text goes in as text, never as HTML.

/** An element with attributes and children (strings become text nodes). */
export function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else node.setAttribute(name, value === true ? "" : String(value));
  }
  node.append(...children.flat().filter((child) => child !== null && child !== undefined));
  return node;
}

export const PRE = "\u2063[[";
export const POST = "]]\u2063";

/** A highlighted snippet (the API marks matches with PRE/POST) as text with <mark>s. */
export function marked(text) {
  const nodes = [];
  for (const [index, part] of String(text).split(PRE).entries()) {
    if (index === 0) { nodes.push(part); continue; }
    const [match, ...rest] = part.split(POST);
    nodes.push(el("mark", {}, match), rest.join(POST));
  }
  return nodes;
}

/** A date as the reader's locale writes it (UTC, as the archive stores it). */
export function day(iso) {
  if (!iso) return "undated";
  return new Date(iso).toLocaleDateString(undefined, { year: "numeric", month: "short", day: "numeric", timeZone: "UTC" });
}

/** An internal link that changes the page's state without reloading it. */
export function link(href, text, attributes = {}) {
  return el("a", { href, "data-internal": "", ...attributes }, text);
}
