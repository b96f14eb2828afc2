// The verifier page (docs/js-verifier.md): reads the bundle folder the user chose or dropped,
// hands its bytes to the Web Worker, shows the progress and the verdict. Nothing leaves the
// browser.

const $ = (id) => document.getElementById(id);

/** Files under the directory that holds manifest.json, keyed by their path relative to it. */
function bundleFiles(entries) {
  const manifests = entries.map(([p]) => p).filter((p) => p === 'manifest.json' || p.endsWith('/manifest.json'));
  manifests.sort((a, b) => a.length - b.length);
  const root = manifests.length ? manifests[0].slice(0, -'manifest.json'.length) : '';
  return entries.filter(([p]) => p.startsWith(root)).map(([p, f]) => [p.slice(root.length), f]);
}

// Every file under a dropped directory entry, with its path.
async function walk(entry, prefix, out) {
  if (entry.isFile) {
    out.push([prefix + entry.name, await new Promise((ok, err) => entry.file(ok, err))]);
    return;
  }
  const reader = entry.createReader();
  for (;;) {
    const batch = await new Promise((ok, err) => reader.readEntries(ok, err));
    if (!batch.length) break;
    for (const e of batch) await walk(e, `${prefix}${entry.name}/`, out);
  }
}

let worker = null;

function show(kind, title, text) {
  const v = $('verdict');
  v.className = kind;
  $('verdict-title').textContent = title;
  $('verdict-text').textContent = text;
}

async function verify(entries) {
  const files = bundleFiles(entries);
  $('verdict').className = '';
  $('bar').value = 0;
  if (!files.length) {
    show('bad', '✘ 这不是抽签包 (not a bundle)', '没有读到任何文件 (no files were read)');
    document.body.dataset.verdict = 'bad';
    return;
  }
  const total = files.reduce((s, [, f]) => s + f.size, 0);
  $('status').textContent = `读取 ${files.length} 个文件 (reading ${files.length} files, ${(total / 1048576).toFixed(1)} MiB)…`;
  const buffers = await Promise.all(files.map(async ([p, f]) => [p, await f.arrayBuffer()]));
  worker?.terminate();
  worker = new Worker(new URL('./worker.js', import.meta.url), { type: 'module' });
  worker.onmessage = ({ data }) => {
    if (data.type === 'progress') {
      $('bar').value = data.fraction;
      $('status').textContent = `${data.label} — ${Math.floor(data.fraction * 100)}%`;
      return;
    }
    $('bar').value = data.ok ? 1 : $('bar').value;
    $('status').textContent = `用时 ${data.seconds.toFixed(1)} 秒 (took ${data.seconds.toFixed(1)} s)`;
    if (data.ok) show('ok', '✔ 核验通过 (verified)', data.text);
    else show('bad', '✘ 核验未通过 (NOT verified)', data.text);
    document.body.dataset.verdict = data.ok ? 'ok' : 'bad';
  };
  worker.onerror = (e) => show('bad', '✘ 核验程序出错 (verifier error)', e.message);
  delete document.body.dataset.verdict;
  worker.postMessage({ files: buffers }, buffers.map(([, b]) => b));
}

$('folder').addEventListener('change', (e) => {
  const files = [...e.target.files].map((f) => [f.webkitRelativePath || f.name, f]);
  verify(files);
});

const drop = $('drop');
drop.addEventListener('dragover', (e) => {
  e.preventDefault();
  drop.classList.add('over');
});
drop.addEventListener('dragleave', () => drop.classList.remove('over'));
drop.addEventListener('drop', async (e) => {
  e.preventDefault();
  drop.classList.remove('over');
  const entries = [...e.dataTransfer.items].map((i) => i.webkitGetAsEntry()).filter(Boolean);
  const out = [];
  for (const entry of entries) await walk(entry, '', out);
  verify(out);
});
