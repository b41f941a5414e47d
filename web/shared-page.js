// The page a shared note's link opens (<web app>/shared.html#<shareId>), for anyone, signed in or
// not:
// the note read-only, as it is now (GET /shared/{shareId}, asked without any token: this module
// knows nothing of the session, nor of api.js) — its title, tags, when it last changed, its
// content as Markdown (markdown.js, as the note read), its file to download, an image shown. No
// editing; "Open your notes" leads to the app itself. A link that opens nothing (unknown,
// expired, stopped, its note in the trash or deleted: the API answers each with the same 404) is
// said in words. A page of its own (shared.html), which loads none of the app's sign-in or notes:
// no other visit loads it. It draws the page itself (state.js's onChange).

import { loadConfig } from "./config.js";
import { h, replace } from "./dom.js";
import { clearMessages, fileSize, noteLabel, say, warn } from "./screens.js";
import { onChange, update } from "./state.js";

const TIMEOUT_MS = 20000;
// The attachments shown as images (their contentType), as in the note read.
const IMAGE_TYPES = new Set(["image/png", "image/jpeg", "image/gif", "image/webp"]);
// The file's download URL is valid 5 minutes: older than this, it is asked for again first.
const FRESH_MS = 4 * 60 * 1000;
const NOWHERE = "This link opens no note: it may have expired or been stopped by its owner.";

let config = null;
let shareId = "";
// What is shown: { state: loading | found | none | failed, note, readAt, content (an element), failure }
let shown = { state: "loading" };
let renderer = null;

/** Shows the note the address's link opens, with the stage's `settings` (config.json). */
export function showShared(settings) {
  config = settings;
  shareId = decodeURIComponent(location.hash.slice(1));
  // Another link typed in this page's address: it opens.
  addEventListener("hashchange", () => location.reload());
  renderer = Promise.all([import("./markdown.js"), import("./vendor/marked.esm.js"), import("./vendor/purify.es.js")]).then(
    ([module]) => module,
  );
  renderer.catch(() => {}); // said where the content is shown
  return open({ focus: true });
}

/** The note, read from the API, and drawn. */
async function open({ focus = false } = {}) {
  shown = { state: "loading" };
  update({ screen: "shared" });
  const answer = await read();
  shown = answer;
  if (answer.state === "found") shown.content = await content(answer.note.content);
  document.title = answer.state === "found" ? `${noteLabel(answer.note)} · Notes` : "No note · Notes";
  if (answer.state === "failed") warn(answer.failure);
  else clearMessages();
  update({ screen: "shared", focus: focus || answer.state !== "found" ? "screen-heading" : null });
  return answer;
}

/** GET /shared/{shareId}, without a token: { state, note, readAt, failure }. */
async function read() {
  if (!/^[A-Za-z0-9_-]{1,200}$/.test(shareId)) return { state: "none" };
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), TIMEOUT_MS);
  try {
    const response = await fetch(`${config.apiUrl}/shared/${encodeURIComponent(shareId)}`, {
      headers: { Accept: "application/json" },
      credentials: "omit",
      cache: "no-store",
      referrerPolicy: "no-referrer",
      signal: controller.signal,
    });
    if (response.status === 404) return { state: "none" };
    if (!response.ok) {
      return { state: "failed", failure: `The notes service could not open this link (${response.status}): try again in a moment.` };
    }
    return { state: "found", note: await response.json(), readAt: Date.now() };
  } catch {
    const offline = navigator.onLine === false ? "You seem to be offline: " : "";
    return { state: "failed", failure: `${offline}the notes service cannot be reached. Check the connection and try again.` };
  } finally {
    clearTimeout(timer);
  }
}

/** The content as Markdown; as written, with a word, when the renderer cannot load. */
async function content(text) {
  if (!String(text || "").trim()) return h("p", { class: "hint" }, "No content.");
  try {
    return await (await renderer).renderMarkdown(text);
  } catch {
    return h(
      "div",
      {},
      h("p", { class: "hint" }, "Shown as written: the page could not load its Markdown renderer."),
      h("div", { class: "markdown as-written" }, text),
    );
  }
}

// --- drawing -------------------------------------------------------------------------------

function draw(state) {
  document.body.dataset.screen = "shared";
  replace(document.getElementById("account"));
  replace(document.getElementById("main"), page());
  if (state.focus) document.getElementById(state.focus)?.focus();
}

function page() {
  if (shown.state === "loading") {
    return h("section", { class: "panel shared-note", "aria-busy": "true" }, h("p", {}, "Opening the shared note…"));
  }
  if (shown.state === "none") {
    return h(
      "section",
      { class: "panel shared-note", "aria-labelledby": "screen-heading" },
      h("h1", { id: "screen-heading", tabindex: "-1" }, "No note here"),
      h("p", {}, NOWHERE),
      h("p", { class: "hint" }, "Ask whoever sent it for a new link."),
      yourNotes(),
    );
  }
  if (shown.state === "failed") {
    return h(
      "section",
      { class: "panel shared-note", "aria-labelledby": "screen-heading" },
      h("h1", { id: "screen-heading", tabindex: "-1" }, "The shared note could not be opened"),
      h("p", {}, shown.failure),
      h("div", { class: "actions" }, h("button", { type: "button", id: "retry-shared", on: { click: () => (config ? open({ focus: true }) : location.reload()) } }, "Try again")),
      yourNotes(),
    );
  }
  const note = shown.note;
  return h(
    "article",
    { class: "panel shared-note", "aria-labelledby": "screen-heading" },
    h("p", { class: "hint shared-intro" }, "A note shared with you, read-only."),
    h("h1", { id: "screen-heading", tabindex: "-1" }, noteLabel(note)),
    note.tags?.length ? h("p", { class: "hint note-tags" }, `Tags: ${note.tags.join(", ")}`) : null,
    h("p", { class: "hint" }, "Last changed ", when(note.updatedAt), "."),
    shown.content.cloneNode(true),
    note.attachment ? attachment(note.attachment) : null,
    yourNotes(),
  );
}

function when(iso) {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return "";
  return h("time", { datetime: iso }, date.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" }));
}

/** The way to the app itself: its sign-in, or the visitor's notes when signed in. */
function yourNotes() {
  return h("p", { class: "shared-foot" }, h("a", { href: "./", class: "button" }, "Open your notes"));
}

/** The note's file: a link to download it, and an image shown (PNG, JPEG, GIF, WebP). */
function attachment(file) {
  const url = webAddress(file.url);
  const image = url && IMAGE_TYPES.has(String(file.contentType).toLowerCase());
  const figure = image ? h("figure", { class: "preview" }) : null;
  if (figure) {
    const failed = () => replace(figure, h("p", { class: "hint" }, "The image could not be shown: download it instead."));
    figure.append(h("img", { src: url, alt: file.name, on: { error: failed } }));
  }
  return h(
    "section",
    { class: "attachment", "aria-labelledby": "attachment-heading" },
    h("h2", { id: "attachment-heading" }, "Attachment"),
    figure,
    h(
      "p",
      { class: "file" },
      url
        ? h("a", { href: url, class: "file-name", rel: "noopener noreferrer", on: { click: download } }, file.name)
        : h("span", { class: "file-name" }, file.name),
      ` (${fileSize(file.size)}, ${file.contentType})`,
    ),
    url ? h("p", { class: "hint" }, "Choose the file's name to download it.") : null,
  );
}

/** `url` when it is a web address (http, https), else null. */
function webAddress(url) {
  try {
    const parsed = new URL(url);
    return parsed.protocol === "https:" || parsed.protocol === "http:" ? parsed.href : null;
  } catch {
    return null;
  }
}

/** The file's link followed; when its URL may have expired, the note is read again first. */
async function download(event) {
  if (Date.now() - shown.readAt < FRESH_MS) return;
  event.preventDefault();
  say("Preparing the download…");
  const answer = await open();
  const url = answer.state === "found" && webAddress(answer.note.attachment?.url);
  if (!url) return;
  const anchor = h("a", { href: url, rel: "noopener noreferrer", hidden: true });
  document.body.append(anchor);
  anchor.click();
  anchor.remove();
  say(`Downloading “${answer.note.attachment.name}”.`);
}

// --- starting ------------------------------------------------------------------------------

onChange(draw);
document.documentElement.dataset.started = "true";
loadConfig().then(showShared, (error) => {
  shown = { state: "failed", failure: error.message };
  warn(error.message);
  update({ screen: "shared" });
});
