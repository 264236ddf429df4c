// Pure text-offset helpers for selections in the article (no DOM, so they can be tested in node).
//
// The browser measures text in UTF-16 code units; the server counts Unicode code points
// (Python str indices). A "span" is {startIndex, startOffset, endIndex, endOffset}: indices into
// the list of block texts and UTF-16 offsets inside those texts, end exclusive.

export const CONTEXT_LENGTH = 32; // code points of prefix / suffix kept around the quote

const isHigh = (unit) => unit >= 0xd800 && unit <= 0xdbff;
const isLow = (unit) => unit >= 0xdc00 && unit <= 0xdfff;
const isSpace = (ch) => /\s/.test(ch);

/** Code points in text[0, n) (UTF-16 n). An n between the halves of a surrogate pair rounds down. */
export function utf16ToCodePoints(text, n) {
  n = Math.max(0, Math.min(n, text.length));
  if (n > 0 && n < text.length && isHigh(text.charCodeAt(n - 1)) && isLow(text.charCodeAt(n))) n -= 1;
  return Array.from(text.slice(0, n)).length;
}

/** UTF-16 length of the first n code points of text (clamped to the text). */
export function codePointsToUtf16(text, n) {
  let units = 0;
  for (const ch of text) {
    if (n-- <= 0) break;
    units += ch.length;
  }
  return units;
}

/**
 * Trim whitespace off both ends of a span, stepping into the next / previous block when a
 * block's part of the selection is all whitespace (e.g. a triple click that ends at offset 0 of
 * the following paragraph). Returns a new span, or null when nothing but whitespace is selected.
 */
export function trimSpan(texts, span) {
  let { startIndex, startOffset, endIndex, endOffset } = span;
  // Where the selected part of block i ends / starts, given the current span.
  const partEnd = (i) => (i === endIndex ? endOffset : texts[i].length);
  const partStart = (i) => (i === startIndex ? startOffset : 0);

  for (;;) {
    while (startOffset < partEnd(startIndex) && isSpace(texts[startIndex][startOffset])) startOffset++;
    if (startOffset < partEnd(startIndex) || startIndex >= endIndex) break;
    startIndex++;
    startOffset = 0;
  }
  for (;;) {
    while (endOffset > partStart(endIndex) && isSpace(texts[endIndex][endOffset - 1])) endOffset--;
    if (endOffset > partStart(endIndex) || endIndex <= startIndex) break;
    endIndex--;
    endOffset = texts[endIndex].length;
  }
  if (startIndex > endIndex || (startIndex === endIndex && startOffset >= endOffset)) return null;
  return { startIndex, startOffset, endIndex, endOffset };
}

/**
 * Everything the server needs about a (UTF-16) span over `texts`, in code points:
 * {startIndex, startOffset, endIndex, endOffset, exact, prefix, suffix}, or null if empty.
 * The document text is the block texts joined with "\n"; exact joins its block parts the same way.
 */
export function describeSpan(texts, span) {
  const trimmed = trimSpan(texts, span);
  if (!trimmed) return null;
  const { startIndex, endIndex } = trimmed;
  const startText = texts[startIndex];
  const endText = texts[endIndex];
  const startOffset = utf16ToCodePoints(startText, trimmed.startOffset);
  const endOffset = utf16ToCodePoints(endText, trimmed.endOffset);
  if (startIndex === endIndex && startOffset >= endOffset) return null;

  // Back to UTF-16, now on code point boundaries, so plain slices are code point slices.
  const start16 = codePointsToUtf16(startText, startOffset);
  const end16 = codePointsToUtf16(endText, endOffset);
  let exact;
  if (startIndex === endIndex) {
    exact = startText.slice(start16, end16);
  } else {
    exact = [startText.slice(start16), ...texts.slice(startIndex + 1, endIndex), endText.slice(0, end16)].join("\n");
  }

  const before = [...texts.slice(0, startIndex), startText.slice(0, start16)].join("\n");
  const after = [endText.slice(end16), ...texts.slice(endIndex + 1)].join("\n");
  // 2 units per code point at most, so these slices hold enough (a split pair falls outside).
  const prefix = Array.from(before.slice(-2 * CONTEXT_LENGTH)).slice(-CONTEXT_LENGTH).join("");
  const suffix = Array.from(after.slice(0, 2 * CONTEXT_LENGTH)).slice(0, CONTEXT_LENGTH).join("");

  return { startIndex, startOffset, endIndex, endOffset, exact, prefix, suffix };
}

/** A left coordinate that keeps a box of `width` inside [scrollX + margin, scrollX + viewport - margin]. */
export function clampLeft(left, width, viewportWidth, scrollX = 0, margin = 8) {
  const max = scrollX + viewportWidth - width - margin;
  return Math.max(scrollX + margin, Math.min(left, max));
}
