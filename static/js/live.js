// Live reading: keep open threads open and leave unchanged paragraphs alone when the
// server sends fresh blocks and margin (after the reader's own writes and every 5 s poll).

const openThreads = () =>
  [...document.querySelectorAll(".card__thread-slot")]
    .filter((slot) => slot.childElementCount > 0)
    .map((slot) => slot.id.match(/^annotation-(\d+)-thread-slot$/)?.[1])
    .filter(Boolean);

// Cards filled in and on screen (or a screen away): a fresh margin brings them in full, so
// what the reader is looking at does not fall back to stubs and flicker.
const NEAR_MAX = 40;
const nearCards = () => {
  const reach = window.innerHeight;
  const near = [];
  for (const card of document.querySelectorAll("[data-margin] [data-annotation]:not(.card--stub)")) {
    const { top, bottom, height } = card.getBoundingClientRect();
    if (height && bottom > -reach && top < 2 * reach) near.push(card.dataset.annotation);
    if (near.length >= NEAR_MAX) break;
  }
  return near;
};

// Every request from the reader tells the server which threads to render open, and which
// cards it shows.
document.body.addEventListener("htmx:configRequest", (event) => {
  if (!document.querySelector("[data-article-body]")) return;
  const ids = openThreads();
  if (ids.length) event.detail.parameters.open_threads = ids;
  const near = nearCards();
  if (near.length) event.detail.parameters.near = near.join(",");
});

// A paragraph whose highlights did not change is not touched: a reader's selection in it
// survives, and the page doesn't flicker.
document.body.addEventListener("htmx:oobBeforeSwap", (event) => {
  const { target, fragment } = event.detail;
  if (!target.matches?.("[data-block]")) return;
  const incoming = fragment.querySelector?.("[data-block-text]");
  const current = target.querySelector("[data-block-text]");
  if (incoming && current && incoming.innerHTML === current.innerHTML) {
    event.detail.shouldSwap = false;
  }
});

// Forms the fresh margin cannot carry over (editing a highlight or a reply, the claim picker):
// while the reader is working in one, hold the margin back and let the next poll try again.
// Only the poll holds back: a reader's own save must show its result at once.
let fromPoll = false;
let deferred = false;
document.body.addEventListener("htmx:beforeSwap", (event) => {
  fromPoll = event.detail.elt?.id === "live-updates";
});
const preserved = (el) => el.closest("[id^='reply-body-'], [id^='reply-respond-']");
const busy = (root) =>
  [...root.querySelectorAll("textarea, input[type=text], input[type=search], select")].some(
    (field) =>
      !preserved(field) &&
      (field === document.activeElement ||
        (field.value ?? "") !== (field.defaultValue ?? field.value)),
  );

document.body.addEventListener("htmx:oobBeforeSwap", (event) => {
  const { target } = event.detail;
  if (!fromPoll) return;
  if (target.id === "margin-body") {
    deferred = busy(target);
    if (deferred) event.detail.shouldSwap = false;
  } else if (target.id === "live-updates" && deferred) {
    event.detail.shouldSwap = false; // keep the old version: the next poll brings it all again
    deferred = false;
  }
});
