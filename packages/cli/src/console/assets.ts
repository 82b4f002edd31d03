/**
 * The console's only assets, shipped inside the package (no CDN, no remote
 * fonts): a stylesheet and a few lines of script that subscribe each
 * `[data-live]` region to its SSE stream. Pages read right without either.
 */

/** The console stylesheet. @experimental */
export const CONSOLE_CSS = `
:root{--bg:#f7f7f5;--fg:#1d1d1b;--mute:#6b6b66;--line:#deded8;--ok:#1f7a3a;--bad:#b3261e;--warn:#9a6400;--run:#1f5fa8}
*{box-sizing:border-box}body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;background:var(--bg);color:var(--fg)}
header{display:flex;gap:1.5rem;align-items:center;padding:.6rem 1.2rem;border-bottom:1px solid var(--line);background:#fff}
header b{font-size:15px}nav a{margin-right:1rem;color:var(--fg);text-decoration:none}nav a[aria-current]{font-weight:600;border-bottom:2px solid var(--fg)}
main{padding:1rem 1.2rem;max-width:1200px}h1{font-size:18px;margin:.2rem 0 1rem}h2{font-size:15px;margin:1.2rem 0 .5rem}
table{border-collapse:collapse;width:100%;background:#fff;border:1px solid var(--line)}th,td{text-align:left;padding:.35rem .6rem;border-bottom:1px solid var(--line);vertical-align:top}
th{font-weight:600;color:var(--mute);font-size:12px;text-transform:uppercase;letter-spacing:.03em}td.n{text-align:right;font-variant-numeric:tabular-nums}
.st{display:inline-block;padding:0 .45rem;border-radius:3px;font-size:12px;font-weight:600;border:1px solid currentColor}
.st-running{color:var(--run)}.st-completed,.st-ok{color:var(--ok)}.st-failed,.st-bad,.st-cancelled{color:var(--bad)}.st-halted,.st-pending{color:var(--warn)}
.banner{padding:.5rem .8rem;margin-bottom:1rem;border:1px solid var(--bad);color:var(--bad);background:#fff}
.muted{color:var(--mute)}.kill,.danger{background:var(--bad);color:#fff;border:0;padding:.35rem .8rem;border-radius:4px;font:inherit;cursor:pointer;text-decoration:none;display:inline-block}
.btn{background:#fff;color:var(--fg);border:1px solid var(--line);padding:.35rem .8rem;border-radius:4px;text-decoration:none;display:inline-block}
.tree ul{list-style:none;margin:0;padding-left:1.2rem;border-left:1px dashed var(--line)}.tree li{margin:.3rem 0}
.node{background:#fff;border:1px solid var(--line);padding:.4rem .6rem;border-radius:4px}.checks{color:var(--bad);margin:.2rem 0 0 1rem;padding:0}
pre{background:#1d1d1b;color:#eee;padding:.6rem;overflow:auto;max-height:18rem;font-size:12px}details summary{cursor:pointer;color:var(--mute)}
.bar{position:relative;height:14px;background:#ecece6;border:1px solid var(--line);min-width:12rem}.bar span{position:absolute;left:0;top:0;bottom:0;background:var(--ok)}
.bar.hot span{background:var(--warn)}.bar.over span{background:var(--bad)}.spark{display:flex;gap:2px;align-items:flex-end;height:28px}.spark i{display:block;width:8px;background:#9a9a92}
form.inline{display:inline}.live-dot{font-size:12px;color:var(--mute)}
`

/** The console script: one EventSource per `[data-live]` region, which the server re-renders on change. @experimental */
export const CONSOLE_JS = `
for (const el of document.querySelectorAll('[data-live]')) {
  const src = new EventSource(el.getAttribute('data-live'));
  src.addEventListener('update', (e) => { el.innerHTML = e.data; el.setAttribute('data-updated', String(Date.now())); });
  src.addEventListener('end', () => src.close());
}
`
