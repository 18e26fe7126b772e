// The wallboard's chart: calls at once over the last hour, drawn as SVG (no library).
// Points are [bucket start (epoch s), calls]; a bucket holds the most calls seen at once during it.

const SVG = "http://www.w3.org/2000/svg";
const WIDTH = 360; // one unit per 10-second bucket of the hour (the viewBox; the SVG stretches)
const HEIGHT = 64;
const HOUR = 3600;

function svg(tag, attrs) {
  const node = document.createElementNS(SVG, tag);
  for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, value);
  return node;
}

/** Draw `points` ending at `now` into the <svg>; returns the peak of the hour. */
export function drawChart(target, points, now) {
  const start = now - HOUR;
  const shown = points.filter(([t]) => t + 10 > start).sort((a, b) => a[0] - b[0]);
  const peak = Math.max(1, ...shown.map(([, n]) => n));
  const x = (t) => Math.max(0, Math.min(WIDTH, ((t - start) / HOUR) * WIDTH));
  const y = (n) => HEIGHT - 2 - (n / peak) * (HEIGHT - 6);
  // A step line: each bucket's count holds until the next bucket.
  let line = "";
  for (let i = 0; i < shown.length; i += 1) {
    const [t, n] = shown[i];
    const end = i + 1 < shown.length ? shown[i + 1][0] : now;
    line += `${i ? "L" : "M"}${x(t).toFixed(1)} ${y(n).toFixed(1)}H${x(end).toFixed(1)}`;
  }
  const nodes = [];
  for (const level of [0.5, 1]) {
    nodes.push(svg("line", { x1: 0, x2: WIDTH, y1: y(peak * level), y2: y(peak * level), class: "wb-chart-grid" }));
  }
  if (line) {
    const first = shown[0];
    nodes.push(svg("path", { d: `${line}V${HEIGHT}H${x(first[0]).toFixed(1)}Z`, class: "wb-chart-area" }));
    nodes.push(svg("path", { d: line, class: "wb-chart-line", "vector-effect": "non-scaling-stroke" }));
  }
  target.replaceChildren(...nodes);
  const latest = shown.length ? shown[shown.length - 1][1] : 0;
  target.setAttribute("aria-label", shown.length
    ? `Calls at once over the last hour: at most ${Math.max(...shown.map(([, n]) => n))}, now ${latest}`
    : "No calls yet in the last hour");
  return shown.length ? Math.max(...shown.map(([, n]) => n)) : 0;
}
