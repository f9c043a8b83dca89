/**
 * The status page as HTML: no script, one small inline style sheet (light and dark by prefers-color-scheme),
 * landmarks and headings, and every colour said in words too (each day's bar has a title and hidden text). Every
 * value put into the page goes through `escapeHtml`, names and titles above all (operators type them).
 */
import type { GroupStatus, OverallStatus, PublicStatus, StatusPage, StatusPageDay, StatusPageGroup } from './status-page.js';

const OVERALL: Record<OverallStatus, string> = {
  operational: 'All systems operational',
  degraded: 'Some systems degraded',
  major_outage: 'Major outage',
};
const GROUP: Record<GroupStatus, string> = { operational: 'Operational', degraded: 'Degraded', outage: 'Outage', unknown: 'No data' };
const SERVICE: Record<PublicStatus, string> = { operational: 'Operational', degraded: 'Degraded', down: 'Down', unknown: 'No data' };

const STYLE = `
:root{color-scheme:light dark;--bg:#fff;--fg:#1f2328;--muted:#59636e;--card:#f6f8fa;--line:#d1d9e0;--good:#1a7f37;--partial:#9a6700;--bad:#cf222e;--none:#c8d1da}
@media (prefers-color-scheme:dark){:root{--bg:#0d1117;--fg:#e6edf3;--muted:#9198a1;--card:#151b23;--line:#3d444d;--good:#3fb950;--partial:#d29922;--bad:#f85149;--none:#3d444d}}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--fg);font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}
header,main,footer{max-width:60rem;margin:0 auto;padding:0 1rem}
h1{font-size:1.75rem;margin:1.25rem 0 .25rem}
h2{font-size:1.2rem;margin:0}
p{margin:.25rem 0}
.muted{color:var(--muted)}
.banner{margin:1rem 0;padding:.75rem 1rem;border-radius:.5rem;border-left:.5rem solid var(--good);background:var(--card)}
.banner.degraded{border-left-color:var(--partial)}.banner.major_outage{border-left-color:var(--bad)}
.group{margin:1rem 0;padding:1rem;border:1px solid var(--line);border-radius:.5rem;background:var(--card)}
.group-head{display:flex;flex-wrap:wrap;justify-content:space-between;gap:.5rem;align-items:baseline}
.bars{display:flex;gap:1px;height:2.25rem;margin:.75rem 0 .25rem;padding:0;list-style:none}
.bars li{flex:1 1 0;min-width:1px;border-radius:1px;background:var(--none)}
.bars .good{background:var(--good)}.bars .partial{background:var(--partial)}.bars .bad{background:var(--bad)}
.axis{display:flex;justify-content:space-between;font-size:.8rem}
.services{margin:.75rem 0 0;padding:0;list-style:none}
.services li{display:flex;flex-wrap:wrap;justify-content:space-between;gap:.25rem 1rem;padding:.4rem 0;border-top:1px solid var(--line)}
.status::before{content:"";display:inline-block;width:.65em;height:.65em;margin-right:.4em;border-radius:50%;background:var(--none)}
.status.operational::before{background:var(--good)}.status.degraded::before{background:var(--partial)}
.status.down::before,.status.outage::before{background:var(--bad)}
.visually-hidden{position:absolute;width:1px;height:1px;margin:-1px;padding:0;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap;border:0}
@media (forced-colors:active){.bars li{border:1px solid CanvasText}}
`.trim();

export function escapeHtml(value: unknown): string {
  return String(value).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** A day's words: "2026-11-03: 99.95% up", or "2026-11-03: no data". */
export function dayText(day: StatusPageDay): string {
  return day.uptimePercentage === null ? `${day.date}: no data` : `${day.date}: ${day.uptimePercentage}% up`;
}

function dayClass(day: StatusPageDay): string {
  const value = day.uptimePercentage;
  if (value === null) return 'none';
  return value >= 99.9 ? 'good' : value >= 95 ? 'partial' : 'bad';
}

function renderGroup(group: StatusPageGroup, index: number): string {
  const id = `group-${index}`;
  const bars = group.days.map((day) => {
    const text = escapeHtml(dayText(day));
    return `<li class="${dayClass(day)}" title="${text}"><span class="visually-hidden">${text}</span></li>`;
  });
  const services = group.services.map(
    (s) => `<li><span>${escapeHtml(s.name)}</span><span><span class="status ${s.status}">${SERVICE[s.status]}</span> <span class="muted">· ${s.uptimePercentage === null ? 'no uptime data' : `${escapeHtml(s.uptimePercentage)}% uptime`}</span></span></li>`,
  );
  return `<section class="group" aria-labelledby="${id}">
<div class="group-head"><h2 id="${id}">${escapeHtml(group.name)}</h2><p><span class="status ${group.status}">${GROUP[group.status]}</span></p></div>
<p class="muted">${group.uptimePercentage === null ? 'No uptime data' : `${escapeHtml(group.uptimePercentage)}% uptime`} over the last ${group.days.length} days</p>
<ol class="bars" aria-label="Daily uptime of ${escapeHtml(group.name)}, oldest first">${bars.join('')}</ol>
<div class="axis muted" aria-hidden="true"><span>${group.days.length} days ago</span><span>Today</span></div>
<h3 class="visually-hidden">Services</h3>
<ul class="services">${services.join('')}</ul>
</section>`;
}

export function renderStatusPageHtml(page: StatusPage): string {
  const title = escapeHtml(page.title);
  const generated = escapeHtml(page.generatedAt);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<title>${title} status</title>
<style>${STYLE}</style>
</head>
<body>
<header>
<h1>${title}</h1>
<p class="muted">Status of the services of ${escapeHtml(page.environment)}</p>
</header>
<main>
<section class="banner ${page.status}" aria-labelledby="overall" role="status">
<h2 id="overall">${OVERALL[page.status]}</h2>
<p class="muted">Updated <time datetime="${generated}">${escapeHtml(page.generatedAt.slice(0, 16).replace('T', ' '))} UTC</time></p>
</section>
${page.groups.length === 0 ? '<p>No services are monitored here yet.</p>' : page.groups.map(renderGroup).join('\n')}
</main>
<footer>
<p class="muted">Uptime is the share of the time services were seen up, per UTC day; a day without checks shows as no data. Also as <a href="${escapeHtml(page.environment)}.json">JSON</a>.</p>
</footer>
</body>
</html>
`;
}
