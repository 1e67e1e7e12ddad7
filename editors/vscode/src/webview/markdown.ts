// Markdown for model text. Raw HTML in model output is shown as text, never parsed, so a reply
// cannot inject elements into the panel; the CSP would block scripts anyway.

import hljs from "highlight.js/lib/common";
import { Marked } from "marked";

function escapeHtml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

const SAFE_URL = /^(https?:|mailto:|#|\/|\.\/|\.\.\/|[\w.-]+(\/|$))/i;

const markdown = new Marked({
  async: false,
  gfm: true,
  breaks: false,
  renderer: {
    html({ text }) {
      return escapeHtml(text);
    },
    link({ href, title, tokens }) {
      const label = this.parser.parseInline(tokens);
      if (!SAFE_URL.test(href)) return label;
      const titleAttr = title ? ` title="${escapeHtml(title)}"` : "";
      return `<a href="${escapeHtml(href)}"${titleAttr}>${label}</a>`;
    },
    code({ text, lang }) {
      // highlight.js escapes the code it returns; an unknown language is still escaped by us.
      const language = (lang ?? "").trim().split(/\s+/)[0];
      const known = language && hljs.getLanguage(language);
      const body = known ? hljs.highlight(text, { language, ignoreIllegals: true }).value : escapeHtml(text);
      const cls = known ? ` class="hljs language-${escapeHtml(language)}"` : ` class="hljs"`;
      return `<pre><code${cls}>${body}</code></pre>\n`;
    },
    image({ text }) {
      // Remote images would be blocked by the CSP; show their alt text instead.
      return escapeHtml(text);
    },
  },
});

export function renderMarkdown(text: string): string {
  return markdown.parse(text, { async: false }) as string;
}
