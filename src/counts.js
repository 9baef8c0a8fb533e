/* Comment counts for listing pages, loaded by embed.js only on pages with
   <a data-comments-count="THREAD"> links: every such link gets "12
   comments" (in the page's language, with its plural rules), from one
   request for all of them (at most 100 threads), without the widget. */
export default (root, assets) => {
  const links = [...document.querySelectorAll("[data-comments-count]")];
  // The page's language file (the server picks the closest one).
  const words = fetch(assets + "i18n/" + encodeURIComponent(document.documentElement.lang || "en") + ".json").then((r) =>
    r.ok ? r.json() : Promise.reject(r.status),
  );
  const keys = [...new Set(links.map((e) => e.dataset.commentsCount))].slice(0, 100);
  const counts = fetch(root + "api/v1/counts?thread=" + keys.map(encodeURIComponent).join("&thread="))
    .then((r) => (r.ok ? r.json() : Promise.reject(r.status)));
  return Promise.all([counts, words]).then(([{ counts }, t]) => {
    const rules = new Intl.PluralRules(t.lang);
    for (const e of links) {
      const n = counts[e.dataset.commentsCount];
      if (n != null) e.textContent = (t.count[rules.select(n)] || t.count.other).replace("{n}", n);
    }
  });
};
