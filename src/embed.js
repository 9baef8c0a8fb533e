/* Comment widget loader: mounts the widget into every [data-comments] element.
   Everything is loaded relative to this script's own URL, never the page's.
   Nothing but this file loads until a container comes within a viewport of
   being seen (data-load="eager", or a #comment- link, loads at once). Then,
   all at the same time: the widget (glue, wasm compiled as it streams in,
   stylesheet), the page's language file, and the thread twice: as the
   widget's items, shown at once, and as the JSON the widget starts from.
   No preload hints: this file starts those fetches itself at the moment a
   hint would (pages the server renders carry real ones in their <head>).
   window.Comments.mount(element, {thread, lang, theme, …}) and
   .unmount(element) are for single-page apps (see the README).
   HTML goes in through a Trusted Types policy, "comments", which pages
   that enforce Trusted Types allow; the widget gets it too.
   The build fills in the __PLACEHOLDERS__ (crates/comments-server/build.rs)
   and minifies this file; its budget is 1 KB gzip. */
((d) => {
  // As a classic script (what the snippet is), it knows its own URL.
  const root = new URL(".", d.currentScript.src).href;
  const assets = new URL("__ASSET_DIR__", root).href;
  // What every copy of this script on the page shares: the widget, per
  // server, and the one HTML policy of its name a page may make (strings as
  // they are where the browser has no Trusted Types; a page that lists its
  // policies must list "comments").
  const all = (window._comments ||= {});
  const html = (all.html ||= ((policy) => (policy ? policy.createHTML.bind(policy) : String))(
    self.trustedTypes?.createPolicy("comments", { createHTML: String }),
  ));
  // The body of a fetch, as `as` (text or json), or a rejection.
  const get = (url, as) => fetch(url).then((r) => (r.ok ? r[as]() : Promise.reject(r)));

  // The wasm's fetch starts with the glue's import, not after it: it
  // streams in and compiles while the glue loads.
  const widget = () =>
    (all[root] ||= ((module) =>
      import(assets + "__WIDGET_JS__").then((m) => m.default(module).then(() => m)))(
      fetch(assets + "__WIDGET_WASM__"),
    ));

  // The language of data-lang, else <html lang>, else English. The server
  // picks the closest file to a BCP 47 tag, in any case (pt-BR, else pt,
  // else en).
  const tag = (host) => host.dataset.lang || d.documentElement.lang || "en";

  const start = (host) => {
    // Once per container, whichever copy of this script sees it first; what
    // unmounts it, once it is mounted (`off`).
    if (host.__cw) return;
    const me = (host.__cw = {});
    const page = new URL(d.querySelector("link[rel=canonical]")?.href || location.href);
    page.hash = "";
    const thread = host.dataset.thread || page.pathname;
    // data-mode="iframe": the widget in a frame of this server's (host.js).
    if (host.dataset.mode == "iframe")
      return import(root + "embed/host.js").then((m) => (me.off = m.default(host, thread, page)));
    const api = root + "api/v1/threads/" + encodeURIComponent(thread) + "/comments";
    const first = fetch(api);
    const lang = tag(host);
    // (Several widgets on a page fetch these again: the browser's cache
    // answers, the files being immutable.)
    const words = get(assets + "i18n/" + lang + ".json", "json");
    const style = get(assets + "__WIDGET_CSS__", "text");
    // The widget loads once the server's items are on screen (or failed):
    // its download and compilation would slow them down.
    // (A failure shows in the console as the unhandled rejection it is.)
    const go = () =>
      Promise.all([widget(), style, words]).then(
        ([glue, style, texts]) =>
          host.__cw == me && (me.off = glue.mount(host, root, style, { texts, thread, url: page.href, first, html })),
      );
    // The items come in the widget's section, under its heading in the
    // page's language (nothing for a thread without comments).
    Promise.all([style, get(api + ".html?lang=" + lang, "text")])
      .then(([style, items]) => {
        if (items && !host.shadowRoot)
          host.attachShadow({ mode: "open" }).innerHTML = html(
            `<style>${style}</style><div class="cw cw-${host.dataset.theme}">${items}</div>`,
          );
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
        // (start() does nothing for a container it started already.)
        (entries) => {
          for (const e of entries) if (e.isIntersecting) start(e.target);
        },
        { rootMargin: "100%" },
      );
    for (const host of d.querySelectorAll("[data-comments]")) {
      const box = host.getBoundingClientRect();
      if (!watch || host.dataset.load == "eager" || (box.top < 2 * innerHeight && box.bottom > -innerHeight)) start(host);
      else watch.observe(host);
    }
  };

  // Listing pages' <a data-comments-count="THREAD"> links get "12
  // comments" from their own module (counts.js, which reads its words
  // itself), in one request, without the widget.
  const count = () =>
    d.querySelector("[data-comments-count]") && import(assets + "counts.js").then((m) => m.default(root, assets));

  // For single-page apps: the options are the data- attributes' names
  // (thread, lang, theme, mode, pollSeconds, font); mount starts at once.
  window.Comments = {
    mount: (host, options) => (Object.assign(host.dataset, options), start(host)),
    // (What it leaves in host.__cw, undefined, lets mount start again.)
    unmount: (host) => (host.__cw = host.__cw?.off?.()),
  };

  // The containers already parsed start now, the others once the page is;
  // the counts once it is.
  mountAll();
  if (d.readyState == "loading") addEventListener("DOMContentLoaded", () => (mountAll(), count()));
  else count();
})(document);
