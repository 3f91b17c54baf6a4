// MathJax 2 is served by this site (hooks/math_assets.py copies it from the
// jupyter-server-mathjax package at build time). This object configures it
// before MathJax.js loads; nothing is fetched from another host.
window.MathJax = {
  config: ["TeX-AMS-MML_HTMLorMML-full.js"],
  jax: ["input/TeX", "output/HTML-CSS"],
  tex2jax: {
    inlineMath: [["$", "$"], ["\\(", "\\)"]],
    displayMath: [["$$", "$$"], ["\\[", "\\]"]],
    processEscapes: true,
    processEnvironments: true,
  },
  MMLorHTML: { prefer: "HTML" },
  "HTML-CSS": {
    availableFonts: [],
    preferredFont: null,
    webFont: "STIX-Web",
    imageFont: null,
    linebreaks: { automatic: true },
    // MathJax measures fonts against an empty font loaded from about:blank,
    // which Chromium refuses with a console error; a local() name that no
    // machine has gives the same empty font without any request.
    styles: {
      "@font-face": { "font-family": "MathJax_Blank", src: "local('MathJax_Blank_None')" },
    },
  },
  messageStyle: "none",
  showMathMenu: false,
  menuSettings: { zoom: "None" },
};
