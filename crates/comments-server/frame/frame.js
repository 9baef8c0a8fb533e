/* Inside /embed/frame: tells the embedding page how tall the widget is, so
   that it can size the iframe. Only to the origin the page said it is
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
})();
