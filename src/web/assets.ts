// The pages' only stylesheet and icon, served from this origin so that the Content-Security-Policy can
// forbid inline styles and every other source. Mobile first: one column, large touch targets.

export const STYLESHEET = `:root {
  color-scheme: light dark;
  --fg: #1b1f24;
  --muted: #57606a;
  --bg: #f6f8fa;
  --card: #ffffff;
  --line: #d0d7de;
  --accent: #1f5fbf;
  --accent-fg: #ffffff;
  --ok: #1a7f37;
  --warn: #9a6700;
  --bad: #cf222e;
}
@media (prefers-color-scheme: dark) {
  :root {
    --fg: #e6edf3;
    --muted: #9198a1;
    --bg: #0d1117;
    --card: #161b22;
    --line: #30363d;
    --accent: #4493f8;
    --accent-fg: #0d1117;
    --ok: #3fb950;
    --warn: #d29922;
    --bad: #f85149;
  }
}
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; text-size-adjust: 100%; }
body {
  margin: 0;
  font: 1rem/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
  color: var(--fg);
  background: var(--bg);
  overflow-wrap: anywhere;
}
header.site { padding: 0.75rem 1rem; border-bottom: 1px solid var(--line); background: var(--card); }
header.site .brand { font-weight: 700; letter-spacing: 0.02em; }
main { max-width: 40rem; margin: 0 auto; padding: 1rem; }
.card { background: var(--card); border: 1px solid var(--line); border-radius: 0.5rem; padding: 1.25rem; margin: 0 0 1rem; }
h1 { font-size: 1.4rem; line-height: 1.3; margin: 0 0 0.75rem; }
h2 { font-size: 1.1rem; margin: 1.25rem 0 0.5rem; }
p { margin: 0 0 0.75rem; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 0.35rem 1rem; margin: 0 0 1rem; }
dl.facts dt { color: var(--muted); }
dl.facts dd { margin: 0; font-weight: 600; }
@media (max-width: 30rem) {
  dl.facts { grid-template-columns: 1fr; gap: 0; }
  dl.facts dd { margin-bottom: 0.5rem; }
}
.state { display: inline-block; padding: 0.1rem 0.6rem; border-radius: 999px; border: 1px solid currentColor; font-size: 0.9rem; }
.state.ok { color: var(--ok); }
.state.warn { color: var(--warn); }
.state.bad { color: var(--bad); }
.notice { border-left: 4px solid var(--accent); padding: 0.5rem 0.75rem; margin: 0 0 1rem; background: var(--bg); }
.notice.error { border-color: var(--bad); }
.notice.ok { border-color: var(--ok); }
.muted { color: var(--muted); font-size: 0.9rem; }
form { margin: 0 0 1rem; }
label { display: block; font-weight: 600; margin: 0 0 0.25rem; }
input[type="email"] {
  width: 100%;
  font: inherit;
  padding: 0.6rem 0.7rem;
  border: 1px solid var(--line);
  border-radius: 0.375rem;
  background: var(--card);
  color: var(--fg);
  margin: 0 0 0.75rem;
}
.actions { display: flex; flex-wrap: wrap; gap: 0.75rem; }
button {
  font: inherit;
  font-weight: 600;
  min-height: 2.75rem;
  padding: 0.55rem 1.1rem;
  border-radius: 0.375rem;
  border: 1px solid var(--accent);
  background: var(--accent);
  color: var(--accent-fg);
  cursor: pointer;
}
button.secondary { background: transparent; color: var(--accent); }
button.danger { background: transparent; color: var(--bad); border-color: var(--bad); }
button.link { min-height: 0; padding: 0; border: 0; background: none; color: var(--accent); text-decoration: underline; font-weight: 400; }
.session { display: flex; flex-wrap: wrap; align-items: baseline; justify-content: space-between; gap: 0.5rem; }
.session p, .session form { margin: 0; }
footer { max-width: 40rem; margin: 0 auto; padding: 0 1rem 2rem; }
`;

export const FAVICON = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><circle cx="11" cy="16" r="8" fill="#1f5fbf"/><circle cx="21" cy="16" r="8" fill="#1a7f37" fill-opacity="0.8"/></svg>`;
