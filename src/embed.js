/* Comment widget loader: mounts the widget into every [data-comments] element.
   Everything is loaded relative to this script's own URL, never the page's. */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || !script.src) return;
  var root = new URL(".", script.src).href;
  var assets = new URL("__ASSET_DIR__", root).href;
  var state = window.__commentsWidget || (window.__commentsWidget = {});
  var loaded = state[root];
  if (!loaded) {
    loaded = state[root] = Promise.all([
      import(assets + "__WIDGET_JS__").then(function (m) {
        return m.default({ module_or_path: assets + "__WIDGET_WASM__" }).then(function () {
          return m;
        });
      }),
      fetch(assets + "__WIDGET_CSS__").then(function (r) {
        return r.text();
      })
    ]);
  }
  function mountAll(parts) {
    var hosts = document.querySelectorAll("[data-comments]");
    for (var i = 0; i < hosts.length; i++) {
      var host = hosts[i];
      if (host.shadowRoot || host.hasAttribute("data-comments-mounted")) continue;
      host.setAttribute("data-comments-mounted", "");
      try {
        parts[0].mount(host, root, parts[1]);
      } catch (e) {
        console.error("comments: cannot mount into", host, e);
      }
    }
  }
  loaded.then(function (parts) {
    if (document.readyState === "loading") {
      document.addEventListener("DOMContentLoaded", function () { mountAll(parts); });
    } else {
      mountAll(parts);
    }
  }, function (e) {
    console.error("comments: the widget failed to load", e);
  });
})();
