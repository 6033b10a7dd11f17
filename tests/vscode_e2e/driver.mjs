// Drives code-server (a real VS Code workbench) in Debian's chromium for
// tests/test_vscode_e2e.py, as a person would: Quick Open, the editor, the
// Problems panel, Ctrl+. and the Command Palette.
//
//   node driver.mjs CONFIG.json
//
// CONFIG: { scenario, url, chromium, artifacts, timeoutMs, folder, file, ... } (see
// the scenarios below). Writes screenshots and result.json into `artifacts`; exits
// non-zero on the first failed expectation, with a screenshot of that moment
// (failure.png). Every wait is on a condition, with a deadline; none is a sleep.

import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { chromium } from 'playwright-core';

const config = JSON.parse(await fs.readFile(process.argv[2], 'utf8'));
const started = Date.now();
const WAIT_MS = 45_000; // one condition (the server's full verification included)
const CHROMIUM_FLAGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
  '--disable-default-apps',
  '--disable-extensions',
  '--no-default-browser-check',
];

function log(...args) {
  console.log(`[${((Date.now() - started) / 1000).toFixed(1)}s]`, ...args);
}

// The whole scenario has a deadline too (the test kills the process group after it).
const watchdog = setTimeout(() => {
  console.error(`driver: the scenario took over ${config.timeoutMs} ms`);
  process.exit(3);
}, config.timeoutMs ?? 240_000);
watchdog.unref();

/** Polls `probe` (async, returns a truthy value when done) until `ms` pass. */
async function waitFor(what, probe, ms = WAIT_MS) {
  const deadline = Date.now() + ms;
  let last;
  for (let delay = 50; ; delay = Math.min(delay * 2, 250)) {
    try {
      const v = await probe();
      if (v) return v;
      last = v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) {
      const detail = last instanceof Error ? `: ${last.message}` : last === undefined ? '' : ` (last: ${JSON.stringify(last)})`;
      throw new Error(`timed out after ${ms} ms waiting for ${what}${detail}`);
    }
    await new Promise((r) => setTimeout(r, delay)); // polling interval, not a wait for something
  }
}

// --------------------------------------------------------------------------- the page

/** The editor's lines, top to bottom: {text, top, bottom, left}. */
async function editorLines(page) {
  return page.evaluate(() => {
    const ed = document.querySelector('.editor-group-container.active .monaco-editor .view-lines');
    if (!ed) return [];
    return [...ed.querySelectorAll('.view-line')]
      .map((el) => {
        const r = el.getBoundingClientRect();
        return { text: el.textContent.replace(/\u00a0/g, ' '), top: r.top, bottom: r.bottom, left: r.left };
      })
      .sort((a, b) => a.top - b.top);
  });
}

/** The editor's text (all lines are rendered: the files are short). */
async function editorText(page) {
  return (await editorLines(page)).map((l) => l.text).join('\n');
}

/** The rendered line whose text contains `needle` (exactly one). */
async function lineWith(page, needle) {
  const lines = (await editorLines(page)).filter((l) => l.text.includes(needle));
  if (lines.length !== 1) throw new Error(`${lines.length} lines contain ${JSON.stringify(needle)}`);
  return lines[0];
}

/** Squiggles (by severity class) drawn on the line containing `needle`. */
async function squigglesOn(page, needle, kind = 'error') {
  const line = await lineWith(page, needle);
  return page.evaluate(
    ({ line, kind }) => {
      const root = document.querySelector('.editor-group-container.active .monaco-editor');
      return [...root.querySelectorAll(`.squiggly-${kind}`)].filter((el) => {
        const r = el.getBoundingClientRect();
        const mid = (r.top + r.bottom) / 2;
        return r.width > 0 && mid > line.top && mid < line.bottom;
      }).length;
    },
    { line, kind },
  );
}

async function allSquiggles(page) {
  return page.locator('.editor-group-container.active .monaco-editor [class*="squiggly-"]').count();
}

/** The screen point of character `offset` of `needle` in the line containing it. */
async function pointIn(page, needle, offset = 2) {
  await lineWith(page, needle); // exactly one
  return page.evaluate(
    ({ needle, offset }) => {
      const lines = document.querySelectorAll('.editor-group-container.active .monaco-editor .view-lines .view-line');
      const el = [...lines].find((l) => l.textContent.replace(/\u00a0/g, ' ').includes(needle));
      let at = el.textContent.replace(/\u00a0/g, ' ').indexOf(needle) + offset;
      const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
      for (let node = walker.nextNode(); node; node = walker.nextNode()) {
        if (at < node.length) {
          const range = document.createRange();
          range.setStart(node, at);
          range.setEnd(node, at + 1);
          const r = range.getBoundingClientRect();
          return { x: r.left + r.width / 2, y: r.top + r.height / 2 };
        }
        at -= node.length;
      }
      throw new Error(`no character ${offset} in ${needle}`);
    },
    { needle, offset },
  );
}

/** Clicks into the text of the line containing `needle` (puts the cursor there). */
async function clickLine(page, needle) {
  // inside the last path element ("alpha" of example.com/alpha): only it gets highlighted
  const p = await pointIn(page, needle, needle.lastIndexOf('/') + 2);
  await page.mouse.click(p.x, p.y);
}

async function openWorkbench(page, folder) {
  const url = `${config.url}/?folder=${encodeURIComponent(folder)}`;
  log('open', url);
  await page.goto(url, { waitUntil: 'domcontentloaded', timeout: 60_000 });
  await page.locator('.monaco-workbench').waitFor({ timeout: 60_000 });
  await page.locator('.statusbar').waitFor({ timeout: 60_000 });
  await page.locator('.explorer-folders-view .monaco-list-row').first().waitFor({ timeout: 60_000 });
}

async function quickInput(page, key, text) {
  const input = page.locator('.quick-input-widget .quick-input-box input');
  await waitFor(`the quick input (${key})`, async () => {
    if (!(await input.isVisible())) await page.keyboard.press(key);
    return input.isVisible();
  });
  await input.fill(text);
  return input;
}

async function openFile(page, name) {
  log('quick open', name);
  await quickInput(page, 'Control+p', name);
  const row = page.locator('.quick-input-list .monaco-list-row', { hasText: name }).first();
  await row.waitFor({ timeout: WAIT_MS });
  await page.keyboard.press('Enter');
  await page.locator('.tab.active', { hasText: name }).waitFor({ timeout: WAIT_MS });
  await waitFor(`${name} in the editor`, async () => (await editorLines(page)).length > 0);
}

async function runCommand(page, title) {
  log('command palette:', title);
  await quickInput(page, 'F1', `>${title}`);
  const row = page.locator('.quick-input-list .monaco-list-row', { hasText: title }).first();
  await row.waitFor({ timeout: WAIT_MS });
  await row.click();
}

/** The Problems panel's rows ("message  source(code)  [Ln, Col]"). */
async function problemRows(page) {
  return page.evaluate(() =>
    [...document.querySelectorAll('.markers-panel .monaco-list-row')].map((r) =>
      `${r.textContent || ''} | ${r.getAttribute('aria-label') || ''}`.replace(/\s+/g, ' ').trim(),
    ),
  );
}

async function showProblems(page) {
  await waitFor('the Problems panel', async () => {
    if (!(await page.locator('.markers-panel').isVisible())) {
      await page.keyboard.press('Control+Shift+M');
    }
    return page.locator('.markers-panel').isVisible();
  });
}

/** Ctrl+. on the line containing `needle`; the titles the menu offers. */
async function quickFixMenu(page, needle) {
  await clickLine(page, needle);
  log('Ctrl+. on', JSON.stringify(needle));
  await page.keyboard.press('Control+.');
  const widget = page.locator('.action-widget:not(.action-list-submenu-panel)').first();
  const none = page.locator('.monaco-editor-overlaymessage', { hasText: /No code actions|no code actions/i });
  const which = await waitFor('the quick fix menu (or "no code actions")', async () => {
    if (await widget.isVisible()) return 'menu';
    if (await none.isVisible()) return 'none';
    return undefined;
  });
  if (which === 'none') return [];
  const items = await waitFor('the quick fix items', async () => {
    const rows = await widget.locator('.monaco-list-row').evaluateAll((els) =>
      els.map((e) => ({ cls: e.className, text: (e.textContent || '').replace(/\s+/g, ' ').trim() })),
    );
    log('menu rows:', JSON.stringify(rows));
    // the items, not the group headers ("Quick Fix", "More Actions...") or separators
    const texts = rows.filter((r) => !/group-header|separator/.test(r.cls)).map((r) => r.text);
    return texts.length ? texts : undefined;
  });
  log('offered:', JSON.stringify(items));
  return items;
}

async function pickAction(page, title) {
  const item = page.locator('.action-widget .monaco-list-row', { hasText: title }).first();
  await item.waitFor({ timeout: WAIT_MS });
  await item.click();
  await page.locator('.action-widget:not(.action-list-submenu-panel)').first().waitFor({ state: 'hidden', timeout: WAIT_MS });
}

async function shot(page, name, options = {}) {
  const file = path.join(config.artifacts, name);
  await page.screenshot({ path: file, ...options });
  log('screenshot', file);
  return file;
}

/**
 * A screenshot for the README: the sidebar hidden (more room for the editor),
 * `ready` re-establishes what the picture shows (a hover, a menu) once the
 * layout has changed; the sidebar comes back afterwards.
 */
async function readmeShot(page, name, ready) {
  const sidebar = page.locator('.part.sidebar');
  const toggle = async (visible) =>
    waitFor(`the sidebar ${visible ? 'shown' : 'hidden'}`, async () => {
      if ((await sidebar.isVisible()) !== visible) await runCommand(page, 'View: Toggle Primary Side Bar Visibility');
      return (await sidebar.isVisible()) === visible;
    });
  await toggle(false);
  await waitFor(`what ${name} shows`, ready);
  await shot(page, name);
  await page.keyboard.press('Escape');
  await toggle(true);
}

async function statusBarTexts(page) {
  return page.evaluate(() =>
    [...document.querySelectorAll('.statusbar-item')].map((e) =>
      (e.getAttribute('aria-label') || e.textContent || '').replace(/\s+/g, ' ').trim(),
    ),
  );
}

/** The gomod-doctor server answered: its code lens (the summary) is drawn. */
async function waitForServer(page) {
  await waitFor('the gomod-doctor code lens (the server is up)', async () =>
    page.locator('.editor-group-container.active .monaco-editor .codelens-decoration').first().isVisible(),
  );
}

// --------------------------------------------------------------------------- scenarios

const scenarios = {
  /** cache-modified: squiggle + Problems, hover, Ctrl+. "Redownload", then clean. */
  async 'cache-modified'(page, c) {
    const result = {};
    await openWorkbench(page, c.folder);
    await openFile(page, c.file);
    await waitFor(`a squiggle under ${JSON.stringify(c.line)}`, async () => (await squigglesOn(page, c.line)) > 0);
    result.squiggles = await allSquiggles(page);
    await showProblems(page);
    result.problemsBefore = await waitFor('the problem in the Problems panel', async () => {
      const rows = (await problemRows(page)).filter((r) => r.includes(c.problem));
      return rows.length ? rows : undefined;
    });
    log('problems:', JSON.stringify(result.problemsBefore));

    // Hover over the squiggle: the diagnostic and the server's hover.
    const hover = async () => {
      const at = await pointIn(page, c.line, 6);
      await page.mouse.move(at.x + 3, at.y);
      await page.mouse.move(at.x, at.y);
      return page.locator('.monaco-hover:not(.hidden)', { hasText: c.problem }).first().isVisible();
    };
    await waitFor('the hover', hover);
    result.hover = await page.locator('.monaco-hover:not(.hidden)').first().innerText();
    if (!result.hover.includes(c.hoverText)) throw new Error(`no ${c.hoverText} in the hover: ${result.hover}`);
    await shot(page, 'diagnostic.png');
    await readmeShot(page, c.readmeShots[0], hover);
    await page.keyboard.press('Escape');
    await page.mouse.move(5, 5);
    await waitFor('the hover to close', async () => !(await page.locator('.monaco-hover:not(.hidden)').first().isVisible()));

    result.fixes = await quickFixMenu(page, c.line);
    if (!result.fixes.some((f) => f.includes(c.fix))) throw new Error(`no ${c.fix} in ${JSON.stringify(result.fixes)}`);
    await shot(page, 'quickfix.png');
    await page.keyboard.press('Escape');
    await readmeShot(page, c.readmeShots[1], async () => {
      if (!(await page.locator('.action-widget:not(.action-list-submenu-panel)').first().isVisible())) {
        await clickLine(page, c.line);
        await page.keyboard.press('Control+.');
      }
      return page.locator('.action-widget .monaco-list-row', { hasText: c.fix }).first().isVisible();
    });
    await quickFixMenu(page, c.line);
    await pickAction(page, c.fix);
    log('picked', c.fix);

    await waitFor(`no squiggle under ${JSON.stringify(c.line)}`, async () => (await squigglesOn(page, c.line)) === 0, 90_000);
    await waitFor('an empty Problems panel', async () => (await problemRows(page)).filter((r) => r.includes(c.problem)).length === 0);
    result.problemsAfter = await problemRows(page);
    result.squigglesAfter = await allSquiggles(page);
    await shot(page, 'fixed.png');
    return result;
  },

  /**
   * No server anywhere: the extension offers to install the one it bundles; "Install"
   * installs it (progress in a notification) and starts it: the diagnostic appears.
   */
  async install(page, c) {
    const result = {};
    await openWorkbench(page, c.folder);
    const toast = page.locator('.notification-toast', { hasText: c.offer }).first();
    await toast.waitFor({ timeout: WAIT_MS });
    result.offer = (await toast.innerText()).replace(/\s+/g, ' ').trim();
    log('offered:', result.offer);
    await shot(page, 'offer.png');
    await toast.getByRole('button', { name: c.install, exact: true }).click();
    log('clicked', c.install);
    // the progress notification (pip's steps in it) while it installs
    const progress = page.locator('.notification-toast', { hasText: c.progress }).first();
    result.progressSeen = await waitFor('the install progress', () => progress.isVisible(), 30_000).catch(() => false);
    if (result.progressSeen) await shot(page, 'installing.png');
    await openFile(page, c.file);
    await waitFor(`a squiggle under ${JSON.stringify(c.line)} (after the install)`, async () => (await squigglesOn(page, c.line)) > 0, c.installWaitMs);
    await showProblems(page);
    result.problems = await waitFor('the problem in the Problems panel', async () => {
      const rows = (await problemRows(page)).filter((r) => r.includes(c.problem));
      return rows.length ? rows : undefined;
    });
    log('problems:', JSON.stringify(result.problems));
    await shot(page, 'installed.png');
    result.notifications = await page.evaluate(() =>
      [...document.querySelectorAll('.notification-toast')].map((n) => (n.textContent || '').replace(/\s+/g, ' ').trim()),
    );
    return result;
  },

  /** Toggle a local replace with Ctrl+. and the palette; the go.mod text changes. */
  async 'local-replace'(page, c) {
    const result = {};
    await openWorkbench(page, c.folder);
    await openFile(page, c.file);
    await waitForServer(page);

    const fixes = await quickFixMenu(page, c.requireLine);
    if (!fixes.some((f) => f.includes(c.use))) throw new Error(`no ${c.use} in ${JSON.stringify(fixes)}`);
    await shot(page, 'use-local-menu.png');
    await pickAction(page, c.use);
    await waitFor(`the line ${JSON.stringify(c.replaceLine)}`, async () =>
      (await editorLines(page)).some((l) => l.text === c.replaceLine),
    );
    result.afterUse = await savedText(page, c);

    const more = await quickFixMenu(page, c.replaceLine);
    if (!more.some((f) => f.includes(c.disable))) throw new Error(`no ${c.disable} in ${JSON.stringify(more)}`);
    await pickAction(page, c.disable);
    await waitFor(`the line ${JSON.stringify(`// ${c.replaceLine}`)}`, async () =>
      (await editorLines(page)).some((l) => l.text === `// ${c.replaceLine}`),
    );
    result.afterDisable = await savedText(page, c);
    await shot(page, 'disabled.png');

    await runCommand(page, c.enableAll);
    await waitFor(`the line ${JSON.stringify(c.replaceLine)} again`, async () =>
      (await editorLines(page)).some((l) => l.text === c.replaceLine),
    );
    result.afterEnableAll = await savedText(page, c);
    await shot(page, 'enabled.png');
    return result;
  },

  /** Restricted Mode: the diagnostic shows; Ctrl+. offers no fix that runs go. */
  async untrusted(page, c) {
    const result = {};
    await openWorkbench(page, c.folder);
    result.restricted = await waitFor('the Restricted Mode indicator', async () =>
      (await statusBarTexts(page)).some((t) => /restricted mode/i.test(t)),
    );
    await openFile(page, c.file);
    await waitFor(`a squiggle under ${JSON.stringify(c.line)}`, async () => (await squigglesOn(page, c.line)) > 0);
    await showProblems(page);
    result.problems = await waitFor('the problem in the Problems panel', async () => {
      const rows = (await problemRows(page)).filter((r) => r.includes(c.problem));
      return rows.length ? rows : undefined;
    });
    result.fixes = await quickFixMenu(page, c.line);
    await shot(page, 'untrusted-menu.png');
    if (result.fixes.some((f) => f.includes(c.absent))) throw new Error(`${c.absent} offered: ${JSON.stringify(result.fixes)}`);
    await page.keyboard.press('Escape');
    result.statusBar = await statusBarTexts(page);
    return result;
  },
};

/** Saves the editor (Ctrl+S); the file's text once it holds what the editor shows. */
async function savedText(page, c) {
  const shown = (await editorText(page)).replace(/\n$/, '');
  const file = path.join(c.folder, c.file);
  await page.keyboard.press('Control+s');
  let text = '';
  try {
    return await waitFor(`${file} saved`, async () => {
      text = await fs.readFile(file, 'utf8');
      // the editor renders a tab as spaces (tab size 4 here)
      return text.replace(/\t/g, '    ').replace(/\n$/, '') === shown ? text : undefined;
    });
  } catch (e) {
    throw new Error(`${e.message}: the file holds\n${text}\nbut the editor shows\n${shown}`);
  }
}

// --------------------------------------------------------------------------- main

const run = scenarios[config.scenario];
if (!run) {
  console.error(`driver: no scenario ${config.scenario}`);
  process.exit(2);
}

const profile = await fs.mkdtemp(path.join(config.artifacts, 'chromium-profile-'));
const context = await chromium.launchPersistentContext(profile, {
  executablePath: config.chromium,
  headless: true,
  args: CHROMIUM_FLAGS,
  viewport: { width: 1280, height: 800 },
  timeout: 60_000,
});
const page = context.pages()[0] ?? (await context.newPage());
page.setDefaultTimeout(WAIT_MS);
page.on('console', (m) => {
  if (m.type() === 'error' || /gomod-doctor/i.test(m.text())) log(`console.${m.type()}:`, m.text().slice(0, 500));
});
page.on('pageerror', (e) => log('page error:', e.message));

let code = 0;
try {
  const result = await run(page, config);
  result.elapsedMs = Date.now() - started;
  await fs.writeFile(path.join(config.artifacts, 'result.json'), JSON.stringify(result, null, 2));
  log('done');
} catch (e) {
  code = 1;
  console.error(`driver: ${config.scenario} failed: ${e instanceof Error ? e.stack : e}`);
  try {
    await shot(page, 'failure.png');
    console.error('status bar:', JSON.stringify(await statusBarTexts(page)));
    console.error('editor text:\n' + (await editorText(page)));
    const notes = await page.evaluate(() =>
      [...document.querySelectorAll('.notification-toast, .notifications-list-container .monaco-list-row')].map(
        (n) => n.textContent,
      ),
    );
    if (notes.length) console.error('notifications:', JSON.stringify(notes));
  } catch (e2) {
    console.error(`driver: no failure screenshot: ${e2}`);
  }
} finally {
  await context.close().catch(() => undefined);
  await fs.rm(profile, { recursive: true, force: true }).catch(() => undefined);
}
process.exit(code);
