/* Leadline tracking snippet. What it does and why: docs/visit-api.md */
(() => {
  'use strict';
  const w = window, d = document, ua = navigator.userAgent;
  if (w.leadline || /bot|crawl|spider|slurp|facebookexternalhit|embedly|preview|lighthouse/i.test(ua)) return;
  const me = d.currentScript || d.querySelector('script[data-site]');
  if (!me) return;
  const site = me.getAttribute('data-site');
  const base = me.src.replace(/\/t\.js([?#].*)?$/, '');
  const KEY = '_ll_' + site;
  const device = /iPad|Tablet|Android(?!.*Mobile)/i.test(ua) ? 'tablet' : /Mobi|iPhone|Android/i.test(ua) ? 'mobile' : 'desktop';
  const phone = device != 'desktop';
  let visit = null, token = null, beat = 0, ready, spots = [], said, as;
  const clickIds = {}, tempId = 't_' + crypto.getRandomValues(new Uint8Array(22)).map(b => b % 10).join('');

  // The visitor's consent, as the visit registration says it (docs/consent.md): `consent:
  // 'denied'` when analytics storage is refused; `ads: 'granted' | 'denied'`, left out when
  // nothing says. Google Consent Mode: each type's last value in the dataLayer's consent
  // commands. leadline.consent(false) refuses both, (true) grants both; Global Privacy Control
  // refuses both. A refusal wins over a grant.
  const signals = () => {
    const m = {}, no = navigator.globalPrivacyControl || said === false, o = {};
    [].forEach.call(w.dataLayer || [], e => e && e[0] == 'consent' && Object.assign(m, e[2]));
    if (no || m.analytics_storage == 'denied') o.consent = 'denied';
    if (no || [m.ad_storage, m.ad_user_data].includes('denied')) o.ads = 'denied';
    else if (said || m.ad_storage == 'granted') o.ads = 'granted';
    return o;
  };
  const key = () => JSON.stringify(signals());
  const denied = () => signals().consent;
  const forget = () => {
    try { sessionStorage.removeItem(KEY); d.cookie = '_ll_vid=; max-age=0; path=/'; } catch (e) {}
  };
  const digits = s => String(s || '').replace(/\D/g, '');
  const page = () => ({ url: location.href, title: d.title });
  const telOf = st => {
    const t = st && st.display && (phone ? st.tel : st.tel_ext);
    return /^tel:/.test(t) ? t : null;
  };
  const cookies = () => {
    const o = {};
    try {
      d.cookie.split(/; */).forEach(c => {
        const i = c.indexOf('=');
        if (i > 0) try { o[c.slice(0, i)] = decodeURIComponent(c.slice(i + 1)); } catch (e) {}
      });
    } catch (e) {}
    return o;
  };
  // A "simple" CORS POST; resolves to the answered JSON, or null on any failure.
  const post = (path, body) => fetch(base + path, {
    method: 'POST', headers: { 'Content-Type': 'text/plain;charset=UTF-8' },
    body: JSON.stringify(body), credentials: 'omit', keepalive: true
  }).then(r => r.ok ? r.json() : null).catch(() => null);

  const apply = st => {
    if (!st || !st.display || !d.body) return;
    const m = digits(st.match), cc = digits(st.country_code), tel = telOf(st), sep = '[\\s().-]*';
    if (m) {
      // [1]: the non-digit before the number; [2]: the number, maybe with a +country code.
      const re = new RegExp('(^|\\D)(' + (cc ? '(?:\\+?' + cc + sep + ')?' : '') + '\\(?' + m.split('').join(sep) + ')(?!\\d)');
      const tw = d.createTreeWalker(d.body, 4, { acceptNode: t => {
        const p = t.parentNode;
        return /^(SCRIPT|STYLE|TEXTAREA|INPUT|NOSCRIPT)$/.test(p.nodeName) || p.closest('[data-leadline-number]') ? 2 : 1;
      } });
      const found = [];
      while (tw.nextNode()) found.push(tw.currentNode);
      found.forEach(t => {
        let x;
        while ((x = re.exec(t.data))) {
          const r = t.splitText(x.index + x[1].length), span = d.createElement('span');
          t = r.splitText(x[2].length);
          span.setAttribute('data-leadline-number', '');
          r.parentNode.replaceChild(span, r);
          span.appendChild(r);
        }
      });
    }
    if (st.display) d.querySelectorAll('[data-leadline-number]').forEach(e => { e.textContent = st.display; });
    // Compare the digits before any ",code" or ";ext=code", so that re-applying replaces the code.
    if (m && tel) d.querySelectorAll('a[href^="tel:"]').forEach(a => {
      if (digits(a.getAttribute('href').split(/[,;]/)[0]).slice(-m.length) == m) a.href = tel;
    });
  };

  // Takes an answered visit state (or null): remembers, stores and applies it.
  const got = st => {
    if (!st) return null;
    if (st.visit) visit = st.visit;
    if (st.token) token = st.token;
    ll.state = st;
    if (!st.cookieless) try {
      sessionStorage.setItem(KEY, JSON.stringify({ visit, token, clickIds, as }));
      if (st.vid) d.cookie = '_ll_vid=' + encodeURIComponent(st.vid) + '; max-age=31536000; path=/; SameSite=Lax';
    } catch (e) {}
    if (d.readyState == 'loading') d.addEventListener('DOMContentLoaded', () => apply(st)); else apply(st);
    if (!beat) beat = setInterval(() => {
      if (visit && d.visibilityState == 'visible') emit('heartbeat');
    }, (st.heartbeat || 60) * 1000);
    return st;
  };

  const register = () => {
    const s = signals(), c = s.consent ? {} : cookies(), ga_streams = {};
    as = key();
    Object.keys(c).forEach(k => { if (k.indexOf('_ga_') == 0) ga_streams[k] = c[k]; });
    visit = token = null;
    const b = Object.assign(page(), {
      site, referrer: d.referrer || null, ga: c._ga || null, ga_streams,
      utma: c.__utma || null, vid: c._ll_vid || null, device, temp: tempId
    }, s);
    // Under a flood: no code until a proof of work, a nonce whose SHA-256 after the challenge
    // starts with `bits` zero bits, sought 256 at a time (docs/visit-api.md, "Flood defence").
    return post('/v1/visits', b).then(async st => {
      for (let n = 0, c = st && st.challenge, i; c; n += 256)
        if ((i = (await Promise.all([...Array(256)].map((_, i) => crypto.subtle.digest('SHA-256', new TextEncoder().encode(c + (n + i))))))
          .findIndex(x => !(new DataView(x).getUint32(0) >> 32 - st.bits))) >= 0) return b.proof = { challenge: c, nonce: n + i }, post('/v1/visits', b);
      return st;
    }).then(got);
  };
  // Clicks on plain tel: links wait here for the next event (the dialer leaves the page as is).
  const emit = (type, extra) => post('/v1/visits/' + encodeURIComponent(visit) + '/events',
    Object.assign({ site, token, type, clicks: spots.splice(0, 20) }, extra)).then(got);

  // Requests queue on `ready`, so they reach the server in order and none goes out before the
  // registration in flight answers. A page view on a refused visit registers a new one, and
  // so does any request after the visitor's consent changed.
  const queue = f => ready = ready.then(f).catch(() => null);
  const current = () => visit && key() == as;
  const view = () => queue(async () => current() && await emit('page_view', page()) || register());
  const send = (type, extra) => queue(async () => (current() || await register()) && emit(type, extra));

  const ll = w.leadline = {
    state: null,
    set: (vars, mode) => send('set', { vars, mode: mode || 'merge' }),
    // consent(false) refuses analytics and ads for this visitor, consent(true) grants both,
    // consent() has no say (and re-reads the other signals, say after a Consent Mode update).
    // A changed choice registers the visit again; after a refusal of analytics nothing is left
    // on the device.
    consent: c => {
      said = c;
      if (denied()) forget();
      return key() == as ? ready : queue(register);
    }
  };

  try {
    const s = JSON.parse(sessionStorage.getItem(KEY));
    if (s && s.visit && s.token) ({ visit, token, as } = s);
    Object.assign(clickIds, s && s.clickIds);
  } catch (e) {}
  new URLSearchParams(location.search).forEach((v, k) => { if (v && /^(gclid|[gw]braid|msclkid|fbclid)$/.test(k)) clickIds[k] = v; });
  ready = Promise.resolve();
  view();

  const push = history.pushState;
  history.pushState = function () {
    const r = push.apply(this, arguments);
    view();
    return r;
  };

  // Where a call element or tel: link was clicked, for the heatmap: permille of the element,
  // pixels of the page, the page's and the window's size (none for a keyboard's click).
  d.addEventListener('click', e => {
    const el = e.target.closest && e.target.closest('[data-leadline-call],a[href^="tel:"]'), k = Math.round;
    if (!el) return;
    const r = el.getBoundingClientRect(), de = d.documentElement, call = el.getAttribute('data-leadline-call'),
      pm = (v, a) => k(Math.min(1e3, Math.max(0, v * 1e3 / a))), pw = de.scrollWidth, ph = de.scrollHeight;
    const s = Object.assign({
      element: el.id || call || 'tel' + [].indexOf.call(d.querySelectorAll('a[href^="tel:"]'), el), url: location.href
    }, e.detail && r.width && r.height && {
      x: pm(e.clientX - r.left, r.width), y: pm(e.clientY - r.top, r.height),
      px: Math.min(pw, k(e.pageX)), py: Math.min(ph, k(e.pageY)), pw, ph, vw: innerWidth, vh: innerHeight
    });
    if (call == null) return spots.push(s);
    e.preventDefault();
    send('click', s).then(st => {
      // Without an answer, dial what we showed last, else the plain number.
      const s = st || ll.state, t = telOf(s) || (s && s.number && 'tel:' + s.number) || (/^tel:/.test(el.href) && el.href);
      if (t) location.href = t;
    });
  });

  // A page left with tel: link clicks unsent sends them now (keepalive outlives the page).
  addEventListener('pagehide', () => visit && spots.length && emit('heartbeat'));

  // Hidden fields on every form as it is submitted (docs/forms.md).
  d.addEventListener('submit', e => {
    const f = e.target, c = denied() ? {} : cookies(), [ga] = /\d+\.\d+$/.exec(c._ga) || [], own = !(f.action + '').indexOf(base + '/');
    if (!f.closest('[data-leadline-ignore]')) Object.entries(Object.assign({
      visit, temp: !visit && tempId, visitor: ga ? 'ga:' + ga : c._ll_vid && 'fp:' + c._ll_vid,
      ga, page: location.href
    }, own && { site, token }, clickIds)).forEach(([k, v]) => {
      let i = f.querySelector('[name=leadline_' + k + ']');
      if (!v) return i && i.remove();
      i = i || f.appendChild(Object.assign(d.createElement('input'), { type: 'hidden', name: 'leadline_' + k }));
      i.value = v;
    });
  }, true);
})();
