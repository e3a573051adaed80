// The figure as PNG frames drawn on a canvas. Besides the current frame, the kernel sends frames drawn
// ahead for the values the sliders reach in one more step; when the sliders take one of those values,
// its frame is drawn at once, without waiting for the kernel to hear of the change.
const near = (a, b, tol) => typeof a === 'number' && typeof b === 'number' ? Math.abs(a - b) <= tol : a === b;
const png = view => new Blob([view], { type: 'image/png' });
const DECODED = 4;         // frames ahead kept decoded per state (about 1 MB each); the rest decode when used

async function render({ model, el }) {
  const canvas = document.createElement('canvas');
  canvas.style.cssText = 'display: block; width: 100%; height: auto';   // the view's width, the figure's shape, any resolution
  el.appendChild(canvas);
  const ctx = canvas.getContext('2d');
  const models = new Map();      // widget id -> model, for the controls the keys name
  let ahead = [], latest = -1, seq = 0, hits = 0, current = null, used = null;
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
  const onValue = async () => {
    const hit = ahead.find(e => shows(e.key));
    if (!hit || hit === current) return;
    current = hit; used = { key: hit.key, at: performance.now() };
    hits++; count();
    const bitmap = hit.bitmap || await createImageBitmap(hit.blob);
    if (current !== hit) return;
    draw(bitmap);
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
  const showFrame = async () => {
    const mine = ++seq, key = model.get('key'), generation = model.get('generation');
    const bitmap = await createImageBitmap(png(model.get('frame')));
    if (mine !== seq) return;                      // a newer frame arrived while this one decoded
    latest = Math.max(latest, generation);
    ahead = ahead.filter(e => e.generation >= latest); count();
    // after a frame drawn ahead was shown, the kernel's frames until its own for that state are older
    // than what is shown: skip them (for a second at most: the page may never have sent that state)
    if (used && performance.now() - used.at < 1000 && !same(key, used.key) && !shows(key)) return;
    used = current = null;
    draw(bitmap);
    watch(key);
  };
  model.on('change:frame', showFrame);
  model.on('msg:custom', async (msg, buffers) => {
    if (msg.kind !== 'ahead' || msg.generation < latest) return;
    const entry = { key: msg.key, generation: msg.generation, texts: msg.texts, blob: png(buffers[0]), bitmap: null };
    if (ahead.filter(e => e.generation === msg.generation).length < DECODED) entry.bitmap = await createImageBitmap(entry.blob);
    if (msg.generation < latest) return;
    ahead.push(entry); count();
    watch(msg.key);
  });
  // frames as sharp as the screen: the kernel draws them at its pixel density
  const ratio = window.devicePixelRatio || 1;
  if (model.get('pixel_ratio') !== ratio) model.set('pixel_ratio', ratio);
  if (!model.get('shown')) model.set('shown', true);        // frames ahead are worth drawing now
  model.save_changes();
  if (model.get('frame').byteLength) await showFrame();
  return () => { for (const m of models.values()) m.off(null, onValue); ahead = []; };
}
export default { render };
