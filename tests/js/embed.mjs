// The <chorus-search> widget on a partner page of another origin, driven in Debian's Chromium
// (tests/api's embed tests assert on what this prints). Also the no-JavaScript iframe page.
//
//   node embed.mjs '{"page": URL, "query": "global fund", "facet": "kind", "screenshot": PATH,
//                    "chorusOrigin": URL, "forbiddenPage": URL|null, "framePage": URL|null,
//                    "forbiddenFramePage": URL|null}
// framePage and forbiddenFramePage are partner pages holding the frame in an <iframe>.
//
// Prints one JSON object of observations; exits 0 even when they are not what a test expects
// (the caller asserts), non-zero only when something crashed (the error on stderr).
import { chromium } from 'playwright-core';

const args = JSON.parse(process.argv[2] ?? '{}');
const TIMEOUT = 15_000;

// Everything a test may look at, read out of the open shadow root.
function observe(page) {
  return page.evaluate(() => {
    const host = document.querySelector('chorus-search');
    const root = host && host.shadowRoot;
    if (!root) return { state: null, status: null, error: null, hits: [], facets: {}, pagerText: null, nextDisabled: null };
    const text = (e) => (e ? e.textContent.replace(/\s+/g, ' ').trim() : null);
    const hits = [...root.querySelectorAll('[part~="hit"]')].map((li) => {
      const title = li.querySelector('[part~="hit-title"]');
      const link = title && title.querySelector('a');
      const marks = [...li.querySelectorAll('[part~="hit-title"] mark, [part~="hit-snippet"] mark')].map(text);
      return {
        title: text(title),
        kind: text(li.querySelector('.kind')),
        language: li.getAttribute('data-language'),
        url: link ? link.href : null,
        marks,
        documents: li.querySelectorAll('[part~="documents"] li').length,
      };
    });
    const facets = {};
    for (const fs of root.querySelectorAll('[part~="facet"]')) {
      facets[fs.getAttribute('data-facet')] = [...fs.querySelectorAll('[part~="facet-option"]')].map((l) => {
        const box = l.querySelector('input[type=checkbox]');
        return {
          value: box.value,
          label: text(l.querySelector('span')),
          count: Number(box.getAttribute('data-count')),
          checked: box.checked,
        };
      });
    }
    const next = root.querySelector('[part~="next"]');
    const inner = root.querySelector('.root');
    return {
      state: host.getAttribute('data-state'),
      status: text(root.querySelector('[role=status]')),
      error: text(root.querySelector('[part~="error"]')) || null,
      dir: inner ? inner.getAttribute('dir') : null,
      lang: inner ? inner.getAttribute('lang') : null,
      hits,
      facets,
      pagerText: text(root.querySelector('[part~="pager"] [part~="page"]')),
      nextDisabled: next ? next.disabled : null,
    };
  });
}

// Counts the host's data-state changes, so a wait can ask for the next ready|error after an action.
async function watchStates(page) {
  await page.waitForFunction(() => !!customElements.get('chorus-search'), null, { timeout: TIMEOUT });
  await page.evaluate(() => {
    const host = document.querySelector('chorus-search');
    window.__chorusStates = [];
    new MutationObserver(() => window.__chorusStates.push(host.getAttribute('data-state')))
      .observe(host, { attributes: true, attributeFilter: ['data-state'] });
  });
}

const mark = (page) => page.evaluate(() => window.__chorusStates.length);

// Waits until, after `from` state changes, the latest state is ready or error; a time-out is
// observed, not thrown. The latest, not any: typing searches as it goes (after a 300 ms pause,
// which a loaded machine can make between two keystrokes), so an earlier search may settle while
// the one the test asked for is still loading.
async function settled(page, from) {
  try {
    await page.waitForFunction(
      (n) => {
        const after = window.__chorusStates.slice(n);
        const last = after[after.length - 1];
        return last === 'ready' || last === 'error';
      },
      from,
      { timeout: TIMEOUT },
    );
    return true;
  } catch {
    return false;
  }
}

async function search(page, query) {
  const input = page.locator('chorus-search input[type=search]');
  const from = await mark(page);
  await input.pressSequentially(query, { delay: 20 });
  await input.press('Enter');
  return settled(page, from);
}

function collectErrors(page, into) {
  page.on('console', (m) => {
    if (m.type() === 'error') into.push(m.text());
  });
  page.on('pageerror', (e) => into.push(String(e)));
}

// CSP violations, also as events on the page (they reach the console too, but say so plainly).
const CSP_WATCH = () => {
  document.addEventListener('securitypolicyviolation', (e) => {
    console.error(`CSP violation: ${e.violatedDirective} ${e.blockedURI}`);
  });
};

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--no-sandbox'],
  headless: true,
});
const out = {
  first: null, filtered: null, paged: null, cookies: [], storage: null, requests: [], consoleErrors: [],
  forbidden: null, frame: null, forbiddenFrame: null,
};
try {
  const context = await browser.newContext();
  context.on('request', (r) => out.requests.push(r.url()));
  await context.addInitScript(CSP_WATCH);
  const page = await context.newPage();
  collectErrors(page, out.consoleErrors);
  await page.goto(args.page);
  await watchStates(page);

  const firstSettled = await search(page, args.query);
  out.first = { ...(await observe(page)), settled: firstSettled, pageUrl: page.url() };
  if (args.screenshot) await page.screenshot({ path: args.screenshot, fullPage: true });

  const option = page.locator(`chorus-search fieldset[data-facet="${args.facet}"] input[type=checkbox]`).first();
  if (args.facet && (await option.count())) {
    const clicked = await option.getAttribute('value');
    const from = await mark(page);
    await option.click();
    const ok = await settled(page, from);
    out.filtered = { ...(await observe(page)), clicked, settled: ok };
  }

  const next = page.locator('chorus-search [part~="next"]');
  if ((await next.count()) && (await next.isEnabled())) {
    const from = await mark(page);
    await next.click();
    const ok = await settled(page, from);
    const activeElementPart = await page.evaluate(() => {
      const a = document.querySelector('chorus-search').shadowRoot.activeElement;
      return a ? a.getAttribute('part') : null;
    });
    out.paged = { ...(await observe(page)), activeElementPart, settled: ok, pageUrl: page.url() };
  }

  out.cookies = await context.cookies();
  out.storage = await page.evaluate(() => ({
    origin: location.origin,
    localStorage: localStorage.length,
    sessionStorage: sessionStorage.length,
  }));
  await context.close();

  if (args.forbiddenPage) {
    const ctx = await browser.newContext();
    const p = await ctx.newPage();
    await p.goto(args.forbiddenPage);
    await watchStates(p);
    const ok = await search(p, args.query);
    const o = await observe(p);
    out.forbidden = { state: o.state, status: o.status, error: o.error, hits: o.hits.length, settled: ok };
    await ctx.close();
  }

  // The frame, on partner pages that embed it as an iframe, with JavaScript off: its hits on a
  // page of the key's origin, nothing on a page of another origin (frame-ancestors).
  const observeFrame = async (url) => {
    const ctx = await browser.newContext({ javaScriptEnabled: false });
    const p = await ctx.newPage();
    await p.goto(url);
    await p.waitForTimeout(500);
    const frame = p.frames().find((f) => f.url().includes('/embed/v1/frame'));
    let seen = { framed: !!frame, title: null, hits: [], marks: [], formPresent: false };
    if (frame) {
      seen = {
        framed: true,
        title: await frame.title().catch(() => null),
        hits: (await frame.locator('.hit').allTextContents().catch(() => [])).map((t) => t.replace(/\s+/g, ' ').trim()),
        marks: await frame.locator('mark').allTextContents().catch(() => []),
        formPresent: (await frame.locator('form input[name="q"]').count().catch(() => 0)) > 0,
      };
    }
    await ctx.close();
    return seen;
  };
  if (args.framePage) out.frame = await observeFrame(args.framePage);
  if (args.forbiddenFramePage) out.forbiddenFrame = await observeFrame(args.forbiddenFramePage);
} finally {
  await browser.close();
}
console.log(JSON.stringify(out));
