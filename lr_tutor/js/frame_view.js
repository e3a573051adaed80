// The figure as PNG frames drawn on a canvas. Besides the current frame, the kernel sends frames drawn
// ahead for values the sliders may take next (a few steps the way a slider is being dragged, one step of the
// others); when the sliders take one of those values, its frame is drawn at once, without waiting for the
// kernel to hear of the change. Every frame is drawn in a context (an int: what else the picture depends on,
// such as the axes' limits or the pinned runs) and leaves the page in one: a frame ahead is shown only while
// the page is in the context it was drawn in, so a frame drawn from an older state is never shown by mistake.
const near = (a, b, tol) => typeof a === 'number' && typeof b === 'number' ? Math.abs(a - b) <= tol : a === b;
const png = view => new Blob([view], { type: 'image/png' });
// frames ahead kept decoded (about 1 MB each): those the controls reach next (one control away, the one moved last
// first, nearest first); the others decode when used
const DECODED = 12;

async function render({ model, el }) {
  const canvas = document.createElement('canvas');
  canvas.style.cssText = 'display: block; width: 100%; height: auto';   // the view's width, the figure's shape, any resolution
  el.appendChild(canvas);
  const ctx = canvas.getContext('2d');
  const models = new Map();      // widget id -> model, for the controls the keys name
  // frames ahead, oldest first: at most the kernel's `kept`, dropped in the order the kernel drops them from its record
  let ahead = [], seq = 0, hits = 0, current = null, used = null, moved = null, context = model.get('context');
  // a key: [[widget id, trait, value, tolerance], ...], the controls' values a frame was drawn for
  const shows = key => key.every(([id, name, v, tol]) => models.has(id) && near(models.get(id).get(name), v, tol));
  const same = (a, b) => a.length === b.length && a.every(([id, , v], i) => id === b[i][0] && near(v, b[i][2], b[i][3]));
  const draw = bitmap => {
    if (canvas.width !== bitmap.width || canvas.height !== bitmap.height) {
      canvas.width = bitmap.width; canvas.height = bitmap.height;
    }
    ctx.drawImage(bitmap, 0, 0);
  };
  const count = () => { canvas.dataset.ahead = String(ahead.length); canvas.dataset.hits = String(hits); };
  const forget = entry => { entry.bitmap?.close(); entry.bitmap = entry.ready = null; };
  const decode = entry => {
    if (entry.ready) return entry.ready;
    const ready = createImageBitmap(entry.blob).then(bitmap => {
      if (entry.ready === ready) entry.bitmap = bitmap; else bitmap.close();     // let go of meanwhile
      return bitmap;
    });
    return entry.ready = ready;
  };
  // how far the controls are from a frame ahead's key: [0 for the control moved last, else 1; steps] when one
  // control is off (a log slider's tolerance is half a step there), null otherwise
  const distance = entry => {
    const off = entry.key.filter(([id, name, v, tol]) => !(models.has(id) && near(models.get(id).get(name), v, tol)));
    if (off.length !== 1) return null;
    const [id, name, v, tol] = off[0], now = models.get(id)?.get(name);
    return [id === moved ? 0 : 1, typeof now === 'number' && tol > 0 ? Math.abs(v - now) / tol : 0];
  };
  const prepare = () => {        // decode the frames ahead the controls reach next; let the others go
    const next = ahead.filter(e => e.context === context).map(e => [distance(e), e]).filter(([d]) => d)
                      .sort(([a], [b]) => a[0] - b[0] || a[1] - b[1]).slice(0, DECODED).map(([, e]) => e);
    for (const e of ahead) if (e.ready && e !== current && !next.includes(e)) forget(e);
    for (const e of next) decode(e);
  };
  const onValue = async changed => {
    if (changed?.model_id) moved = changed.model_id;
    const hit = ahead.find(e => e.context === context && shows(e.key));
    if (!hit || hit === current) return prepare();
    current = hit; used = { key: hit.key, at: performance.now() }; context = hit.after;
    hits++; count();
    const bitmap = hit.bitmap || await decode(hit);
    if (current !== hit) return;
    draw(bitmap);
    prepare();
    // the readouts and code for that state too, in this page only: the kernel's own values follow, the same
    for (const [id, value] of hit.texts || []) (await modelOf(id))?.set('value', value);
  };
  // other widgets' models, by id (null where a front end cannot hand them over, or the widget is closed:
  // then frames ahead are never used, and the kernel's frames still are)
  const fetched = new Map();
  const modelOf = id => {
    if (!fetched.has(id)) fetched.set(id, model.widget_manager ? model.widget_manager.get_model(id).catch(() => null)
                                                               : Promise.resolve(null));
    return fetched.get(id);
  };
  const watch = key => Promise.all(key.map(async ([id, name]) => {
    const m = await modelOf(id);
    if (m && !models.has(id)) { models.set(id, m); m.on(`change:${name}`, onValue); }
  }));
  // after a frame drawn ahead was shown, the kernel's frames until its own for that state are older than what is
  // shown: skip them (for a second at most: the page may never have sent that state)
  const stale = key => used && performance.now() - used.at < 1000 && !same(key, used.key) && !shows(key);
  const showFrame = async () => {
    const mine = ++seq, key = model.get('key'), drawnIn = model.get('context');
    if (stale(key)) return;
    watch(key);
    // the kernel's frame of the state a frame ahead already shows, in the same context: the same picture
    if (current && drawnIn === context && same(key, current.key)) { used = null; return; }
    const bitmap = await createImageBitmap(png(model.get('frame')));
    if (mine !== seq || stale(key)) return;                  // a newer frame arrived while this one decoded
    used = current = null; context = drawnIn;
    draw(bitmap);
    prepare();
  };
  model.on('change:frame', showFrame);
  model.on('msg:custom', async (msg, buffers) => {
    if (msg.kind !== 'ahead') return;
    const entry = { key: msg.key, context: msg.context, after: msg.after, likely: msg.likely, texts: msg.texts,
                    blob: png(buffers[0]), bitmap: null, ready: null };
    // as the kernel keeps its record: this one last, once; the oldest of the less likely dropped first
    const again = ahead.findIndex(e => e.context === entry.context && e.key.length === entry.key.length
                                       && e.key.every(([id, , v], i) => id === entry.key[i][0] && v === entry.key[i][2]));
    if (again >= 0) forget(...ahead.splice(again, 1));
    ahead.push(entry);
    while (ahead.length > model.get('kept')) {
      const i = ahead.findIndex(e => !e.likely);
      forget(...ahead.splice(Math.max(i, 0), 1));
    }
    count();
    await watch(msg.key);
    onValue();                    // the sliders may be there already (a drag that outran the kernel); else decode it if next
  });
  // frames as sharp as the screen: the kernel draws them at its pixel density
  const ratio = window.devicePixelRatio || 1;
  if (model.get('pixel_ratio') !== ratio) model.set('pixel_ratio', ratio);
  if (!model.get('shown')) model.set('shown', true);        // frames ahead are worth drawing now
  model.save_changes();
  model.send({ kind: 'fresh' });          // this view holds no frame ahead yet: the kernel forgets what it sent
  if (model.get('frame').byteLength) await showFrame();
  return () => {
    for (const m of models.values()) m.off(null, onValue);
    for (const e of ahead) forget(e);
    ahead = [];
  };
}
export default { render };
