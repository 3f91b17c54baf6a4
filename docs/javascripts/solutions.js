// Exercise solutions are ordinary code cells: the build executes them and the
// tests run them. On the page, each one (with its output) is folded behind a
// "Show solution" toggle. Without JavaScript the solutions simply stay visible.
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
  });
});
