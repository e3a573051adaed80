// The sliders of the box that holds this (invisible) view keep the keys a slider answers, in every Jupyter.
// Jupyter's shortcuts are Lumino's: one keydown listener on `document`. JupyterLab 4.6 listens in the bubbling
// phase: a focused slider handle takes the key first, marks it handled, and the shortcut is skipped. Notebook 7.6
// and JupyterLite 0.6 listen in the capture phase: the command-mode shortcuts whose selector a focused handle matches
// (`.jp-Notebook.jp-mod-commandMode:not(.jp-mod-readWrite) :focus`: ArrowUp/ArrowDown move the cell cursor,
// ArrowLeft/ArrowRight fold headings) run first and stop the event before it reaches the handle.
// Lumino matches no shortcut for a target inside an element marked `data-lm-suppress-shortcuts`: for those keys
// only, the focused handle wears the mark while its keydown is dispatched. Only a listener on `window` in the
// capture phase hears a keydown before Lumino's on `document`. See nbs/reference/02b_slider_keys.ipynb.
const KEYS = new Set(['ArrowLeft', 'ArrowRight', 'ArrowUp', 'ArrowDown', 'PageUp', 'PageDown', 'Home', 'End']);  // noUiSlider's
const KEEPER = 'lr-tutor-slider-keys';
const SUPPRESS = 'data-lm-suppress-shortcuts';
const INSTALLED = Symbol.for('lr_tutor.slider_keys');

// whether an element around `handle` holds a keeper view among its own children
const kept = handle => {
  for (let box = handle.parentElement; box; box = box.parentElement)
    if (box.querySelector(`:scope > .${KEEPER}`)) return true;
  return false;
};

const onKeydown = event => {
  const handle = event.target;
  if (!KEYS.has(event.key) || !handle.classList?.contains('noUi-handle') || handle.hasAttribute(SUPPRESS)
      || !kept(handle)) return;
  handle.setAttribute(SUPPRESS, '');
  setTimeout(() => handle.removeAttribute(SUPPRESS));      // after this event: other keys keep their shortcuts
};

function render({ el }) {
  el.classList.add(KEEPER);
  const page = el.ownerDocument.defaultView;               // the output's own window (an iframe in some front ends)
  if (!page[INSTALLED]) { page.addEventListener('keydown', onKeydown, true); page[INSTALLED] = true; }
}

export default { render };
