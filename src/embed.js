/* Comment widget loader: mounts the widget into every [data-comments] element.
   Everything is loaded relative to this script's own URL, never the page's.
   Nothing but this file loads until a container comes within a viewport of
   being seen (data-load="eager", or a #comment- link, loads at once). Then,
   all at the same time: the widget (glue, wasm compiled as it streams in,
   stylesheet), the page's language file, and the thread twice: as the
   widget's items, shown at once, and as the JSON the widget starts from.
   No preload hints: this file starts those fetches itself at the moment a
   hint would (pages the server renders carry real ones in their <head>).
   The build fills in the __PLACEHOLDERS__ (crates/comments-server/build.rs)
   and minifies this file; its budget is 1 KB gzip. */
(() => {
  // As a classic script (what the snippet is), it knows its own URL.
  const root = new URL(".", document.currentScript.src).href;
  const assets = new URL("__ASSET_DIR__", root).href;
  // What every copy of this script on the page shares, per server.
  const shared = ((window.__commentsWidget ||= {})[root] ||= { texts: {} });
  // The body of a fetch, as `as` (text or json), or a rejection.
  const get = (url, as) => fetch(url).then((r) => (r.ok ? r[as]() : Promise.reject(r.status)));

  const css = () => (shared.css ||= get(assets + "__WIDGET_CSS__", "text"));
  // The wasm's fetch starts with the glue's import, not after it: it
  // streams in and compiles while the glue loads.
  const widget = () =>
    (shared.widget ||= ((module) =>
      import(assets + "__WIDGET_JS__").then((m) => m.default({ module_or_path: module }).then(() => m)))(
      fetch(assets + "__WIDGET_WASM__"),
    ));

  // The language file of data-lang, else <html lang>, else English. The
  // server picks the closest file to a BCP 47 tag (pt-BR, else pt, else en).
  const texts = (host) => {
    const tag = encodeURIComponent((host.dataset.lang || document.documentElement.lang || "en").toLowerCase());
    return (shared.texts[tag] ||= get(assets + "i18n/" + tag + ".json", "json"));
  };

  const start = (host) => {
    // Once per container, whichever copy of this script sees it first.
    if (host.__cw) return;
    host.__cw = 1;
    const page = new URL(document.querySelector("link[rel=canonical]")?.href || location.href);
    page.hash = "";
    const thread = host.dataset.thread?.trim() || page.pathname;
    // data-mode="iframe": the widget in a frame of this server's (host.js).
    if (host.dataset.mode == "iframe") return import(root + "embed/host.js").then((m) => m.default(host, thread, page));
    const api = root + "api/v1/threads/" + encodeURIComponent(thread) + "/comments";
    const first = fetch(api);
    const words = texts(host);
    const style = css();
    // The widget loads once the server's items are on screen (or failed):
    // its download and compilation would slow them down.
    // (A failure shows in the console as the unhandled rejection it is.)
    const go = () =>
      Promise.all([widget(), style, words]).then(([glue, style, texts]) =>
        glue.mount(host, root, style, { texts, thread, url: page.href, first }),
      );
    Promise.all([style, get(api + ".html", "text"), words])
      .then(([style, items, t]) => {
        if (items && !host.shadowRoot)
          host.attachShadow({ mode: "open" }).innerHTML =
            `<style>${style}</style><div class="cw cw-${host.dataset.theme}"><section class="cw-thread">` +
            `<h2 class="cw-heading">${t.heading}</h2><ol class="cw-list">${items}</ol></section></div>`;
      })
      .then(go, go);
  };

  // Containers within a viewport of the screen start at once, the others
  // when the reader scrolls near them.
  const mountAll = () => {
    // Every browser that runs the widget has IntersectionObserver.
    const watch =
      !/^#comment-/.test(location.hash) &&
      new IntersectionObserver(
        (entries) => {
          for (const e of entries)
            if (e.isIntersecting) {
              watch.unobserve(e.target);
              start(e.target);
            }
        },
        { rootMargin: "100%" },
      );
    for (const host of document.querySelectorAll("[data-comments]")) {
      const box = host.getBoundingClientRect();
      if (!watch || host.dataset.load == "eager" || (box.top < 2 * innerHeight && box.bottom > -innerHeight)) start(host);
      else watch.observe(host);
    }
  };

  // Listing pages' <a data-comments-count="THREAD"> links get "12
  // comments" from their own module (counts.js), in one request, without
  // the widget.
  const count = () =>
    document.querySelector("[data-comments-count]") &&
    import(assets + "counts.js").then((m) => m.default(root, texts(document.documentElement)));

  // The containers already parsed start now, the others once the page is;
  // the counts once it is.
  mountAll();
  if (document.readyState == "loading")
    document.addEventListener("DOMContentLoaded", () => (mountAll(), count()));
  else count();
})();
