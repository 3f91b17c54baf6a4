// A box that scrolls sideways (a long code line, a wide output, a wide formula)
// must be reachable by keyboard, or a keyboard user cannot scroll it. A box
// that fits is not a tab stop: only the boxes that overflow get tabindex="0",
// measured after load and again when the window changes size.
(() => {
  const boxes = ".jupyter-wrapper pre, .nnbook-math, .jupyter-wrapper .jp-OutputArea-output table";
  const update = () => {
    document.querySelectorAll(boxes).forEach((box) => {
      if (box.scrollWidth > box.clientWidth + 1) {
        box.tabIndex = 0;
      } else if (box.hasAttribute("tabindex")) {
        box.removeAttribute("tabindex");
      }
    });
  };
  document.addEventListener("DOMContentLoaded", update);
  let pending = 0;
  window.addEventListener("resize", () => {
    cancelAnimationFrame(pending);
    pending = requestAnimationFrame(update);
  });
})();
