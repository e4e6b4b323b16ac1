/**
 * The `/debug/registry` page: one self-contained HTML document (no external assets, works
 * offline). It renders the snapshot with DOM APIs and `textContent` only (keys and sites are
 * user data), and follows Server-Sent Events for live updates.
 */
export const DEBUG_PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>plugboard · /debug/registry</title>
<style>
  body { font: 14px/1.4 system-ui, sans-serif; margin: 0; color: #1d2330; background: #f6f7f9; }
  header { display: flex; gap: 1rem; align-items: center; padding: .75rem 1.25rem; background: #1d2330; color: #fff; position: sticky; top: 0; }
  header h1 { font-size: 1rem; margin: 0; font-weight: 600; }
  #filter { flex: 1; max-width: 28rem; padding: .35rem .6rem; border-radius: 4px; border: 0; font: inherit; }
  #status { font-size: .8rem; padding: .15rem .5rem; border-radius: 999px; background: #6b7280; }
  #status.live { background: #15803d; }
  main { padding: 1rem 1.25rem; display: grid; gap: 1.25rem; }
  section > h2 { font-size: 1rem; margin: 0 0 .5rem; }
  .card { background: #fff; border: 1px solid #dfe3ea; border-radius: 6px; margin-bottom: .75rem; }
  .card h3 { font-size: .9rem; margin: 0; padding: .5rem .75rem; border-bottom: 1px solid #eef0f4; display: flex; gap: .5rem; flex-wrap: wrap; }
  .tag { font-weight: 400; font-size: .75rem; background: #eef0f4; border-radius: 3px; padding: 0 .35rem; }
  .bad { background: #fee2e2; color: #991b1b; }
  .good { background: #dcfce7; color: #166534; }
  table { border-collapse: collapse; width: 100%; }
  td, th { text-align: left; padding: .3rem .75rem; border-top: 1px solid #f1f2f5; vertical-align: top; font-size: .85rem; }
  th { color: #6b7280; font-weight: 500; }
  td.mono, .mono { font-family: ui-monospace, monospace; font-size: .8rem; }
  .empty { color: #6b7280; padding: .5rem .75rem; }
  .hidden { display: none; }
</style>
</head>
<body>
<header>
  <h1>plugboard /debug/registry</h1>
  <input id="filter" type="search" placeholder="filter: registry, key, site, plugin, service…" aria-label="filter">
  <span id="status">connecting</span>
  <span id="generated" class="mono"></span>
</header>
<main>
  <section id="registries"><h2>Registries</h2><div class="body"></div></section>
  <section id="plugins"><h2>Plugins</h2><div class="body"></div></section>
  <section id="services"><h2>Services</h2><div class="body"></div></section>
</main>
<script>
(() => {
  const el = (tag, attrs, ...children) => {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
    for (const c of children) e.append(c instanceof Node ? c : document.createTextNode(c == null ? '' : String(c)));
    return e;
  };
  const table = (head, rows) => rows.length === 0 ? el('div', { class: 'empty' }, 'none')
    : el('table', {}, el('tr', {}, ...head.map((h) => el('th', {}, h))), ...rows.map((r) => el('tr', { 'data-text': r.join(' ').toLowerCase() }, ...r.map((c, i) => el('td', i === 0 ? { class: 'mono' } : {}, c)))));
  const extra = (e) => Object.entries(e).filter(([k]) => !['key', 'name', 'site', 'owner', 'type'].includes(k)).map(([k, v]) => k + '=' + (typeof v === 'string' ? v : JSON.stringify(v))).join(' ');
  const scopes = (s, out = []) => { out.push(s); for (const c of s.children || []) scopes(c, out); return out; };

  function render(snap) {
    document.getElementById('generated').textContent = snap.generatedAt;
    const regs = document.querySelector('#registries .body');
    regs.replaceChildren(...scopes(snap.scope).flatMap((s) => s.registries.map((r) => el('div', { class: 'card', 'data-text': (s.name + ' ' + r.id + ' ' + r.kind).toLowerCase() },
      el('h3', {}, r.id, el('span', { class: 'tag' }, r.kind), el('span', { class: 'tag' }, 'scope ' + s.name), el('span', { class: 'tag' }, r.state), el('span', { class: 'tag' }, 'v' + r.version), el('span', { class: 'tag' }, r.size + ' entries')),
      table(['key', 'value', 'site', 'owner', 'details'], r.entries.map((e) => [e.key, e.type, e.site || '', e.owner || '', extra(e)]))))));
    const plugins = document.querySelector('#plugins .body');
    plugins.replaceChildren(snap.plugins === null ? el('div', { class: 'empty' }, 'no plugin host attached')
      : el('div', { class: 'card', 'data-text': 'plugins' }, el('h3', {}, 'api ' + snap.plugins.apiVersion, el('span', { class: 'tag good' }, snap.plugins.loaded + ' loaded'), el('span', { class: 'tag' + (snap.plugins.failed ? ' bad' : '') }, snap.plugins.failed + ' failed')),
        table(['plugin', 'version', 'state', 'source', 'timings', 'registrations', 'errors / ping'], snap.plugins.plugins.map((p) => [p.name, p.version || '', p.state, p.origin + ': ' + p.source,
          Object.entries(p.timings).map(([k, v]) => k + ' ' + v.toFixed(2) + ' ms').join(', '),
          Object.entries(p.registrations).map(([k, v]) => k + ': ' + v.join(', ')).join('; '),
          p.errors.map((e) => e.code + ' ' + e.message).join('; ') + (p.ping ? ' ping ' + (p.ping.ok ? 'ok' : 'FAILING') + (p.ping.detail ? ' (' + p.ping.detail + ')' : '') : '')]))));
    const services = document.querySelector('#services .body');
    services.replaceChildren(...(snap.services.length === 0 ? [el('div', { class: 'empty' }, 'no watched service')] : snap.services.map((s) => el('div', { class: 'card', 'data-text': (s.service + ' ' + s.backend).toLowerCase() },
      el('h3', {}, s.service, el('span', { class: 'tag' }, s.backend), el('span', { class: 'tag ' + (s.healthy ? 'good' : 'bad') }, s.healthy ? 'healthy' : 'degraded: ' + (s.error || '')), el('span', { class: 'tag' }, s.instances.length + ' instances')),
      table(['id', 'version', 'endpoints', 'metadata'], s.instances.map((i) => [i.id, i.version, i.endpoints.join(' '), Object.entries(i.metadata).map(([k, v]) => k + '=' + v).join(' ')]))))));
    applyFilter();
  }

  const filter = document.getElementById('filter');
  function applyFilter() {
    const q = filter.value.trim().toLowerCase();
    for (const card of document.querySelectorAll('.card')) {
      let shown = 0;
      for (const row of card.querySelectorAll('tr[data-text]')) {
        const hit = q === '' || card.dataset.text.includes(q) || row.dataset.text.includes(q);
        row.classList.toggle('hidden', !hit);
        if (hit) shown++;
      }
      card.classList.toggle('hidden', q !== '' && shown === 0 && !card.dataset.text.includes(q));
    }
  }
  filter.addEventListener('input', applyFilter);

  const status = document.getElementById('status');
  fetch('__JSON__').then((r) => r.json()).then(render).catch(() => undefined);
  const es = new EventSource('__EVENTS__');
  es.addEventListener('snapshot', (ev) => render(JSON.parse(ev.data)));
  es.onopen = () => { status.textContent = 'live'; status.className = 'live'; };
  es.onerror = () => { status.textContent = 'disconnected, retrying'; status.className = ''; };
})();
</script>
</body>
</html>
`;
