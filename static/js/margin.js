// The margin of annotation cards and its links with the highlights in the text:
// card -> scroll to and flash its highlight; highlight -> focus its card; the phone drawer; filters.
// Everything is delegated from `document` because htmx swaps the cards and blocks out of band.

const FLASH_MS = 1600;
const INTERACTIVE = "a, button, input, select, textarea, label, summary, form, [contenteditable]";

/** Annotation ids (strings) a highlight covers, from its space-separated data-annotations. */
export function idsOf(mark) {
  return (mark.getAttribute("data-annotations") || "").split(/\s+/).filter(Boolean);
}

/** Which of a mark's `count` annotations to show: the next one when the same mark is clicked again. */
export function nextIndex(sameMark, previous, count) {
  return sameMark && count > 0 ? (previous + 1) % count : 0;
}

/** Whether a card ({kind, mine}) passes the filter ({label: all|claim|…, who: everyone|mine}). */
export function matchesFilter(card, filter) {
  return (filter.label === "all" || card.kind === filter.label) && (filter.who !== "mine" || card.mine);
}

export function filterStatus(shown, total) {
  return `Showing ${shown} of ${total} ${total === 1 ? "highlight" : "highlights"}`;
}

const smoothly = () =>
  window.matchMedia?.("(prefers-reduced-motion: reduce)").matches ? "auto" : "smooth";
// Displayed at all (offsetParent would be null for a position:fixed button too).
const isShown = (el) => !!el && el.getClientRects().length > 0;
const toggleButton = () => document.querySelector("[data-margin-toggle]");
const marginOf = (toggle) =>
  document.getElementById(toggle?.getAttribute("aria-controls") || "margin") ||
  document.querySelector("[data-margin]");

// ---- card -> highlight ----

const flashTimers = new WeakMap();

function flash(mark) {
  window.clearTimeout(flashTimers.get(mark));
  mark.classList.remove("hl--flash");
  void mark.offsetWidth; // reflow, so a second click restarts the CSS animation
  mark.classList.add("hl--flash");
  flashTimers.set(mark, window.setTimeout(() => mark.classList.remove("hl--flash"), FLASH_MS));
}

/** Scroll to and flash annotation `id`'s highlight. False if it is not in the text (detached). */
function jumpToHighlight(id, card) {
  const marks = document.querySelectorAll(
    `[data-article-body] mark[data-annotations~="${CSS.escape(id)}"]`);
  if (!marks.length) return false;

  // On a phone the open drawer covers the text: close it first, leaving focus on its toggle.
  const toggle = toggleButton();
  if (isShown(toggle) && toggle.getAttribute("aria-expanded") === "true") setDrawer(toggle, false, true);

  marks[0].scrollIntoView({ block: "center", behavior: smoothly() });
  marks.forEach(flash);
  document.querySelectorAll("[data-annotation][aria-current]").forEach((c) => c.removeAttribute("aria-current"));
  card?.setAttribute("aria-current", "true");
  return true;
}

// ---- highlight -> card ----

let lastMark = { el: null, id: "", index: 0 };

function scrollIntoMargin(card, behavior = smoothly()) {
  // The nearest scrolling box between the card and the margin (the drawer, or a sticky column).
  for (let box = card.parentElement; box; box = box.parentElement) {
    const { overflowY } = getComputedStyle(box);
    if (box.scrollHeight > box.clientHeight && /auto|scroll/.test(overflowY)) {
      const offset = card.getBoundingClientRect().top - box.getBoundingClientRect().top;
      box.scrollTo({ top: box.scrollTop + offset - (box.clientHeight - card.offsetHeight) / 2, behavior });
      return;
    }
    if (box.matches("[data-margin]")) break;
  }
  card.scrollIntoView({ block: "nearest", behavior });
}

function resetFilters() {
  for (const [name, value] of [["filter-label", "all"], ["filter-who", "everyone"]]) {
    const radio = document.querySelector(`input[name="${name}"][value="${value}"]`);
    if (radio) radio.checked = true;
  }
  applyFilters(true);
}

function showCard(mark) {
  const ids = idsOf(mark);
  if (!ids.length) return;
  // Same element, or the same segment re-rendered by a swap (marks carry an id).
  const same = lastMark.el === mark || (!!mark.id && lastMark.id === mark.id);
  const index = nextIndex(same, lastMark.index, ids.length);
  lastMark = { el: mark, id: mark.id, index };

  const card = document.getElementById(`annotation-${ids[index]}`);
  if (!card) return;
  const toggle = toggleButton();
  if (isShown(toggle) && toggle.getAttribute("aria-expanded") === "false") toggle.click();
  if (card.hidden) resetFilters(); // the reader asked for this card: don't leave it filtered out

  document.querySelectorAll(".card--active").forEach((c) => c.classList.remove("card--active"));
  card.classList.add("card--active");
  card.focus({ preventScroll: true });
  // A stub is filled in once in view: jump there, rather than glide past (and fill) the rest.
  const stub = card.classList.contains("card--stub");
  wanted = stub ? card.id : "";
  scrollIntoMargin(card, stub ? "auto" : smoothly());
}

// The card a highlight asked for while it was a stub: batches filled in above it make it
// move, so it is brought back into view until it is whole.
let wanted = "";

// ---- drawer (phones) ----

let drawerOpen = false;

function setDrawer(toggle, open, returnFocus = false) {
  drawerOpen = open;
  marginOf(toggle)?.classList.toggle("margin--open", open);
  toggle?.setAttribute("aria-expanded", String(open));
  if (returnFocus && isShown(toggle)) toggle.focus();
}

// ---- filters ----

const checkedValue = (name, fallback) =>
  document.querySelector(`input[name="${name}"]:checked`)?.value || fallback;

/** Hide cards that don't match the checked radios; `announce` also writes the live region. */
function applyFilters(announce) {
  const margin = document.querySelector("[data-margin]");
  if (!margin) return;
  const filter = { label: checkedValue("filter-label", "all"), who: checkedValue("filter-who", "everyone") };
  const cards = margin.querySelectorAll("[data-annotation]");
  let shown = 0;
  for (const card of cards) {
    const match = matchesFilter({ kind: card.dataset.kind, mine: card.dataset.mine === "true" }, filter);
    card.hidden = !match;
    if (match) shown += 1;
  }
  const status = document.querySelector("[data-filter-status]");
  // After a swap only speak up when a filter is on (or we spoke before): counts then change.
  const filtering = filter.label !== "all" || filter.who !== "everyone";
  const text = filterStatus(shown, cards.length);
  if (status && (announce || filtering || status.textContent) && status.textContent !== text) {
    status.textContent = text;
  }
}

let afterSwapQueued = false;

function afterSwap() {
  // Both events fire for one response (and once per swapped element): do the work once.
  if (afterSwapQueued) return;
  afterSwapQueued = true;
  window.requestAnimationFrame(() => {
    afterSwapQueued = false;
    applyFilters(false);
    // A re-rendered margin or toggle comes back closed: keep the drawer as the reader left it.
    setDrawer(toggleButton(), drawerOpen);
  });
}

// ---- events ----

function init() {
  document.addEventListener("click", (event) => {
    const target = event.target;
    if (!(target instanceof Element)) return;

    const toggle = target.closest("[data-margin-toggle]");
    if (toggle) {
      setDrawer(toggle, toggle.getAttribute("aria-expanded") !== "true");
      return;
    }

    const jump = target.closest("[data-jump]");
    if (jump) {
      if (event.ctrlKey || event.metaKey || event.shiftKey || event.altKey) return; // new tab etc.
      // Only take over the #p-N link when there is a highlight to show.
      if (jumpToHighlight(jump.dataset.jump, jump.closest("[data-annotation]"))) event.preventDefault();
      return;
    }

    const card = target.closest("[data-margin] [data-annotation]");
    if (card) {
      const control = target.closest(INTERACTIVE);
      const selecting = window.getSelection()?.isCollapsed === false; // copying the quote
      if (!(control && card.contains(control)) && !selecting) jumpToHighlight(card.dataset.annotation, card);
      return;
    }

    const mark = target.closest("[data-article-body] mark[data-annotations]");
    // A drag that ends on a highlight is a selection for annotate.js, not a click.
    if (mark && window.getSelection()?.isCollapsed !== false) showCard(mark);
  });

  document.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && event.target instanceof Element && event.target.matches("[data-margin] [data-annotation]")) {
      jumpToHighlight(event.target.dataset.annotation, event.target);
    } else if (event.key === "Escape" && !event.defaultPrevented) {
      // annotate.js prevents the default when its Escape closed the selection toolbar.
      const toggle = toggleButton();
      if (marginOf(toggle)?.classList.contains("margin--open")) {
        setDrawer(toggle, false, true);
        event.preventDefault();
      }
    }
  });

  document.addEventListener("change", (event) => {
    if (event.target instanceof Element && event.target.matches('input[name="filter-label"], input[name="filter-who"]')) {
      applyFilters(true);
    }
  });

  document.body.addEventListener("htmx:afterSettle", afterSwap);
  document.body.addEventListener("htmx:oobAfterSwap", afterSwap);

  // A batch of stubs filled in replaces elements the reader may be on: keep the focus on the
  // same card, and the card a highlight asked for marked and in view.
  let refocus = "";
  document.body.addEventListener("htmx:beforeSwap", (event) => {
    const batch = event.detail.target;
    if (!batch?.matches?.(".card-batch")) return;
    const focused = document.activeElement?.closest?.("[data-annotation]");
    if (batch.contains(focused)) refocus = focused.id;
  });
  // After the settle: htmx copies the old element's attributes onto its successor until then.
  document.body.addEventListener("htmx:afterSettle", () => {
    if (refocus) document.getElementById(refocus)?.focus({ preventScroll: true });
    refocus = "";
    const card = wanted && document.getElementById(wanted);
    if (!card) return;
    card.classList.add("card--active");
    scrollIntoMargin(card, "auto");
    if (!card.classList.contains("card--stub")) wanted = "";
  });

  // The reader scrolling or typing on their own takes over from the card kept in view (else a
  // batch that failed would pull them back at every later swap).
  for (const type of ["wheel", "touchmove", "keydown"]) {
    document.addEventListener(type, () => { wanted = ""; }, { passive: true });
  }

  drawerOpen = toggleButton()?.getAttribute("aria-expanded") === "true";
  applyFilters(false); // radios restored by the browser on back/forward or reload
}

if (typeof document !== "undefined") init();
