// The explorer reads only the gateway's public API: /v1/* and the /v1/events stream.
'use strict';
const $ = (id) => document.getElementById(id);

async function api(path) {
  const r = await fetch(path, { headers: { Accept: 'application/json' } });
  const body = await r.json();
  if (!r.ok) throw new Error(body.title + ': ' + (body.detail || r.status));
  return body;
}

function cell(text, mono) {
  const td = document.createElement('td');
  td.textContent = text;
  if (mono) { td.className = 'mono'; td.title = text; }
  return td;
}

function row(tbody, cells, prepend) {
  const tr = document.createElement('tr');
  cells.forEach((c) => tr.appendChild(cell(c[0], c[1])));
  if (prepend) tbody.insertBefore(tr, tbody.firstChild); else tbody.appendChild(tr);
  return tr;
}

async function refreshChain() {
  try {
    const c = await api('/v1/chain');
    $('network').textContent = c.network;
    $('height').textContent = c.height;
    $('tip').textContent = c.tipHash;
    $('commitment').textContent = c.utxoCommitment;
    if (c.finality) {
      $('finalized').textContent = c.finality.transactionsFinalized;
      if (c.finality.submittedHereAndFinal > 0) {
        $('latency').textContent = c.finality.latencyP50Millis + ' ms / ' + c.finality.latencyP99Millis + ' ms';
      }
    }
    const n = await api('/v1/node');
    const badge = $('node-state');
    badge.textContent = n.state + ' · ' + n.peers + ' peers';
    badge.className = 'badge ' + (n.state === 'synced' ? 'synced' : n.state.startsWith('syncing') ? 'syncing' : '');
  } catch (e) {
    $('node-state').textContent = e.message;
  }
}

async function loadBlocks() {
  const tbody = $('blocks').querySelector('tbody');
  tbody.innerHTML = '';
  for (const b of await api('/v1/blocks?limit=15')) {
    row(tbody, [[b.height], [b.hash, true], [b.transactions], [b.bytes]]).dataset.height = b.height;
  }
}

async function loadNetwork() {
  const mn = $('masternodes').querySelector('tbody');
  mn.innerHTML = '';
  for (const m of await api('/v1/masternodes')) row(mn, [[m.nodeKey, true], [m.tier], [m.votingWeight], [m.status]]);
  const pt = $('peers').querySelector('tbody');
  pt.innerHTML = '';
  const p = await api('/v1/peers');
  for (const peer of p.peers) {
    row(pt, [[peer.key || '(handshaking)', true], [peer.remote], [peer.masternode ? 'yes' : 'no'], [peer.rttMillis >= 0 ? peer.rttMillis + ' ms' : '–'], [peer.bestHeight]]);
  }
}

function live() {
  const events = new EventSource('/v1/events');
  events.onmessage = async (m) => {
    const e = JSON.parse(m.data);
    if (e.type !== 'block') return;
    $('height').textContent = e.height;
    $('tip').textContent = e.hash;
    try {
      const tbody = $('blocks').querySelector('tbody');
      const b = await api('/v1/blocks/' + e.height);
      row(tbody, [[b.height], [b.hash, true], [b.transactionCount], [b.bytes]], true).dataset.height = b.height;
      while (tbody.children.length > 15) tbody.removeChild(tbody.lastChild);
    } catch (err) { /* the block list refreshes on the next poll */ }
  };
  events.onerror = () => { $('live').textContent = '(reconnecting)'; };
  events.onopen = () => { $('live').textContent = '(live)'; };
}

// A block (height or hash), a transaction, or an address: its balance and its 20 latest transactions. The query is
// also the page's fragment (#<query>), so a lookup can be linked to.
async function lookup(q) {
  let path;
  if (/^\d+$/.test(q)) path = '/v1/blocks/' + q;
  else if (/^[0-9a-fA-F]{64}$/.test(q)) path = '/v1/transactions/' + q;
  try {
    if (path) {
      $('result').textContent = JSON.stringify(await api(path), null, 2);
    } else {
      const a = encodeURIComponent(q);
      const [balance, txs] = await Promise.all([api('/v1/addresses/' + a + '/balance'), api('/v1/addresses/' + a + '/transactions?limit=20')]);
      $('result').textContent = JSON.stringify({ ...balance, recentTransactions: txs.transactions, olderAfter: txs.next }, null, 2);
    }
  } catch (e) {
    if (path && path.startsWith('/v1/transactions/')) { // a 64-hex id may be a block hash
      try { $('result').textContent = JSON.stringify(await api('/v1/blocks/' + q), null, 2); return; } catch (ignored) { /* fall through */ }
    }
    $('result').textContent = e.message;
  }
}

$('lookup').addEventListener('submit', (ev) => {
  ev.preventDefault();
  const q = $('query').value.trim();
  history.replaceState(null, '', '#' + encodeURIComponent(q));
  lookup(q);
});

if (location.hash.length > 1) {
  $('query').value = decodeURIComponent(location.hash.slice(1));
  lookup($('query').value.trim());
}

// the live stream starts once the page has its first data (and a headless renderer has taken its snapshot)
Promise.allSettled([refreshChain(), loadBlocks(), loadNetwork()]).then(() => setTimeout(live, 5000));
setInterval(refreshChain, 3000);
setInterval(() => loadNetwork().catch(() => {}), 10000);
