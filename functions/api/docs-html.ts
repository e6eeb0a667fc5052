// The /docs page: a self-contained HTML reference rendered from the OpenAPI document. No scripts and
// no external assets (browsers may be offline); the one inline style is allowed by its hash.
import { operationsOf, schemasOf, type FieldView } from './reference.ts';

type Json = Record<string, unknown>;

const STYLE = `
body{font:15px/1.5 system-ui,sans-serif;margin:0 auto;max-width:980px;padding:1rem 1.5rem;color:#1d1d1f}
h1{margin-bottom:.25rem}h2{border-bottom:1px solid #ddd;margin-top:2.5rem}h3{margin:1.5rem 0 .25rem;font-size:1.05rem}
code,.path{font-family:ui-monospace,monospace;font-size:.92em}
.method{display:inline-block;min-width:4.2em;font-weight:700;font-family:ui-monospace,monospace}
.get{color:#0a7}.post{color:#06c}.put{color:#a60}.patch{color:#a0a}.delete{color:#c22}
table{border-collapse:collapse;margin:.4rem 0 1rem;width:100%}th,td{border:1px solid #e3e3e3;padding:.25rem .5rem;text-align:left;vertical-align:top}
th{background:#f6f6f6}.muted{color:#666}nav a{margin-right:.75rem}
`;

/**
 * Hosted Supabase serves `text/html` from Edge Functions on the default `*.supabase.co` domain as
 * `text/plain`, so this page only renders on a custom domain (and locally). Said on the page, in
 * the route's description and in the README.
 */
export const HOSTED_HTML_NOTE =
  'On hosted Supabase the default `<project>.supabase.co` domain serves HTML from Edge Functions as `text/plain`, ' +
  'so browsers show this page as source there. It renders on a custom domain and locally; elsewhere read `docs/API.md` ' +
  'in the repository or load `openapi.json` (next to this page) into any OpenAPI viewer.';

export const DOCS_CSP_BASE = "default-src 'none'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

function esc(value: string): string {
  return value.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** `text` with `code` spans. */
function prose(text: string): string {
  return esc(text).replace(/`([^`]+)`/g, '<code>$1</code>');
}

function fieldTable(rows: (FieldView & { in?: string })[], withLocation = false): string {
  if (rows.length === 0) return '';
  const head = `<tr><th>name</th>${withLocation ? '<th>in</th>' : ''}<th>type</th><th>required</th><th>description</th></tr>`;
  const body = rows
    .map(
      (r) =>
        `<tr><td><code>${esc(r.name)}</code></td>${withLocation ? `<td>${esc(r.in ?? '')}</td>` : ''}<td>${esc(r.type)}</td><td>${r.required ? 'yes' : ''}</td><td>${prose(r.description)}</td></tr>`,
    )
    .join('');
  return `<table>${head}${body}</table>`;
}

async function sha256Base64(text: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text)));
  let binary = '';
  for (const byte of digest) binary += String.fromCharCode(byte);
  return btoa(binary);
}

export async function renderDocsHtml(doc: Json): Promise<{ html: string; csp: string }> {
  const info = doc.info as { title: string; version: string; description: string };
  const operations = operationsOf(doc);
  const tags = [...new Set(operations.map((op) => op.tag))];
  const sections = tags
    .map((tag) => {
      const ops = operations
        .filter((op) => op.tag === tag)
        .map(
          (op) => `
<h3 id="${esc(op.operationId)}"><span class="method ${op.method.toLowerCase()}">${op.method}</span> <span class="path">${esc(op.path)}</span></h3>
<p><strong>${esc(op.summary)}</strong>${op.description ? ` — ${prose(op.description)}` : ''}<br><span class="muted">Auth: ${esc(op.auth)}</span></p>
${fieldTable(op.parameters, true)}
${op.requestBody ? `<p>Body (application/json): <a href="#schema-${esc(op.requestBody)}"><code>${esc(op.requestBody)}</code></a></p>` : ''}
<table><tr><th>status</th><th>meaning</th><th>body</th></tr>${op.responses
            .map((r) => `<tr><td>${esc(r.status)}</td><td>${esc(r.description)}</td><td><code>${esc(r.body)}</code></td></tr>`)
            .join('')}</table>`,
        )
        .join('\n');
      return `<h2 id="tag-${esc(tag.toLowerCase().replace(/\s+/g, '-'))}">${esc(tag)}</h2>\n${ops}`;
    })
    .join('\n');
  const schemas = schemasOf(doc)
    .map(
      (s) =>
        `<h3 id="schema-${esc(s.name)}">${esc(s.name)}</h3>${s.description ? `<p>${prose(s.description)}</p>` : ''}${
          s.fields.length > 0 ? fieldTable(s.fields) : `<p><code>${esc(s.type)}</code></p>`
        }`,
    )
    .join('\n');
  const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(info.title)} ${esc(info.version)}</title><style>${STYLE}</style></head>
<body>
<h1>${esc(info.title)}</h1><p class="muted">Version ${esc(info.version)} · <a href="openapi.json">openapi.json</a></p>
<p class="muted">${prose(HOSTED_HTML_NOTE)}</p>
<p>${prose(info.description)}</p>
<nav>${tags.map((t) => `<a href="#tag-${esc(t.toLowerCase().replace(/\s+/g, '-'))}">${esc(t)}</a>`).join('')}<a href="#schemas">Schemas</a></nav>
${sections}
<h2 id="schemas">Schemas</h2>
${schemas}
</body></html>
`;
  return { html, csp: `${DOCS_CSP_BASE}; style-src 'sha256-${await sha256Base64(STYLE)}'` };
}
