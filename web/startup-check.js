// Says so in words when the page's modules could not load or start (a missing file, an old
// browser), instead of leaving "Loading…" on screen for ever. A classic script, run first.
(function () {
  var shown = false;
  function show() {
    if (shown || document.documentElement.getAttribute("data-started")) return;
    shown = true;
    var alert = document.getElementById("alert");
    var text = "The page could not start: reload it. If this keeps happening, use an up-to-date browser.";
    if (alert) alert.textContent = text;
    var loading = document.getElementById("loading");
    if (loading) loading.textContent = text;
  }
  window.addEventListener(
    "error",
    function (event) {
      var target = event.target;
      if (target && target.tagName === "SCRIPT") show();
    },
    true
  );
  setTimeout(show, 10000);
})();
