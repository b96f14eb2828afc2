// "我的抽签公平吗？" (docs/portal.md, "The fairness check"): the browser recomputes one
// enterprise's fate in a revealed draw from the draw's public files, trusting none of the
// numbers the page shows. It reuses the modules of the bundle verifier (web/verifier/, served
// under /verify/) and checks, in order:
//   1. commitment.json: its SHA-256 is the commitment digest the manifest names;
//   2. the enterprise's population row and its RFC 6962 inclusion proof lead to the committed
//      population_root (docs/draw-protocol.md §3);
//   3. once revealed: secret.txt matches secret_commitment, the seed is SHA-256 of the digest,
//      the entropy string and the secret (§6), and equals the manifest's seed;
//   4. u(e) from the seed and the USCC (§6); for every stratum of its tier ξ = u − start mod 2⁶⁴
//      against the cut-off, its eligibility from the committed inputs (§7), and that the plan's
//      selections and passed-over rows say exactly what those numbers imply.
// Any disagreement is shown as the first difference; nothing is sent anywhere.

import { sha256, sha256Hex, toHex, fromHex } from '/verify/sha256.js';
import { leafHash, verifyInclusion } from '/verify/tlog.js';
import { sub64, cmp64, hex16 } from '/verify/u64.js';
import { pQuota, quotaApplied } from '/verify/fields.js';
import { monthsBefore } from '/verify/eligibility.js';
import { readCsv } from '/verify/csv.js';
import { Difference } from '/verify/text.js';

const ENC = new TextEncoder();
const DEC = new TextDecoder('utf-8', { fatal: true });

class Mismatch extends Error {}

function concat(...parts) {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.length; }
  return out;
}

const tagged = (tag) => concat(ENC.encode(tag), Uint8Array.of(0));

const HEADERS = {
  'inputs/policy.csv': ['key', 'value'],
  'inputs/history.csv': ['uscc', 'department', 'inspector', 'visited_on'],
  'inputs/items.csv': ['code', 'department', 'industries', 'specialty'],
  'inputs/tasks.csv': ['id', 'department', 'group', 'items', 'regions', 'industries',
    'quota_a', 'quota_b', 'quota_c', 'quota_d', 'period_from', 'period_to'],
  'plan/strata.csv': ['task', 'tier', 'eligible', 'quota', 'key', 'start', 'cutoff', 'taken', 'passed_over'],
  'plan/selections.csv': ['task', 'uscc', 'tier', 'xi', 'basis', 'inclusion'],
  'plan/passed-over.csv': ['task', 'uscc', 'tier', 'xi', 'visits'],
};

/** Data rows of a bundle's CSV file (docs/draw-protocol.md §2, §10) as objects by column. */
function rows(label, text) {
  const header = HEADERS[label];
  const out = [];
  readCsv(label, text, header, (f) => {
    out.push(Object.fromEntries(header.map((h, k) => [h, f[k]])));
    return f;
  });
  return out;
}

const words = (hex) => [parseInt(hex.slice(0, 8), 16) >>> 0, parseInt(hex.slice(8, 16), 16) >>> 0];
const day = (iso) => Number(iso.replaceAll('-', ''));
const list = (s) => (s === '' ? [] : s.split(';'));

async function fetchBytes(url) {
  const r = await fetch(url, { cache: 'no-store' });
  if (!r.ok) throw new Mismatch(`无法读取 ${url}（HTTP ${r.status}）`);
  return new Uint8Array(await r.arrayBuffer());
}

/** Task id → whether the enterprise may be drawn by it (docs/draw-protocol.md §7). */
function eligibility(inputs, ent) {
  const policy = Object.fromEntries(rows('inputs/policy.csv', inputs.policy).map((r) => [r.key, r.value]));
  const asOf = day(policy.as_of);
  const since = monthsBefore(asOf, Number(policy.exclusion_months));
  const excluded = new Set(rows('inputs/history.csv', inputs.history)
    .filter((h) => h.uscc === ent.uscc && day(h.visited_on) >= since && day(h.visited_on) < asOf)
    .map((h) => h.department));
  const items = new Map(rows('inputs/items.csv', inputs.items).map((i) => [i.code, list(i.industries)]));
  const within = (prefixes) => !prefixes.length || prefixes.some((p) => ent.industry.startsWith(p));
  const out = new Map();
  for (const t of rows('inputs/tasks.csv', inputs.tasks)) {
    const quota = t[`quota_${ent.tier.toLowerCase()}`];
    const ok = (list(t.regions).length === 0 || list(t.regions).includes(ent.region))
      && within(list(t.industries))
      && list(t.items).some((c) => items.has(c) && within(items.get(c)))
      && quota !== ''
      && !excluded.has(t.department);
    out.set(t.id, { ok, quota });
  }
  return out;
}

function percent(n, d) {
  if (d === 0) return '—';
  const h = (2n * BigInt(n) * 10000n + BigInt(d)) / (2n * BigInt(d));
  return `${h / 100n}.${String(h % 100n).padStart(2, '0')}%`;
}

async function check(batch, uscc, say) {
  const files = `/api/v1/draws/${encodeURIComponent(batch)}/files/`;
  const get = (path) => fetchBytes(files + path);
  const manifest = JSON.parse(DEC.decode(await get('manifest.json')));
  const commitmentBytes = await get('commitment.json');
  const digest = sha256Hex(commitmentBytes);
  if (digest !== manifest.commitment_sha256) {
    throw new Mismatch(`commitment.json 的 SHA-256 是 ${digest}，清单记载的是 ${manifest.commitment_sha256}`);
  }
  const commitment = JSON.parse(DEC.decode(commitmentBytes));
  say(`承诺文件的摘要 ${digest.slice(0, 16)}… 与清单一致。`);

  const proof = JSON.parse(DEC.decode(await fetchBytes(`/public/draws/${encodeURIComponent(batch)}/proof/${uscc}`)));
  if (!proof.row.startsWith(`${uscc},`)) throw new Mismatch(`名单中的行 ${proof.row} 不是本企业的`);
  if (proof.tree_size !== commitment.population_size) {
    throw new Mismatch(`证明的树大小 ${proof.tree_size} 不等于承诺的名单规模 ${commitment.population_size}`);
  }
  try {
    verifyInclusion(BigInt(proof.leaf_index), BigInt(proof.tree_size), leafHash(ENC.encode(proof.row)),
      proof.inclusion_proof.map(fromHex), fromHex(commitment.population_root));
  } catch (e) {
    throw new Mismatch(`包含证明不成立：${e.message}`);
  }
  say(`本企业的行在承诺名单中（第 ${proof.leaf_index + 1} 行，共 ${proof.tree_size} 行），包含证明通向承诺的树根。`);
  const [, region, industry, tier, key] = proof.row.split(',');
  const ent = { uscc, region, industry, tier, key: key === 'true' };

  if (manifest.state !== 'revealed') {
    return { revealed: false };
  }
  const secretHex = DEC.decode(await get('secret.txt')).trim();
  const secret = fromHex(secretHex);
  const secretCommitment = sha256Hex(concat(tagged('dualdraw-dr1-secret'), secret));
  if (secretCommitment !== commitment.secret_commitment) {
    throw new Mismatch('揭示的密钥与承诺的密钥摘要不符');
  }
  // A re-plan keeps the seed of the plan it replaces (docs/plan-model.md).
  const [seedCommitment, entropyPath] = commitment.replaces
    ? [await get('previous/commitment.json'), 'previous/entropy.json']
    : [commitmentBytes, 'entropy.json'];
  const entropy = JSON.parse(DEC.decode(await get(entropyPath)));
  const seed = sha256(concat(tagged('dualdraw-dr1-seed'), sha256(seedCommitment),
    ENC.encode(entropy.string), Uint8Array.of(0), secret));
  if (toHex(seed) !== manifest.seed) {
    throw new Mismatch(`算出的种子 ${toHex(seed)} 与公布的种子 ${manifest.seed} 不同`);
  }
  say(`密钥与承诺一致；由承诺摘要、公开随机数“${entropy.string}”和密钥算出的种子与公布的一致。`);

  const u = toHex(sha256(concat(tagged('dualdraw-dr1-prn'), seed, ENC.encode(uscc))).subarray(0, 8));
  const [uHi, uLo] = words(u);
  say(`本企业的随机数 u = ${u}（由种子和统一社会信用代码算出，与名单顺序和其他企业无关）。`);

  const text = async (p) => DEC.decode(await get(p));
  const [strata, selections, passed, policy, history, items, tasks] = await Promise.all([
    'plan/strata.csv', 'plan/selections.csv', 'plan/passed-over.csv', 'inputs/policy.csv',
    'inputs/history.csv', 'inputs/items.csv', 'inputs/tasks.csv'].map(text));
  const scope = eligibility({ policy, history, items, tasks }, ent);
  const mine = (r) => r.uscc === uscc;
  const picked = new Map(rows('plan/selections.csv', selections).filter(mine).map((r) => [r.task, r]));
  const skipped = new Map(rows('plan/passed-over.csv', passed).filter(mine).map((r) => [r.task, r]));
  const results = [];
  const out = [0, 0];
  for (const s of rows('plan/strata.csv', strata)) {
    if (s.tier !== tier) continue;
    sub64(uHi, uLo, ...words(s.start), out);
    const xi = hex16(out[0], out[1]);
    const under = s.cutoff !== '' && cmp64(out[0], out[1], ...words(s.cutoff)) <= 0;
    const { ok, quota } = scope.get(s.task) ?? { ok: false, quota: '' };
    const N = Number(s.eligible);
    const n = Number(s.quota);
    if (quota !== '' && quotaApplied(pQuota(`tasks ${s.task}`, 'quota', quota), N) !== n) {
      throw new Mismatch(`任务 ${s.task} ${tier} 级：按比例 ${quota} 和可抽 ${N} 户应抽 ${quotaApplied(pQuota('', '', quota), N)} 户，公布的是 ${n} 户`);
    }
    const sel = picked.get(s.task);
    const pass = skipped.get(s.task);
    const where = `任务 ${s.task}`;
    let verdict;
    if (ok && ent.key) {
      if (!sel || sel.basis !== 'key') throw new Mismatch(`${where}：重点监管企业应全覆盖抽中，结果中没有`);
      verdict = { task: s.task, chosen: true, text: `${where}：重点监管企业，全覆盖检查，入选概率 1。` };
    } else if (!ok) {
      if (sel) throw new Mismatch(`${where}：本企业不在该任务的抽查范围内，却被抽中`);
      verdict = { task: s.task, chosen: false, out: true, text: `${where}：不在抽查范围内（区划、行业、事项或近期检查），入选概率 0。` };
    } else if (under) {
      if (sel) {
        if (sel.xi !== xi || sel.basis !== 'sample' || sel.inclusion !== `${n}/${N}`) {
          throw new Mismatch(`${where}：抽中记录 ${sel.xi}/${sel.basis}/${sel.inclusion} 与算出的 ${xi}/sample/${n}/${N} 不符`);
        }
        verdict = { task: s.task, chosen: true, text: `${where}：ξ = ${xi}，不大于截止点 ${s.cutoff}，被抽中；入选概率 ${n}/${N}（${percent(n, N)}）。` };
      } else if (pass && pass.xi === xi) {
        verdict = { task: s.task, chosen: false, text: `${where}：ξ = ${xi}，不大于截止点 ${s.cutoff}，但本年已安排 ${pass.visits} 次检查，达到 ${tier} 级上限，按规则跳过；入选概率 ${n}/${N}（${percent(n, N)}）。` };
      } else {
        throw new Mismatch(`${where}：ξ = ${xi} 不大于截止点 ${s.cutoff}，本企业应被抽中或记为跳过，结果中都没有`);
      }
    } else {
      if (sel) throw new Mismatch(`${where}：ξ = ${xi} 大于截止点 ${s.cutoff || '（无）'}，却被抽中`);
      const cut = s.cutoff === '' ? '该层没有随机抽取企业' : `大于截止点 ${s.cutoff}`;
      verdict = { task: s.task, chosen: false, text: `${where}：ξ = ${xi}，${cut}，未抽中；入选概率 ${n}/${N}（${percent(n, N)}）。` };
    }
    results.push(verdict);
  }
  for (const t of picked.keys()) {
    if (!results.some((r) => r.task === t)) throw new Mismatch(`任务 ${t}：本企业被抽中，但该任务没有 ${tier} 级的层`);
  }
  return { revealed: true, u, results };
}

async function main() {
  const box = document.getElementById('browser-check');
  if (!box) return;
  const verdict = document.getElementById('fair-verdict');
  const steps = document.getElementById('fair-steps');
  const say = (text) => {
    const li = document.createElement('li');
    li.textContent = text;
    steps.append(li);
  };
  try {
    const r = await check(box.dataset.batch, box.dataset.uscc, say);
    box.className = 'notice ok';
    if (!r.revealed) {
      verdict.textContent = '✔ 名单核验通过：本企业在承诺时冻结的名单中。种子揭示后即可核对随机数和抽签结果。';
      return;
    }
    const chosen = r.results.filter((x) => x.chosen).map((x) => x.task);
    verdict.textContent = chosen.length
      ? `✔ 核验通过：您的浏览器算出的随机数 ${r.u} 与公布的一致，本企业被抽中的 ${chosen.length} 项（${chosen.join('、')}）都符合规则。`
      : `✔ 核验通过：您的浏览器算出的随机数 ${r.u} 与公布的一致，本企业在本批次没有被抽中，符合规则。`;
    box.dataset.number = r.u;
    for (const x of r.results.filter((x) => !x.out)) say(x.text);
    const outside = r.results.filter((x) => x.out).length;
    if (outside) say(`另有 ${outside} 个任务不涉及本企业（不在其抽查范围内）。`);
  } catch (e) {
    box.className = 'notice bad';
    verdict.textContent = e instanceof Mismatch || e instanceof Difference
      ? `✘ 核验未通过：${e.message}`
      : `✘ 无法完成核验：${e.message}`;
  }
}

main();
