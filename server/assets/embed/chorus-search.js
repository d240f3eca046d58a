// Chorus search widget: <chorus-search key="pk_…" lang="fr"></chorus-search>, served at
// /embed/v1/chorus-search.js. Plain ES2020, no dependencies, no build step.
// Works under a strict CSP (no inline styles, no innerHTML, no eval: styles come from a
// constructed stylesheet), stores nothing, and talks only to the Chorus API: the `api`
// attribute, else the origin this script was loaded from.
(() => {
  'use strict';
  // The server replaces the comment and the braces with strings.json: {"en": {...}, "fr": {...}}.
  const STRINGS = /*@strings*/{};
  if (!window.customElements || customElements.get('chorus-search')) return;

  const script = document.currentScript || document.querySelector('script[src*="chorus-search.js"]');
  const API = script && script.src ? new URL(script.src, location.href).origin : location.origin;
  const FILTERS = ['kind', 'topic', 'language', 'region']; // also the order of the facet groups
  const RTL = /^(ar|he|fa|ur)$/;

  const CSS = `
:host{display:block;--cs-a:var(--chorus-accent,#0b5cad);--cs-t:var(--chorus-text,#1b1f24);
--cs-m:var(--chorus-muted,#57606a);--cs-b:var(--chorus-bg,#fff);--cs-l:var(--chorus-border,#c8d0d8);
--cs-k:var(--chorus-mark,#ffeb8a);--cs-r:var(--chorus-radius,6px);--cs-g:var(--chorus-gap,1rem);
font-family:var(--chorus-font,inherit);color:var(--cs-t);background:var(--cs-b);line-height:1.5}
:host([hidden]){display:none}
*{box-sizing:border-box}
[hidden]{display:none!important}
.vh{position:absolute;width:1px;height:1px;margin:-1px;padding:0;border:0;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
form{display:flex;gap:.5rem}
input[type=search]{flex:1;min-width:0;font:inherit;color:inherit;background:var(--cs-b);border:1px solid var(--cs-l);border-radius:var(--cs-r);padding:.5rem .75rem}
button{font:inherit;cursor:pointer;border-radius:var(--cs-r);border:1px solid var(--cs-l);background:var(--cs-b);color:var(--cs-a);padding:.35rem .9rem}
button:disabled{opacity:.45;cursor:default}
[part=submit]{background:var(--cs-a);border-color:var(--cs-a);color:var(--cs-b);padding:.5rem 1rem}
:focus-visible{outline:2px solid var(--cs-a);outline-offset:2px}
a{color:var(--cs-a)}
mark{background:var(--cs-k);color:inherit;padding:0 .1em;border-radius:2px}
.status{color:var(--cs-m);margin:.5rem 0}
.error{color:#b42318;border:1px solid currentColor;border-radius:var(--cs-r);padding:.5rem .75rem;margin:.5rem 0}
.body{display:flex;flex-wrap:wrap;gap:var(--cs-g);align-items:flex-start}
.filters{flex:1 1 11rem}
.main{flex:999 1 20rem;min-width:0}
.fh{font-weight:700;margin:0 0 .5rem}
fieldset{border:0;padding:0;margin:0 0 var(--cs-g);min-width:0}
legend{font-weight:600;padding:0;margin-bottom:.25rem}
[part=facet-option]{display:flex;gap:.4rem;align-items:baseline;cursor:pointer}
.n{color:var(--cs-m)}
.results{list-style:none;margin:0;padding:0}
.results[aria-busy=true]{opacity:.6}
.hit{padding:var(--cs-g) 0;border-top:1px solid var(--cs-l)}
.hit:first-child{border-top:0;padding-top:0}
h3{font-size:1.1em;line-height:1.3;margin:0 0 .25rem}
p{margin:0 0 .25rem}
.meta,.also{color:var(--cs-m);font-size:.875em}
.meta>*{unicode-bidi:isolate}
.meta>*+*::before{content:"·";margin-inline:.4em}
.docs{margin:.25rem 0 0;padding-inline-start:1.25rem;font-size:.9em}
.pager{display:flex;align-items:center;justify-content:space-between;gap:.5rem;margin-top:var(--cs-g)}
.link{border:0;padding:0;background:none;text-decoration:underline}
.filters:empty,.results:empty,.pager:empty,.dym:empty,.error:empty{display:none}
`;
  let SHEET = null;
  try {
    SHEET = new CSSStyleSheet();
    SHEET.replaceSync(CSS);
  } catch (e) {
    SHEET = null; // old browser: a <style> element instead (blocked by a strict CSP)
  }

  // createElement with attributes ("onX" adds a listener) and children (strings become text).
  const h = (tag, attrs, ...kids) => {
    const e = document.createElement(tag);
    for (const k in attrs || {}) {
      const v = attrs[k];
      if (v == null || v === false) continue;
      if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
      else e.setAttribute(k, v === true ? '' : v);
    }
    e.append(...kids.filter((x) => x != null && x !== ''));
    return e;
  };

  // Only absolute http(s) links from the server are shown.
  const safeUrl = (u) => {
    if (!u) return null;
    try {
      const x = new URL(u);
      return x.protocol === 'https:' || x.protocol === 'http:' ? x.href : null;
    } catch (e) {
      return null;
    }
  };

  const decode = (s) =>
    s.replace(/&(?:#(\d+)|#x([\da-f]+)|(amp|lt|gt|quot|apos));/gi, (m, dec, hex, name) => {
      if (name) return { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" }[name.toLowerCase()];
      const c = dec ? parseInt(dec, 10) : parseInt(hex, 16);
      return c > 0 && c <= 0x10ffff ? String.fromCodePoint(c) : '\ufffd';
    });

  // Appends escaped server text with <mark>…</mark> as text nodes and <mark> elements.
  const marked = (parent, html, plain) => {
    if (html == null) {
      parent.append(plain == null ? '' : String(plain));
      return parent;
    }
    let at = parent;
    for (const part of String(html).split(/(<\/?mark>)/i)) {
      if (/^<mark>$/i.test(part)) at = parent.appendChild(document.createElement('mark'));
      else if (/^<\/mark>$/i.test(part)) at = parent;
      else if (part) at.append(decode(part));
    }
    return parent;
  };

  const csv = (v) => (v ? v.split(',').map((s) => s.trim()).filter(Boolean) : []);

  const fileType = (d) => {
    const ext = /\.([a-z0-9]{1,5})$/i.exec(d.fileName || '');
    const sub = (d.mimeType || '').split('/')[1] || '';
    return (ext ? ext[1] : /^[a-z0-9]{1,5}$/i.test(sub) ? sub : '').toUpperCase();
  };

  class ChorusSearch extends HTMLElement {
    static get observedAttributes() {
      return ['key', 'lang', 'q', 'api', 'per-page', 'strings'];
    }

    constructor() {
      super();
      this.attachShadow({ mode: 'open' });
      this._seq = 0;
      this._q = '';
      this._page = 1;
      this._filters = {};
      this._data = null;
      this._overrides = null;
    }

    get strings() {
      return this._overrides;
    }

    set strings(v) {
      this._overrides = v && typeof v === 'object' ? v : null;
      if (this._ready) {
        this._texts();
        if (this._data) this._render();
      }
    }

    // Runs the search in the box from page 1 (or `q` if given).
    search(q) {
      if (!this._ready) return;
      if (q != null) this._input.value = q;
      this._go(this._input.value, 1);
    }

    connectedCallback() {
      if (this._ready) return;
      // A `strings` property set before this script loaded shadows the accessor: move it.
      if (Object.prototype.hasOwnProperty.call(this, 'strings')) {
        const v = this.strings;
        delete this.strings;
        this._overrides = v;
      }
      this._build();
      this._texts();
      for (const f of FILTERS) this._filters[f] = csv(this.getAttribute(f));
      this._q = (this.getAttribute('q') || '').trim();
      if (this.hasAttribute('sync-url')) {
        const p = new URLSearchParams(location.search);
        if (p.has('chorus-q')) {
          this._q = p.get('chorus-q').trim();
          this._page = Math.max(1, parseInt(p.get('chorus-page'), 10) || 1);
        }
        for (const f of FILTERS) if (p.has('chorus-' + f)) this._filters[f] = p.getAll('chorus-' + f);
      }
      this._input.value = this._q;
      this._ready = true;
      this._run();
    }

    disconnectedCallback() {
      clearTimeout(this._timer);
    }

    attributeChangedCallback(name, old, val) {
      if (!this._ready || old === val) return;
      if (name === 'q') {
        this._input.value = val || '';
        this._go(val || '', 1);
      } else if (name === 'strings') {
        this._texts();
        if (this._data) this._render();
      } else {
        this._texts();
        this._page = 1;
        this._run();
      }
    }

    _build() {
      const root = this.shadowRoot;
      if (SHEET) root.adoptedStyleSheets = [SHEET];
      else root.append(h('style', null, CSS));
      this._input = h('input', {
        type: 'search', id: 'q', name: 'q', part: 'input', autocomplete: 'off', enterkeyhint: 'search',
        oninput: () => this._typed(),
      });
      this._label = h('label', { for: 'q', class: 'vh' });
      this._submit = h('button', { type: 'submit', part: 'submit' });
      const form = h('form', {
        role: 'search', part: 'form',
        onsubmit: (e) => {
          e.preventDefault();
          this._go(this._input.value, 1);
        },
      }, this._label, this._input, this._submit);
      this._status = h('div', { id: 'status', role: 'status', 'aria-live': 'polite', part: 'status', class: 'status' });
      this._error = h('div', { role: 'alert', part: 'error', class: 'error' });
      this._filtersBox = h('div', { part: 'filters', class: 'filters', role: 'group', 'aria-labelledby': 'fh' });
      this._dym = h('p', { class: 'dym' });
      this._list = h('ol', { part: 'results', class: 'results', tabindex: '-1', 'aria-labelledby': 'status' });
      this._pager = h('nav', { part: 'pager', class: 'pager' });
      this._root = h('div', { class: 'root' }, form, this._status, this._error,
        h('div', { class: 'body' }, this._filtersBox, h('div', { class: 'main' }, this._dym, this._list, this._pager)));
      root.append(this._root);
    }

    // Language, strings and the texts that do not depend on results.
    _texts() {
      const want = (this.getAttribute('lang') || (this.closest('[lang]') || document.documentElement).lang || '')
        .toLowerCase().split(/[-_]/)[0];
      const lang = (this._lang = STRINGS[want] ? want : 'en');
      const s = (this._s = {});
      const put = (o) => {
        for (const k in o || {}) if (typeof o[k] === 'string') s[k] = o[k];
      };
      let attr = null;
      try {
        attr = JSON.parse(this.getAttribute('strings') || 'null');
      } catch (e) {
        attr = null;
      }
      for (const o of [STRINGS.en, STRINGS[lang], attr, this._overrides]) {
        put(o && typeof o[lang] === 'object' ? o[lang] : o);
      }
      this._root.lang = lang;
      this._root.dir = RTL.test(lang) ? 'rtl' : 'ltr';
      this._label.textContent = this._t('label');
      this._input.placeholder = this._t('placeholder');
      this._submit.textContent = this._t('submit');
      this._pager.setAttribute('aria-label', this._t('pagination'));
    }

    _t(key, vars) {
      const s = this._s[key] == null ? key : this._s[key];
      return s.replace(/\{(\w+)\}/g, (m, k) => (vars && vars[k] != null ? vars[k] : m));
    }

    _fmt(opts, v) {
      try {
        return new Intl.NumberFormat(this._lang, opts).format(v);
      } catch (e) {
        return String(v);
      }
    }

    _date(d) {
      try {
        return new Intl.DateTimeFormat(this._lang, { dateStyle: 'medium', timeZone: 'UTC' }).format(new Date(d));
      } catch (e) {
        return d;
      }
    }

    _size(b) {
      if (!(b > 0)) return '';
      const [unit, div] = b >= 1e6 ? ['megabyte', 1e6] : b >= 1e3 ? ['kilobyte', 1e3] : ['byte', 1];
      return this._fmt({ style: 'unit', unit, maximumFractionDigits: b >= 1e6 ? 1 : 0 }, b / div);
    }

    _listOf(items) {
      try {
        return new Intl.ListFormat(this._lang, { type: 'conjunction' }).format(items);
      } catch (e) {
        return items.join(', ');
      }
    }

    _typed() {
      clearTimeout(this._timer);
      const v = this._input.value.trim();
      if (!v) {
        this._go('', 1);
        return;
      }
      if (v.length < 2 || v === this._q) return;
      this._timer = setTimeout(() => this._go(v, 1), 300);
    }

    _go(q, page, focus) {
      this._q = String(q).trim();
      this._page = page;
      this._run(focus);
    }

    _state(s) {
      if (s) this.setAttribute('data-state', s);
      else this.removeAttribute('data-state');
      if (s === 'loading') this._list.setAttribute('aria-busy', 'true');
      else this._list.removeAttribute('aria-busy');
    }

    // Reflects the search into the page's URL (sync-url only).
    _sync() {
      if (!this.hasAttribute('sync-url')) return;
      const u = new URL(location.href);
      const p = u.searchParams;
      const had = [...p.keys()].some((k) => k.startsWith('chorus-'));
      if (!had && !this._q) return;
      for (const k of ['q', 'page', ...FILTERS]) p.delete('chorus-' + k);
      if (this._q) {
        p.set('chorus-q', this._q);
        for (const f of FILTERS) for (const v of this._filters[f] || []) p.append('chorus-' + f, v);
        if (this._page > 1) p.set('chorus-page', this._page);
      }
      if (u.href !== location.href) history.replaceState(history.state, '', u.href);
    }

    async _run(focus) {
      clearTimeout(this._timer);
      if (this._ctl) this._ctl.abort();
      const seq = ++this._seq;
      const key = this.getAttribute('key');
      this._sync();
      if (!key) return this._fail('forbidden');
      if (!this._q) {
        this._data = null;
        this._render();
        this._state(null);
        return;
      }
      this._state('loading');
      this._error.textContent = '';
      this._status.textContent = this._t('loading');
      // The key goes in the query string, not the X-Chorus-Key header: a GET without custom
      // headers needs no CORS preflight, which browsers cache per URL (so per query).
      const p = new URLSearchParams({ key, q: this._q, lang: this._lang });
      for (const f of FILTERS) for (const v of this._filters[f] || []) p.append(f, v);
      p.set('page', this._page);
      p.set('per_page', Math.min(50, Math.max(1, parseInt(this.getAttribute('per-page'), 10) || 10)));
      const ctl = (this._ctl = new AbortController());
      const api = (this.getAttribute('api') || API).replace(/\/+$/, '');
      let res, body;
      try {
        res = await fetch(`${api}/v1/search?${p}`, {
          mode: 'cors', credentials: 'omit', referrerPolicy: 'no-referrer', cache: 'no-store', signal: ctl.signal,
        });
        body = await res.json().catch(() => null);
      } catch (e) {
        if (seq === this._seq) this._fail('error');
        return;
      }
      if (seq !== this._seq) return; // a later search has started
      if (res.status === 401 || res.status === 403) return this._fail('forbidden');
      if (res.status === 429) {
        const ext = (body && body.errors && body.errors[0] && body.errors[0].extensions) || {};
        const secs = parseInt(res.headers.get('Retry-After'), 10) || parseInt(ext.retryAfter, 10) || 60;
        return this._fail('rateLimited', { seconds: this._fmt({}, secs) });
      }
      if (!res.ok || !body || !Array.isArray(body.hits)) return this._fail('error');
      if (!body.hits.length && body.pages > 0 && body.page > body.pages) return this._go(this._q, body.pages, focus);
      this._data = body;
      this._render(focus);
      this._state('ready');
      this.dispatchEvent(new CustomEvent('chorus-results', {
        bubbles: true, composed: true, detail: { total: body.total, page: body.page },
      }));
    }

    _fail(key, vars) {
      this._data = null;
      this._render();
      this._error.textContent = this._t(key, vars);
      this._state('error');
    }

    _render(focus) {
      const d = this._data;
      const active = this.shadowRoot.activeElement;
      const keep = active && active.getAttribute('data-k');
      for (const e of [this._filtersBox, this._dym, this._list, this._pager, this._error]) e.textContent = '';
      this._status.textContent = '';
      if (!d) return;
      const n = (v) => this._fmt({}, v);
      if (d.dir) this._root.dir = d.dir === 'rtl' ? 'rtl' : 'ltr';
      this._status.textContent = d.total > 0 ? this._t('results', { count: n(d.total) }) : this._t('noResults');

      const facets = {};
      for (const f of d.facets || []) facets[f.name] = f.buckets || [];
      for (const name of FILTERS) {
        const buckets = facets[name];
        if (!buckets || !buckets.length) continue;
        const sel = this._filters[name] || [];
        const fs = h('fieldset', { part: 'facet', 'data-facet': name }, h('legend', null, this._t(name)));
        for (const b of buckets) {
          const v = String(b.value);
          const box = h('input', {
            type: 'checkbox', value: v, 'data-k': name + ':' + v, 'data-count': b.count,
            onchange: (e) => this._toggle(name, v, e.target.checked),
          });
          box.checked = !!b.selected || sel.includes(v);
          fs.append(h('label', { part: 'facet-option' }, box, h('span', null, b.label || v), h('span', { class: 'n' }, `(${n(b.count)})`)));
        }
        this._filtersBox.append(fs);
      }
      if (FILTERS.some((f) => (this._filters[f] || []).length)) {
        this._filtersBox.append(h('button', {
          type: 'button', class: 'clear', 'data-k': 'clear',
          onclick: () => {
            this._filters = {};
            this._go(this._q, 1);
          },
        }, this._t('clear')));
      }
      if (this._filtersBox.firstChild) this._filtersBox.prepend(h('p', { id: 'fh', class: 'fh' }, this._t('filters')));

      if (d.didYouMean) {
        const [before, after] = this._t('didYouMean').split('{suggestion}');
        const s = String(d.didYouMean);
        this._dym.append(before, h('button', {
          type: 'button', class: 'link', 'data-k': 'dym',
          onclick: () => {
            this._input.value = s;
            this._go(s, 1);
          },
        }, s), after);
      }

      this._list.setAttribute('start', (d.page - 1) * (d.perPage || 10) + 1);
      for (const x of d.hits) this._list.append(this._hit(x));

      if (d.pages > 1) {
        const btn = (part, page, off) => h('button', {
          type: 'button', part, 'data-k': part, disabled: off, onclick: () => this._go(this._q, page, true),
        }, this._t(part));
        this._pager.append(
          btn('previous', d.page - 1, d.page <= 1),
          h('span', { part: 'page' }, this._t('page', { page: n(d.page), pages: n(d.pages) })),
          btn('next', d.page + 1, d.page >= d.pages),
        );
      }

      if (focus && d.hits.length) this._list.focus();
      else if (keep) {
        const again = [...this.shadowRoot.querySelectorAll('[data-k]')].find((e) => e.getAttribute('data-k') === keep);
        if (again && !again.disabled) again.focus();
        else if (keep === 'clear' || keep === 'dym') this._input.focus();
      }
    }

    _toggle(name, v, on) {
      const cur = (this._filters[name] || []).filter((x) => x !== v);
      if (on) cur.push(v);
      this._filters[name] = cur;
      this._go(this._q, 1);
    }

    _hit(x) {
      const docs = x.documents || [];
      const href = safeUrl(x.url) || (docs[0] && safeUrl(docs[0].url));
      const rel = 'noopener noreferrer';
      const title = h('h3', { part: 'hit-title', lang: x.language, dir: 'auto' });
      marked(href ? title.appendChild(h('a', { href, rel })) : title, x.titleHtml, x.title);
      const li = h('li', { part: 'hit', class: 'hit', 'data-kind': x.kind, 'data-language': x.language }, title);

      const meta = [];
      if (x.kindLabel || x.kind) meta.push(h('span', { class: 'kind' }, x.kindLabel || x.kind));
      if (x.isFallback) meta.push(h('span', null, this._t('fallback', { language: x.languageName || x.language })));
      if (x.date) meta.push(h('time', { datetime: x.date }, this._date(x.date)));
      if (meta.length) li.append(h('p', { part: 'hit-meta', class: 'meta' }, ...meta));
      if (x.snippetHtml) li.append(marked(h('p', { part: 'hit-snippet', lang: x.language, dir: 'auto' }), x.snippetHtml));
      const also = (x.alsoAvailableIn || []).map((l) => l.name || l.code).filter(Boolean);
      if (also.length) li.append(h('p', { class: 'also' }, this._t('alsoIn', { languages: this._listOf(also) })));

      if (docs.length) {
        li.append(h('ul', { part: 'documents', class: 'docs', 'aria-label': this._t('documents') }, ...docs.map((doc) => {
          const u = safeUrl(doc.url);
          // "Title — Français (PDF, 1.2 MB)", each piece isolated so mixed scripts keep their order.
          const label = [];
          const add = (items, sep) => items.filter(Boolean).forEach((t, i) => label.push(i ? sep : '', h('bdi', null, t)));
          add([doc.title, doc.languageName || doc.language || doc.fileName], ' — ');
          const info = [fileType(doc), this._size(doc.size)].filter(Boolean);
          if (info.length) {
            label.push(' (');
            add(info, ', ');
            label.push(')');
          }
          return h('li', null, u ? h('a', { href: u, rel, hreflang: doc.language, type: doc.mimeType }, ...label) : h('span', null, ...label));
        })));
      }
      return li;
    }
  }

  customElements.define('chorus-search', ChorusSearch);
})();
