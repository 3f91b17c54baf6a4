/* axe-core's WCAG rules over a whole page, with each contrast situation of code and math checked once.

Loaded after axe.min.js (site_helpers.add_axe); `nnbookAxe.run(tags, {dedupe})` returns the
violations of every rule that carries one of `tags`, and counts of what the colour rule skipped.

Why: a chapter holds thousands of Pygments token spans (`<span class="n">`, `.p`, `.mi`...) and
hundreds of MathML elements, and axe's color-contrast rule works out the colours under each of them
one by one: about half of an axe run on a chapter, twice per visit (light and dark scheme). Nearly
all of them repeat a situation already met on the page: the same colours on the same backgrounds.

What makes an element's contrast, in axe 4.14 (colorContrastEvaluate and what it calls):
  1. its own computed style: color, -webkit-text-fill-color and -stroke, text-shadow, font-size and
     font-weight (the large-text threshold), opacity;
  2. what lies under its text: its ancestors' backgrounds, opacities, blend modes, and any other
     element whose box overlaps the text (that is geometry, not style);
  3. its text: one character long or not (axe leaves a short text that fails undecided);
  4. whether axe can compute it at all: hidden or clipped text, something on top, a large
     pseudo-element nearby make the result "incomplete" or a pass, never a violation.
So, before the run, each candidate (an element inside `pre` or `math` with text of its own, rendered)
gets a signature: 1 for it and for every ancestor up to <html> (STYLE), and 3. Candidates whose
box any element overlaps that is not their ancestor (positioned, floated, or forming a stacking
context: OVERLAY) are left to axe, so for the others 2 is the ancestors alone, inside the
signature. The first candidate of each signature (its representative) is checked; the rest are
skipped by the colour rule (its selector excludes the MARK attribute); every other rule runs over
everything. A skipped duplicate, run through axe, would get the colours its representative got, or
one of the results of 4, which are not violations.
After the run, each representative's own result is read (a reporter runs while axe's data still
exists): one whose contrast axe did not compute (4) vouches for nobody, and its duplicates are
checked in a second run of the colour rule alone. tests/site/test_browser.py plants an illegible
duplicate of each kind on a page and checks that each is reported.

Transitions still running when the run starts are finished first, so that every element is measured
in its final colours. The marks are removed after the run, and axe's configuration reset.
*/
(() => {
  'use strict';
  const MARK = 'data-nnbook-contrast-dup';
  // Blocks of code (and outputs) and formulas; their elements with text are the candidates.
  const CONTAINERS = 'pre, math';
  const REPORTER = 'nnbook-contrast-once';
  // Every computed property axe's contrast computation reads, of the element or of an ancestor.
  const STYLE = [
    'color', '-webkit-text-fill-color', '-webkit-text-stroke-width', '-webkit-text-stroke-color',
    'text-shadow', 'font-size', 'font-weight', 'background-color', 'background-image', 'display',
    'opacity', 'mix-blend-mode', 'position', 'z-index', 'float', 'transform', 'filter',
    'backdrop-filter', 'perspective', 'clip-path', 'mask-image', 'isolation', 'will-change',
    'contain', 'visibility', 'overflow-x', 'overflow-y',
  ];

  const ownText = el => [...el.childNodes].filter(n => n.nodeType === Node.TEXT_NODE).map(n => n.data).join('');

  /** Elements that can paint over or under text that is not theirs: positioned, floated, or a stacking context. */
  function overlays() {
    const found = [];
    for (const el of document.body.querySelectorAll('*')) {
      const s = getComputedStyle(el);
      if (s.position !== 'static' || s.float !== 'none' || s.opacity !== '1' || s.transform !== 'none'
          || s.filter !== 'none' || s.mixBlendMode !== 'normal' || s.zIndex !== 'auto') {
        // Its box, stretched over content that overflows it (scrollWidth and scrollHeight count that too).
        const b = el.getBoundingClientRect();
        const r = {left: b.left, top: b.top, right: b.left + Math.max(b.width, el.scrollWidth),
                   bottom: b.top + Math.max(b.height, el.scrollHeight)};
        if (r.right > r.left && r.bottom > r.top) found.push({el, r});
      }
    }
    return found;
  }

  /** Text axe's colour rule never reports, wherever it is: punctuation alone (its matcher skips it) or
   * characters outside the Basic Multilingual Plane alone (its check says "incomplete"). Same tests as axe's. */
  function undecidable(text) {
    const {removeUnicode, hasUnicode, sanitize} = axe.commons.text;
    return removeUnicode(text, {emoji: true, nonBmp: false, punctuations: true}) === ''
      || (hasUnicode(text, {nonBmp: true}) && sanitize(removeUnicode(text, {nonBmp: true})) === '');
  }

  const meets = (a, b) => a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;

  /** Marks every candidate but the first of each signature, and text axe never reports; returns the groups
   * that have duplicates, and how many candidates were marked for their text. */
  function mark() {
    const chain = new Map();  // element -> id of its own and all its ancestors' styles
    const ids = new Map();    // signature text -> id
    const idOf = text => { let id = ids.get(text); if (id === undefined) ids.set(text, id = ids.size); return id; };
    const style = el => { const s = getComputedStyle(el); return el.nodeName + ':' + STYLE.map(p => s.getPropertyValue(p)).join('|'); };
    const chainId = el => {
      if (!el) return -1;
      let id = chain.get(el);
      if (id === undefined) chain.set(el, id = idOf(chainId(el.parentElement) + '>' + style(el)));
      return id;
    };
    const over = overlays();
    const never = new Map();  // text -> undecidable(text): tokens repeat
    let undecided = 0;
    const first = new Map();  // signature id -> group
    const containers = [...document.querySelectorAll(CONTAINERS)].filter(c => !c.parentElement.closest(CONTAINERS));
    for (const container of containers) {
      // The overlays that reach into this block, and are not around it (ancestors are in the signature).
      const box = container.getBoundingClientRect();
      const near = over.filter(o => !o.el.contains(container) && meets(o.r, box));
      for (const el of container.querySelectorAll('*')) {
        const text = axe.commons.text.sanitize(ownText(el));
        if (!text || !el.checkVisibility()) continue;
        if (!never.has(text)) never.set(text, undecidable(text));
        if (never.get(text)) { el.setAttribute(MARK, ''); undecided++; continue; }
        if (near.length) {
          const own = el.getBoundingClientRect();
          if (near.some(o => o.el !== el && !o.el.contains(el) && meets(o.r, own))) continue;  // left to axe
        }
        const id = chainId(el) + (text.length === 1 ? ' short' : '');
        const group = first.get(id);
        if (group) { group.dups.push(el); el.setAttribute(MARK, ''); }
        else first.set(id, {rep: el, dups: []});
      }
    }
    return {groups: [...first.values()].filter(g => g.dups.length), undecided};
  }

  /** The duplicates whose representative's contrast axe did not compute (read from axe's raw results). */
  function unvouched(raw, groups) {
    const computed = new Set();
    const rule = raw.find(r => r.id === 'color-contrast');
    for (const node of rule ? [...rule.passes, ...rule.violations, ...rule.incomplete] : []) {
      const check = node.any.find(c => c.id === 'color-contrast');
      const decided = node.result === 'passed' || node.result === 'failed';
      if (decided && check && check.data && check.data.fgColor && check.data.bgColor) computed.add(node.node.element);
    }
    return groups.filter(g => !computed.has(g.rep)).flatMap(g => g.dups);
  }

  const brief = violations => violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.map(n => ({target: n.target.join(' '), summary: n.failureSummary})),
  }));

  async function run(tags, {dedupe = true} = {}) {
    // Colours still changing (Material fades links and code from one colour to the next: a switch of
    // scheme starts such transitions) are measured where they arrive: each transition still running is
    // finished now. (Waiting for them instead can wait forever: one inside a closed <details> never runs.)
    for (const a of document.getAnimations()) if (a instanceof CSSTransition) a.finish();
    const colours = axe.getRules(tags).some(r => r.ruleId === 'color-contrast');
    let groups = [];
    let left = [];
    let undecided = 0;
    let result;
    try {
      if (dedupe && colours) {
        ({groups, undecided} = mark());
        axe.configure({rules: [{id: 'color-contrast', selector: `*:not([${MARK}])`}]});
        axe.addReporter(REPORTER, (raw, options, done) => {
          left = unvouched(raw, groups);
          axe.getReporter('v1')(raw, options, done);
        });
      }
      // The reporter reads each representative's result from axe's raw results, which hold every
      // node whatever resultTypes says (it only trims what the v1 reporter then formats).
      result = await axe.run(document, {
        runOnly: {type: 'tag', values: tags}, resultTypes: ['violations'], ...(groups.length ? {reporter: REPORTER} : {}),
      });
    } finally {
      for (const el of document.querySelectorAll(`[${MARK}]`)) el.removeAttribute(MARK);
      axe.reset();
    }
    const violations = brief(result.violations);
    if (left.length) {
      const again = await axe.run({include: left}, {
        runOnly: {type: 'rule', values: ['color-contrast']}, resultTypes: ['violations'],
      });
      for (const v of brief(again.violations)) {
        const same = violations.find(w => w.id === v.id);
        if (same) same.nodes.push(...v.nodes); else violations.push(v);
      }
    }
    const duplicates = groups.reduce((n, g) => n + g.dups.length, 0);
    return {violations, skipped: duplicates - left.length + undecided, rechecked: left.length};
  }

  window.nnbookAxe = {run, MARK};
})();
