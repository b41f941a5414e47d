// A note's content as Markdown: CommonMark with GitHub's tables, task lists and strikethrough
// (marked), sanitised (DOMPurify), built into elements. Loaded when a note is first shown read
// (notes-screen.js), and the libraries (web/vendor/, kept by tools/vendor.py) at the first
// rendering: a first visit, and a sign-in, load none of it. Usable by any page that shows a note.
//
// Nothing a note holds runs or reaches out:
// - raw HTML is shown as the text it is, never parsed as HTML;
// - a link is a link only to an http:, https: or mailto: address (opened in a new tab, without
//   the page as opener or referrer); any other (javascript:, data:, vbscript:, a relative
//   address…) is shown as its text;
// - an image is never loaded from its address (the page's policy forbids other sites' images): it
//   is shown as a link to it (http: and https:) or as its text;
// - the HTML made is sanitised again, with only the elements and attributes above allowed, and
//   turned into elements by the sanitiser (never given to innerHTML).

const LINKS = new Set(["http:", "https:", "mailto:"]);
const IMAGE_LINKS = new Set(["http:", "https:"]);

// What the renderer makes, and all the sanitiser lets through.
const ALLOWED_TAGS = [
  "p", "br", "hr", "h3", "h4", "h5", "h6", "strong", "em", "del", "code", "pre", "blockquote",
  "ul", "ol", "li", "input", "a", "table", "thead", "tbody", "tr", "th", "td",
];
const ALLOWED_ATTR = ["href", "title", "type", "checked", "disabled", "start", "align"];
// An address (href) must be one of these; the other attributes are not addresses.
const ALLOWED_URI = /^(?:https?|mailto):/i;
const NOT_ADDRESSES = ["type", "start", "align"];
// Where a task's words end: its checkbox's label holds what comes before the first of these.
const BLOCKS = new Set(["P", "UL", "OL", "PRE", "BLOCKQUOTE", "TABLE", "H3", "H4", "H5", "H6", "HR"]);

let loading = null;

/** The libraries, loaded once (again after a failure). */
function libraries() {
  loading ||= Promise.all([import("./vendor/marked.esm.js"), import("./vendor/purify.es.js")])
    .then(([{ Marked }, { default: DOMPurify }]) => ({ marked: new Marked({ async: false, gfm: true, breaks: true, renderer }), DOMPurify }))
    .catch((error) => {
      loading = null;
      throw error;
    });
  return loading;
}

/** `text` as Markdown: a new `div.markdown` holding it. Rejects when the libraries cannot load. */
export async function renderMarkdown(text) {
  const { marked, DOMPurify } = await libraries();
  const html = marked.parse(String(text ?? ""));
  const fragment = DOMPurify.sanitize(html, {
    ALLOWED_TAGS,
    ALLOWED_ATTR,
    ALLOWED_URI_REGEXP: ALLOWED_URI,
    ADD_URI_SAFE_ATTR: NOT_ADDRESSES,
    ALLOW_DATA_ATTR: false,
    RETURN_DOM_FRAGMENT: true,
  });
  const root = document.createElement("div");
  root.className = "markdown";
  root.append(document.importNode(fragment, true));
  finish(root);
  return root;
}

/** The address `href` names, when it is absolute and of one of `schemes`; else null. */
export function allowedUrl(href, schemes = LINKS) {
  let url;
  try {
    url = new URL(String(href).trim());
  } catch {
    return null; // relative, or not an address
  }
  return schemes.has(url.protocol) ? url : null;
}

// --- the HTML marked makes, for the sanitiser ----------------------------------------------

function escape(text) {
  return String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

// marked's renderer, where it differs from marked's own (`this` is marked's renderer).
const renderer = {
  /** Raw HTML, a block or inline: the text it is. */
  html({ text, block }) {
    const shown = escape(block ? text.replace(/\n+$/, "") : text).replace(/\n/g, "<br>");
    return block ? `<p>${shown}</p>\n` : shown;
  },

  /** The note's headings go below the note's own title (h2): # is h3, ## h4, and so on. */
  heading({ tokens, depth }) {
    const level = Math.min(depth + 2, 6);
    return `<h${level}>${this.parser.parseInline(tokens)}</h${level}>\n`;
  },

  link({ href, title, text, tokens, autolink }) {
    const words = autolink ? escape(text) : this.parser.parseInline(tokens);
    const url = allowedUrl(href);
    if (!url) return words;
    return `<a href="${escape(url.href)}"${title ? ` title="${escape(title)}"` : ""}>${words}</a>`;
  },

  /** An image is never loaded: a link to it, named by its text (or its address). */
  image({ href, title, text }) {
    const url = allowedUrl(href, IMAGE_LINKS);
    if (!url) return escape(text);
    return `<a href="${escape(url.href)}"${title ? ` title="${escape(title)}"` : ""}>${escape(text || url.href)}</a>`;
  },
};

// --- the elements, once sanitised ------------------------------------------------------------

/** Links open in a new tab, without the page as opener or referrer; a checkbox is a task's
 * (disabled, named by its words); a table scrolls sideways on a narrow screen. */
function finish(root) {
  for (const link of root.querySelectorAll("a")) {
    const url = link.hasAttribute("href") ? allowedUrl(link.getAttribute("href")) : null;
    if (!url) {
      link.replaceWith(...link.childNodes);
      continue;
    }
    if (url.protocol !== "mailto:") link.target = "_blank";
    link.rel = "noopener noreferrer";
  }
  for (const input of root.querySelectorAll("input")) {
    if (input.type !== "checkbox") {
      input.remove();
      continue;
    }
    input.disabled = true;
    const label = document.createElement("label");
    label.className = "task";
    input.before(label);
    while (label.nextSibling && !BLOCKS.has(label.nextSibling.nodeName)) label.append(label.nextSibling);
  }
  for (const table of root.querySelectorAll("table")) {
    const scroller = document.createElement("div");
    scroller.className = "table-scroll";
    scroller.tabIndex = 0; // it may scroll: the keyboard can reach it
    scroller.setAttribute("role", "group");
    scroller.setAttribute("aria-label", "Table");
    table.replaceWith(scroller);
    scroller.append(table);
  }
}
