// A box that scrolls sideways (a long code line, a wide output, a wide formula,
// a wide table of an ordinary page, which Material wraps in .md-typeset__scrollwrap)
// must be reachable by keyboard, or a keyboard user cannot scroll it. A box
// that fits is not a tab stop: only the boxes that overflow get tabindex="0".
// Measuring a box lays out its cell (cells off screen skip layout until
// needed), so the boxes are measured a few at a time while the browser is
// idle, never in one long task; again after the window changes size or a
// folded solution opens.
(() => {
  const selector =
    ".jupyter-wrapper pre, .nnbook-math, .jupyter-wrapper .jp-OutputArea-output table, .md-typeset__scrollwrap";
  const idle = window.requestIdleCallback || ((fn) => setTimeout(() => fn({ timeRemaining: () => 10 }), 50));
  let queue = [];
  const work = (deadline) => {
    while (queue.length && deadline.timeRemaining() > 2) {
      const box = queue.shift();
      if (box.scrollWidth > box.clientWidth + 1) box.tabIndex = 0;
      else box.removeAttribute("tabindex");
    }
    if (queue.length) idle(work);
    // Tests wait for this mark instead of for a length of time.
    else document.documentElement.dataset.nnbookScrollBoxes = "measured";
  };
  const measureAll = () => {
    const pending = queue.length > 0;
    queue = [...document.querySelectorAll(selector)];
    delete document.documentElement.dataset.nnbookScrollBoxes;
    if (!pending) idle(work);
  };
  if (document.readyState === "complete") measureAll();
  else window.addEventListener("load", measureAll);
  // A folded solution's boxes have no width until it is opened.
  document.addEventListener("toggle", measureAll, true);
  let timer = 0;
  window.addEventListener("resize", () => {
    clearTimeout(timer);
    timer = setTimeout(measureAll, 200);
  });
})();
