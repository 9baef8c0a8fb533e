/* The widget in an iframe of its own (/embed/frame), for pages whose
   Content-Security-Policy allows this server's script but not WebAssembly
   or inline styles: <div data-comments data-mode="iframe">. embed.js loads
   this module for such containers only. The frame says how tall it is, and
   passes on the widget's events; only messages from this server's origin
   and from that frame count. */
export default (host, thread, page) => {
  // This module's own URL says where the server is.
  const root = new URL("../", import.meta.url).href;
  const origin = new URL(root).origin;
  const frame = document.createElement("iframe");
  const query = new URLSearchParams({
    thread,
    url: page.href,
    title: document.title,
    origin: location.origin,
    lang: host.dataset.lang || document.documentElement.lang || "en",
    theme: host.dataset.theme || "light",
  });
  frame.src = root + "embed/frame?" + query;
  frame.title = "Comments";
  frame.style.width = "100%";
  frame.style.border = "0";
  frame.style.height = "24em";
  host.replaceChildren(frame);
  const heard = (e) => {
    if (e.origin !== origin || e.source !== frame.contentWindow) return;
    if (e.data?.type === "comments:height") frame.style.height = Math.max(0, Number(e.data.height) || 0) + "px";
    // The widget's events, from inside the frame, on the container as in
    // the normal mode.
    if (e.data?.type === "comments:event" && EVENTS.includes(e.data.name))
      host.dispatchEvent(new CustomEvent(e.data.name, { bubbles: true, detail: { id: Number(e.data.id) || undefined } }));
  };
  addEventListener("message", heard);
  // What window.Comments.unmount calls.
  return () => {
    removeEventListener("message", heard);
    frame.remove();
  };
};

const EVENTS = ["comments:loaded", "comments:posted", "comments:approved"];
