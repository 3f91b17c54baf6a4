// Exercise solutions are ordinary code cells: the build executes them and the
// tests run them. On the page, each one (with its output, and the answer in
// words that follows it) is folded behind a "Show solution" toggle. Without JavaScript the solutions simply stay visible.
document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll(".jp-Cell.jp-CodeCell").forEach((cell) => {
    if (cell.closest("details.solution")) return;
    const code = cell.querySelector("pre");
    const match = code && code.textContent.match(/^\s*# Solution to exercise ([\d.]+)/);
    if (!match) return;
    const details = document.createElement("details");
    details.className = "solution";
    const summary = document.createElement("summary");
    summary.textContent = `Show the solution to exercise ${match[1]}`;
    details.appendChild(summary);
    cell.parentNode.insertBefore(details, cell);
    details.appendChild(cell);
    // The answer in words, a Markdown cell right after the code that starts with
    // "Answer.", belongs behind the same toggle.
    const next = details.nextElementSibling;
    if (next && next.matches(".jp-MarkdownCell") && /^\s*Answer\./.test(next.textContent)) {
      details.appendChild(next);
    }
  });
  // The PDF printer (tools/build_pdf.py) waits for this mark before it unfolds every solution.
  document.documentElement.dataset.nnbookSolutions = "folded";
});
