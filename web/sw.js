// The page's own files, kept for a visit without a network. Registered at sign-in (sync.js), so
// that a first visit loads nothing more; once installed, it answers every request for the page's
// files from the network when there is one (keeping each answer), and from what it kept when there
// is none. It never sees the API, the user pool or the files of notes: they are other origins, and
// the notes themselves are kept in IndexedDB (device.js). A new list of files is a new cache.

const CACHE = "notes-files-v4";
// Every file the page loads, signed in or out (a test checks the list against the folder): the
// Markdown renderer too, so that a note read offline is shown as Markdown, and the page of a
// shared note's link.
const FILES = [
  "./",
  "index.html",
  "shared.html",
  "config.json",
  "style.css",
  "notes-screen.css",
  "startup-check.js",
  "app.js",
  "config.js",
  "state.js",
  "session.js",
  "cognito.js",
  "api.js",
  "dom.js",
  "screens.js",
  "address.js",
  "sign-in.js",
  "oauth.js",
  "notes-screen.js",
  "note-actions.js",
  "trash.js",
  "account.js",
  "sync.js",
  "history.js",
  "sharing.js",
  "notes-list.js",
  "words.js",
  "device.js",
  "upload.js",
  "markdown.js",
  "shared-page.js",
  "vendor/marked.esm.js",
  "vendor/purify.es.js",
];

self.addEventListener("install", (event) => {
  // Asked again of the server (the browser's cache answers with what it has when it is current).
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(FILES.map((file) => new Request(file, { cache: "no-cache" })))));
  self.skipWaiting();
});

self.addEventListener("activate", (event) => {
  event.waitUntil(caches.keys().then((names) => Promise.all(names.filter((name) => name !== CACHE).map((name) => caches.delete(name)))));
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin) return;
  event.respondWith(fromNetworkOrKept(event, request));
});

async function fromNetworkOrKept(event, request) {
  const cache = await caches.open(CACHE);
  try {
    const answer = await fetch(request);
    if (answer.ok) event.waitUntil(cache.put(request.mode === "navigate" ? "./" : request, answer.clone()));
    return answer;
  } catch (error) {
    // No network: what was kept; a page opened at any address of the app is its index.
    const kept = request.mode === "navigate" ? await cache.match("./") : await cache.match(request, { ignoreSearch: true });
    if (kept) return kept;
    throw error;
  }
}
