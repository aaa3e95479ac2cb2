// Counts over time as a bar chart, drawn by uPlot (pinned in package.json, shipped in vendor/).
import uPlot from "../vendor/uPlot.esm.js";

const charts = new WeakMap();

/** Draw `points` ([{label, start, count}]) in `element`, replacing any earlier chart; a text
 * list is kept beside it for screen readers. */
export function drawCounts(element, points, { label = "articles" } = {}) {
  charts.get(element)?.destroy();
  element.replaceChildren();
  if (!points.length) {
    element.textContent = "No dated matches to chart.";
    return;
  }
  const xs = points.map((p) => Date.parse(p.start) / 1000);
  const ys = points.map((p) => p.count);
  const width = Math.max(260, Math.min(element.clientWidth || 640, 900));
  const chart = new uPlot(
    {
      width,
      height: 160,
      legend: { show: false },
      cursor: { drag: { x: false, y: false } },
      scales: { x: { time: true }, y: { range: (u, min, max) => [0, Math.max(1, max)] } },
      axes: [{}, { size: 40 }],
      series: [{}, { label, stroke: "#1f5fa8", fill: "rgba(31,95,168,0.25)", paths: uPlot.paths.bars({ size: [0.8, 40] }) }],
    },
    [xs, ys],
    element,
  );
  charts.set(element, chart);
  const list = document.createElement("ul");
  list.className = "visually-hidden";
  for (const p of points) {
    const item = document.createElement("li");
    item.textContent = `${p.label}: ${p.count} ${label}`;
    list.append(item);
  }
  element.append(list);
  element.dataset.points = String(points.length);
}
