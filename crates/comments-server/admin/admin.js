// Moderation pages: keyboard triage (j/k/a/r/#/x/u/?), optimistic decisions with undo, bulk actions.
// Without this script every button still works as a plain form post.

const csrf = document.querySelector('meta[name="csrf-token"]')?.content ?? "";
const toast = document.querySelector(".toast");
const toolbar = document.querySelector(".toolbar");
const help = document.querySelector("dialog.help");
const verbs = { approved: "Approved", rejected: "Rejected", deleted: "Deleted", pending: "Restored" };
const keys = { a: "approved", r: "rejected", "#": "deleted" };
let current = null;
let last = null;

const rows = () => [...document.querySelectorAll("article.item")];

function focusRow(row) {
  current?.classList.remove("current");
  current = row ?? null;
  if (!row) return;
  row.classList.add("current");
  row.focus();
}

function say(text, undoable = false) {
  if (!toast) return;
  toast.replaceChildren(document.createTextNode(text));
  if (undoable) {
    const b = document.createElement("button");
    b.type = "button";
    b.className = "undo";
    b.textContent = "Undo (u)";
    b.addEventListener("click", undo);
    toast.append(" ", b);
  }
  toast.classList.add("shown");
}

async function send(changes) {
  const res = await fetch("/admin/api/decide", {
    method: "POST",
    credentials: "same-origin",
    headers: { "content-type": "application/json", "x-csrf-token": csrf },
    body: JSON.stringify({ changes }),
  });
  if (!res.ok) {
    let message = `the server answered ${res.status}`;
    try {
      message = (await res.json()).error.message;
    } catch {}
    throw new Error(message);
  }
  return (await res.json()).results;
}

function count(cls, delta) {
  const el = document.querySelector(cls);
  if (!el) return;
  const n = parseInt(el.textContent, 10) + delta;
  el.textContent = el.textContent.replace(/^\d+/, String(Math.max(0, n)));
}

function recount(places, to, sign) {
  const n = places.length * sign;
  if (places[0]?.el.dataset.status === "pending") count(".n-pending", -n);
  if (to === "approved") count(".n-approved", n);
  if (to === "rejected") count(".n-rejected", n);
}

function restore(places) {
  for (const p of [...places].reverse()) {
    const next = p.next && p.next.parentNode === p.parent ? p.next : null;
    p.parent.insertBefore(p.el, next);
  }
}

/** Hides the rows at once, then tells the server; puts them back if it refuses. */
async function decide(targets, to) {
  targets = targets.filter((r) => r.querySelector(`button[value="${to}"]`));
  if (!targets.length) return;
  const all = rows();
  const following = all.slice(all.indexOf(targets[targets.length - 1]) + 1).find((r) => !targets.includes(r));
  const preceding = all.slice(0, all.indexOf(targets[0])).reverse().find((r) => !targets.includes(r));
  const places = targets.map((el) => ({ el, parent: el.parentNode, next: el.nextSibling }));
  targets.forEach((r) => {
    r.remove();
    r.querySelector(".pick").checked = false;
  });
  recount(places, to, 1);
  focusRow(following ?? preceding);
  const n = targets.length;
  say(`${verbs[to]} ${n} comment${n > 1 ? "s" : ""}…`);
  try {
    const results = await send(targets.map((r) => ({ id: Number(r.dataset.id), to })));
    // Undo reverts a comment only if it still has the status set here.
    const back = results
      .filter((r) => r.previous && r.previous !== to)
      .map((r) => ({ id: r.id, to: r.previous, from: to }));
    last = { places, back, to };
    say(`${verbs[to]} ${n} comment${n > 1 ? "s" : ""}.`, back.length > 0);
  } catch (e) {
    restore(places);
    recount(places, to, -1);
    focusRow(targets[0]);
    say(`Not saved: ${e.message}`);
  }
}

async function undo() {
  if (!last) return;
  const { places, back, to } = last;
  last = null;
  try {
    const results = await send(back);
    const changed = results.filter((r) => r.conflict).map((r) => r.id);
    const undone = places.filter((p) => !changed.includes(Number(p.el.dataset.id)));
    restore(undone);
    recount(undone, to, -1);
    if (undone.length) focusRow(undone[0].el);
    if (changed.length) {
      const list = changed.map((id) => `#${id}`).join(", ");
      say(`Undone, except ${list}: someone else changed ${changed.length > 1 ? "them" : "it"} since.`);
    } else {
      say("Undone.");
    }
  } catch (e) {
    say(`Undo failed: ${e.message}`);
  }
}

document.addEventListener("submit", (e) => {
  const form = e.target;
  if (!form.classList?.contains("acts") || !e.submitter) return;
  e.preventDefault();
  decide([form.closest("article.item")], e.submitter.value);
});

document.addEventListener("click", (e) => {
  const bulk = e.target.closest?.("button.bulk");
  if (bulk) decide(rows().filter((r) => r.querySelector(".pick").checked), bulk.dataset.to);
  if (e.target.closest?.("button.keys")) help?.showModal();
  const row = e.target.closest?.("article.item");
  if (row && row !== current) focusRow(row);
});

document.addEventListener("change", (e) => {
  if (e.target.classList?.contains("pick-all")) {
    rows().forEach((r) => (r.querySelector(".pick").checked = e.target.checked));
  }
});

document.addEventListener("keydown", (e) => {
  if (e.ctrlKey || e.metaKey || e.altKey || e.target.closest?.("input, textarea, select, dialog")) return;
  const list = rows();
  const i = list.indexOf(current);
  if (e.key === "j") focusRow(list[Math.min(i + 1, list.length - 1)] ?? list[0]);
  else if (e.key === "k") focusRow(list[Math.max(i - 1, 0)]);
  else if (e.key in keys && current) decide([current], keys[e.key]);
  else if (e.key === "x" && current) {
    const pick = current.querySelector(".pick");
    pick.checked = !pick.checked;
  } else if (e.key === "u") undo();
  else if (e.key === "?") help?.open ? help.close() : help?.showModal();
  else return;
  e.preventDefault();
});

if (toolbar && rows().length) toolbar.hidden = false;
const target = location.hash ? document.getElementById(location.hash.slice(1)) : null;
focusRow(target?.matches("article.item") ? target : rows()[0]);
