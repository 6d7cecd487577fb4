// Where a flagged term occurs in text, found case-insensitively but reported as offsets into
// the text itself: lowercasing can change lengths ("İ" becomes two UTF-16 units), so offsets
// found in the lowered copy are mapped back, never applied to the original as they are.
// Pure (no DOM): loaded by the console before console.js, and run under node by the tests.
"use strict";
function findHighlight(text, terms) {
  const lowered = terms.map((term) => term.toLocaleLowerCase()).filter((term) => term.length);
  if (!lowered.length) return null;
  let lower = "";
  const starts = []; // for each unit of `lower`: where its character starts in `text`
  const ends = []; // ... and where it ends
  for (let i = 0; i < text.length; ) {
    const code = text.codePointAt(i);
    const width = code > 0xffff ? 2 : 1;
    const piece = text.slice(i, i + width).toLocaleLowerCase();
    for (let k = 0; k < piece.length; k += 1) { starts.push(i); ends.push(i + width); }
    lower += piece;
    i += width;
  }
  let best = null;
  for (const term of lowered) {
    const found = lower.indexOf(term);
    if (found < 0) continue;
    const range = { start: starts[found], end: ends[found + term.length - 1] };
    if (best === null || range.start < best.start) best = range;
  }
  return best;
}
if (typeof module !== "undefined") module.exports = { findHighlight };
