// Selecting text in the article: measure the selection as block + code point offsets, fill the
// hidden inputs of the selection toolbar and show it under the selection (or, for anonymous
// readers, show the sign-in prompt there instead).
//
// The toolbar is an ordinary POST form: htmx submits it when loaded, the browser does otherwise,
// so nothing here calls preventDefault on submit.

import { clampLeft, codePointsToUtf16, describeSpan } from "./offsets.js";

const DEBOUNCE_MS = 100;
const ERROR_MAX_LENGTH = 200;

const articleBody = () => document.querySelector("[data-article-body]");
const toolbar = () => document.querySelector("[data-selection-toolbar]");
// What to show under a selection: the label toolbar, or the sign-in prompt for anonymous readers.
const popup = () => toolbar() || document.querySelector("[data-signin-prompt]");

let shown = null; // the selection the popup currently describes
let keyOwner = null; // the selection the current submission_key was made for
let dismissed = null; // key of a selection the reader closed the popup on: don't reopen for it
let pointerIsDown = false; // mid-drag: wait for mouseup instead of flickering the toolbar
let timer = 0;
let focusCard = null; // annotation id whose card gets focus once the response is swapped in

/** Collapse whitespace and shorten a server message for the toolbar. */
export function tidyMessage(text, max = ERROR_MAX_LENGTH) {
  const clean = (text || "").replace(/\s+/g, " ").trim();
  return clean.length > max ? `${clean.slice(0, max - 1).trimEnd()}…` : clean;
}

/** A fresh UUID; crypto.randomUUID only exists in secure contexts (https or localhost). */
export function newSubmissionKey() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[6] = (bytes[6] & 0x0f) | 0x40; // version 4
  bytes[8] = (bytes[8] & 0x3f) | 0x80; // RFC 4122 variant
  const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

// UTF-16 length of el's text up to a DOM point. A Range counts text only, so <mark>s (and the
// point being an element + child index rather than a text node) don't matter.
function lengthTo(el, node, offset) {
  const range = document.createRange();
  range.setStart(el, 0);
  range.setEnd(node, offset);
  return range.toString().length;
}

// The DOM point n UTF-16 units into el's text (at the end of a text node rather than the start
// of the next, so a rectangle measured there sits on the line the text ends on).
function domPoint(el, n) {
  const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
  let last = null;
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    if (n <= node.length) return [node, n];
    n -= node.length;
    last = node;
  }
  return last ? [last, last.length] : [el, el.childNodes.length];
}

/**
 * The current selection clipped to the article's blocks and trimmed, as the server wants it, plus
 * `key` (identifies the selection) and `rect` (viewport rectangle of its last line). Null when
 * there is nothing (but whitespace) selected in the article.
 */
function readSelection() {
  const body = articleBody();
  const selection = window.getSelection();
  if (!body || !selection || selection.rangeCount === 0 || selection.isCollapsed) return null;
  const range = selection.getRangeAt(0);
  const els = Array.from(body.querySelectorAll("[data-block-text]"));
  const hits = [];
  els.forEach((el, i) => range.intersectsNode(el) && hits.push(i));
  if (!hits.length) return null;

  const first = hits[0];
  const last = hits[hits.length - 1];
  const texts = els.map((el) => el.textContent);
  const found = describeSpan(texts, {
    startIndex: first,
    startOffset: els[first].contains(range.startContainer)
      ? lengthTo(els[first], range.startContainer, range.startOffset) : 0,
    endIndex: last,
    endOffset: els[last].contains(range.endContainer)
      ? lengthTo(els[last], range.endContainer, range.endOffset) : texts[last].length,
  });
  if (!found) return null;

  const blockOf = (i) => els[i].closest("[data-block]")?.dataset.block ?? "";
  const startBlock = blockOf(found.startIndex);
  const endBlock = blockOf(found.endIndex);

  // Measure the trimmed selection, not the raw one, which may run on into the margin.
  const trimmed = document.createRange();
  trimmed.setStart(...domPoint(els[found.startIndex],
    codePointsToUtf16(texts[found.startIndex], found.startOffset)));
  trimmed.setEnd(...domPoint(els[found.endIndex],
    codePointsToUtf16(texts[found.endIndex], found.endOffset)));
  const rects = Array.from(trimmed.getClientRects()).filter((r) => r.width > 0);
  const rect = rects[rects.length - 1] || trimmed.getBoundingClientRect();

  return {
    ...found,
    startBlock,
    endBlock,
    key: `${startBlock}:${found.startOffset}-${endBlock}:${found.endOffset}`,
    rect,
  };
}

function fill(form, found) {
  const set = (name, value) => {
    const input = form.elements.namedItem(name);
    if (input) input.value = value;
  };
  set("start_block", found.startBlock);
  set("start_offset", found.startOffset);
  set("end_block", found.endBlock);
  set("end_offset", found.endOffset);
  set("exact", found.exact);
  set("prefix", found.prefix);
  set("suffix", found.suffix);
  // One key per selection: resubmitting the same selection (double click, retry after an
  // error) repeats it, and the server then creates the annotation once.
  if (found.key !== keyOwner) {
    keyOwner = found.key;
    set("submission_key", newSubmissionKey());
  }
}

function setError(form, message) {
  const error = form?.querySelector("[data-toolbar-error]");
  if (error) error.textContent = message;
}

function show(ui, found) {
  if (shown?.key !== found.key) setError(ui, "");
  shown = found;
  ui.hidden = false; // before measuring its width
  const { rect } = found;
  const width = ui.offsetWidth;
  const left = rect.right + window.scrollX - width / 2;
  ui.style.left = `${Math.round(clampLeft(left, width, document.documentElement.clientWidth, window.scrollX))}px`;
  ui.style.top = `${Math.round(rect.bottom + window.scrollY + 8)}px`;
}

function hide(ui) {
  if (!ui || ui.hidden) return;
  const hadFocus = ui.contains(document.activeElement);
  ui.hidden = true;
  setError(ui, "");
  // Focus would otherwise fall to <body>: put it back beside the passage the reader was on.
  if (hadFocus && shown) {
    document.querySelector(`[data-block="${CSS.escape(shown.startBlock)}"] .block-number`)?.focus();
  }
}

function update() {
  window.clearTimeout(timer);
  const ui = popup();
  if (!ui) return;
  // Typing a note or using the toolbar moves the document selection: keep what we have.
  if (ui.contains(document.activeElement)) return;
  const found = readSelection();
  if (!found) {
    dismissed = null;
    hide(ui);
    return;
  }
  if (found.key === dismissed) return;
  dismissed = null;
  if (ui.matches("form")) fill(ui, found);
  show(ui, found);
}

function schedule(delay = DEBOUNCE_MS) {
  window.clearTimeout(timer);
  timer = window.setTimeout(update, delay);
}

function dismiss() {
  const ui = popup();
  if (!ui || ui.hidden) return false;
  dismissed = shown?.key ?? null;
  hide(ui);
  return true;
}

function toggleNote(button) {
  const panel = document.getElementById(button.getAttribute("aria-controls"));
  if (!panel) return;
  const open = panel.hidden;
  panel.hidden = !open;
  button.setAttribute("aria-expanded", String(open));
  // Keep focus inside the toolbar either way, or the next selectionchange would close it.
  if (open) panel.querySelector("textarea")?.focus();
  else button.focus();
}

function setBusy(form, busy) {
  form.querySelectorAll('button[type="submit"], input[type="submit"]').forEach((b) => {
    b.disabled = busy;
  });
  if (busy) form.setAttribute("aria-busy", "true");
  else form.removeAttribute("aria-busy");
}

function messageFrom(xhr) {
  if (!xhr || xhr.status === 0) return "Not saved: the server can’t be reached. Try again.";
  if (xhr.status >= 500) return `Not saved: something went wrong (error ${xhr.status}). Try again.`;
  const type = xhr.getResponseHeader("Content-Type") || "";
  return tidyMessage(type.startsWith("text/plain") ? xhr.responseText : textOfHtml(xhr.responseText))
    || `Not saved (error ${xhr.status}). Try again.`;
}

// The text of an HTML fragment or page. Never innerHTML: DOMParser builds an inert document
// (no scripts run, nothing loads); a space after each block keeps "<h1>A</h1><p>B" as "A B".
// <style> blocks (Django's error pages have one) are cut first: parsing one logs a CSP
// violation even in an inert document.
function textOfHtml(html) {
  const source = (html || "").replace(/<(style|script)\b[\s\S]*?<\/\1\s*>/gi, "");
  const { body } = new DOMParser().parseFromString(source, "text/html");
  body.querySelectorAll("address, blockquote, br, dd, div, dt, h1, h2, h3, h4, h5, h6, li, p, pre, td, th")
    .forEach((el) => el.after(" "));
  return body.textContent;
}

// The toolbar form behind an htmx event, if it is one.
const toolbarOf = (event) => {
  const elt = event.detail?.elt || event.target;
  return elt instanceof Element ? elt.closest("[data-selection-toolbar]") : null;
};

function init() {
  document.addEventListener("selectionchange", () => {
    if (!pointerIsDown) schedule();
    // Mid-drag only hide (the press collapsed the old selection); mouseup shows the new one.
    else if (window.getSelection()?.isCollapsed) update();
  });

  document.addEventListener("pointerdown", (event) => {
    if (event.pointerType !== "mouse" || event.button !== 0) return;
    pointerIsDown = true;
    if (!popup()?.contains(event.target)) dismissed = null; // re-selecting the same words reopens
  });
  for (const type of ["pointerup", "pointercancel"]) {
    document.addEventListener(type, () => {
      pointerIsDown = false;
    });
  }
  document.addEventListener("mouseup", (event) => {
    pointerIsDown = false;
    if (popup()?.contains(event.target)) return; // a toolbar click; its own handlers decide
    // A click inside the selection only collapses it after mouseup: read it a tick later.
    schedule(articleBody()?.contains(event.target) ? 0 : DEBOUNCE_MS);
  });
  document.addEventListener("keyup", (event) => {
    if (event.key !== "Escape" && articleBody()?.contains(event.target)) schedule(0);
  });

  // Pressing a toolbar button must not collapse the selection or take focus from it.
  document.addEventListener("mousedown", (event) => {
    if (event.target instanceof Element && event.target.closest("[data-selection-toolbar] button")) {
      event.preventDefault();
    }
  });

  document.addEventListener("keydown", (event) => {
    // defaultPrevented tells margin.js this Escape was used (it closes its drawer otherwise).
    if (event.key === "Escape" && dismiss()) event.preventDefault();
  });

  document.addEventListener("click", (event) => {
    if (!(event.target instanceof Element)) return;
    const noteToggle = event.target.closest("[data-toolbar-note-toggle]");
    if (noteToggle) toggleNote(noteToggle);
    else if (event.target.closest("[data-toolbar-close]")) dismiss();
  });

  window.addEventListener("resize", () => {
    if (popup() && !popup().hidden) schedule();
  });

  document.addEventListener("htmx:beforeRequest", (event) => {
    const form = toolbarOf(event);
    if (!form) return;
    setBusy(form, true);
    setError(form, "");
  });

  // HX-Trigger: annotationCreated arrives before the swap and before htmx:afterRequest.
  document.body.addEventListener("annotationCreated", (event) => {
    const form = toolbar();
    if (!form || !(form.contains(event.target) || form.getAttribute("aria-busy") === "true")) return;
    const id = event.detail?.id;
    const note = form.querySelector("#toolbar-note-input, textarea[name=note]");
    if (note) note.value = "";
    if (id != null && form.contains(document.activeElement)) {
      focusCard = id; // focused in htmx:afterRequest, once the card exists
      form.hidden = true;
      setError(form, "");
    } else {
      hide(form);
    }
    shown = null;
    keyOwner = null; // labelling the same words again is a new annotation
    window.getSelection()?.removeAllRanges();
  });

  document.addEventListener("htmx:afterRequest", (event) => {
    const form = toolbarOf(event);
    if (!form) return;
    setBusy(form, false);
    if (!event.detail.successful) {
      setError(form, messageFrom(event.detail.xhr));
    } else if (focusCard != null) {
      // The reader was in the toolbar (keyboard, note): the new card is swapped in by now.
      document.getElementById(`annotation-${focusCard}`)?.focus();
      focusCard = null;
    }
  });
}

if (typeof document !== "undefined") init();
