// A box that scrolls sideways (a long code line, a wide output, a wide formula)
// must be reachable by keyboard, or a keyboard user cannot scroll it. A box
// that fits is not a tab stop: only the boxes that overflow get tabindex="0",
// measured when the browser is idle after load and again after a resize. All
// boxes are measured first and changed afterwards, so the page is laid out once.
(() => {
  const boxes = ".jupyter-wrapper pre, .nnbook-math, .jupyter-wrapper .jp-OutputArea-output table";
  const update = () => {
    const all = [...document.querySelectorAll(boxes)];
    const scrolls = all.map((box) => box.scrollWidth > box.clientWidth + 1);
    all.forEach((box, i) => {
      if (scrolls[i]) box.tabIndex = 0;
      else box.removeAttribute("tabindex");
    });
    // Tests wait for this mark instead of for a length of time.
    document.documentElement.dataset.nnbookScrollBoxes = "measured";
  };
  const whenIdle = window.requestIdleCallback || ((fn) => setTimeout(fn, 200));
  if (document.readyState === "complete") whenIdle(update, { timeout: 2000 });
  else window.addEventListener("load", () => whenIdle(update, { timeout: 2000 }));
  let pending = 0;
  window.addEventListener("resize", () => {
    clearTimeout(pending);
    pending = setTimeout(update, 200);
  });
})();
