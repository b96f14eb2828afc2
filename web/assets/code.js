// 扫码入企 (docs/results.md §12): the browser fetches the code's signed statement and the
// published code key and checks the Ed25519 signature itself (web/verifier/codes.js), then
// compares the statement with what the page shows.

import { checkStatement } from '/verify/codes.js';

const box = document.getElementById('code-check');
const verdict = document.getElementById('code-verdict');
const code = box.dataset.code;

function show(ok, message) {
  box.classList.remove('ok', 'bad');
  box.classList.add(ok ? 'ok' : 'bad');
  verdict.textContent = message;
}

async function fetchText(url) {
  const r = await fetch(url, { cache: 'no-store' });
  if (!r.ok) throw new Error(`${url}: HTTP ${r.status}`);
  return r.text();
}

try {
  const [note, vkey] = await Promise.all([fetchText(`/public/codes/${code}`), fetchText('/public/codes/key')]);
  const r = checkStatement(note, vkey, code);
  if (!r.ok) {
    show(false, `✘ 不是本计划的检查（签名核验失败：${r.reason}）`);
  } else {
    const shown = [...document.querySelectorAll('#code-inspectors li')].length;
    if (shown !== r.fields.inspectors.length) {
      show(false, '✘ 不是本计划的检查（页面与签名声明不一致）');
    } else {
      show(true, `✔ 本次检查属于已承诺的抽查计划（批次 ${r.fields.batch}，计划承诺 ${r.fields.commitment_sha256.slice(0, 16)}…，签名已由本浏览器核验）`);
    }
  }
} catch (e) {
  show(false, `✘ 不是本计划的检查（无法取得签名声明：${e.message}）`);
}
