// Site-wide behaviour: visible messages for failed htmx requests, focus for swapped-in panels.

const flash = () => document.querySelector("[data-flash]");

export function showMessage(text, kind = "error") {
  const region = flash();
  if (!region) return;
  const item = document.createElement("p");
  item.className = `flash__item flash__item--${kind}`;
  item.textContent = text;
  region.replaceChildren(item);
  window.setTimeout(() => item.remove(), 8000);
}

function messageFrom(xhr) {
  const type = xhr.getResponseHeader("Content-Type") || "";
  if (type.startsWith("text/plain") && xhr.responseText) return xhr.responseText;
  if (xhr.status === 403) return "You can’t do that here. Reload the page and sign in again.";
  if (xhr.status === 404) return "That no longer exists. Reload the page to see the latest.";
  if (xhr.status === 429) return "Too many attempts. Wait a minute and try again.";
  if (xhr.status === 0) return "The server can’t be reached. Check your connection and try again.";
  return `Something went wrong (error ${xhr.status}). Reload the page and try again.`;
}

document.body.addEventListener("htmx:responseError", (event) => {
  const { xhr, elt } = event.detail;
  // The selection toolbar and swapped forms show their own errors in place (the toolbar shows
  // a 429's text/plain message too); for a 5xx the toolbar only has the status code, so the
  // server's explanation (an outage) goes to the flash region as well.
  if (xhr.status === 422) return;
  if (elt.closest("[data-selection-toolbar]") && xhr.status < 500) return;
  showMessage(messageFrom(xhr));
});

document.body.addEventListener("htmx:sendError", () => {
  showMessage("The server can’t be reached. Check your connection and try again.");
});

// A form swapped into a paragraph's panel takes focus, so keyboard users land in it.
document.body.addEventListener("htmx:afterSwap", (event) => {
  const target = event.detail.target;
  if (target.classList?.contains("block-form")) {
    target.querySelector("select, input:not([type=hidden]), textarea")?.focus();
  } else if (target.matches?.(".panel-form") || event.detail.elt.matches?.(".panel-form")) {
    const invalid = document.querySelector(".panel-form [role=alert]");
    invalid?.closest(".field, .panel-form")?.querySelector("select, input:not([type=hidden]), textarea")?.focus();
  }
});

// Cancel in a paragraph's panel closes it and returns focus to that paragraph's button.
document.addEventListener("click", (event) => {
  const cancel = event.target.closest("[data-close-panel]");
  const panel = cancel?.closest(".block-form");
  if (!panel) return;
  event.preventDefault();
  panel.replaceChildren();
  panel.closest("[data-block]")?.querySelector(".annotate-block")?.focus();
});

// After a highlight is saved or changed, move focus to its card so the result is announced.
for (const name of ["annotationCreated", "annotationChanged", "linkCreated", "linkDeleted"]) {
  document.body.addEventListener(name, (event) => {
    const id = event.detail?.id;
    const fromPanel = document.activeElement?.closest?.(".block-form, .card") || document.activeElement === document.body;
    window.setTimeout(() => {
      const card = id && document.getElementById(`annotation-${id}`);
      if (card && fromPanel) card.focus({ preventScroll: false });
    }, 50);
  });
}

// Closing a thread empties its slot and returns focus to the card's Discuss link.
document.addEventListener("click", (event) => {
  const close = event.target.closest("[data-close-thread]");
  const slot = close?.closest(".card__thread-slot");
  if (!slot) return;
  slot.replaceChildren();
  slot.closest(".card")?.querySelector("[data-discuss]")?.focus();
});

// A reply posted: its text is gone from the box, so empty any <details> reply box left open.
document.body.addEventListener("htmx:afterSwap", (event) => {
  if (event.detail.target.classList?.contains("card__thread-slot")) {
    event.detail.target.querySelector(".form-error")?.closest("form")?.querySelector("textarea")?.focus();
  }
});
