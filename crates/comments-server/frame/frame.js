/* Inside /embed/frame: tells the embedding page how tall the widget is, so
   that it can size the iframe, and what the widget announces (its events). Only to the origin the page said it is
   (checked by the server against the allowed sites); the page checks that
   the message comes from this server. */
(() => {
  const to = document.currentScript.dataset.parent;
  if (!to || parent === window) return;
  let last = 0;
  new ResizeObserver(() => {
    const height = Math.ceil(document.body.getBoundingClientRect().height);
    if (height !== last) {
      last = height;
      parent.postMessage({ type: "comments:height", height }, to);
    }
  }).observe(document.body);
  // The widget's events, to the page that embeds the frame.
  for (const name of ["comments:loaded", "comments:posted", "comments:approved"])
    document.addEventListener(name, (e) => parent.postMessage({ type: "comments:event", name, id: e.detail?.id }, to));
})();
