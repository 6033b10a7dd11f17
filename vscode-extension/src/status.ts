// The status bar item's text: from the server's `gomodDoctor/status` notification
// when it sends one, else counted from the published diagnostics. No `vscode`
// import: tested under plain Node.

/** The custom notification the server sends after each analysis. */
export const STATUS_METHOD = 'gomodDoctor/status';

/**
 * `gomodDoctor/status` params. Every field is optional; one notification per
 * workspace (`uri`: the workspace root, go.work or go.mod directory), the latest
 * of each workspace wins.
 *
 * - `modules`: the module versions the workspace requires;
 * - `verified`: how many of them the last analysis verified;
 * - `problems`: the workspace's errors and warnings;
 * - `proxy`: the module proxies' health: `ok`, `degraded` (slow, or some failing),
 *   `unreachable`, `off` (network off / untrusted) or `unknown`;
 * - `proxyDetail`: a sentence about it, shown in the tooltip.
 */
export interface ServerStatus {
  uri?: string;
  modules?: number;
  verified?: number;
  problems?: number;
  proxy?: string;
  proxyDetail?: string;
}

export type ClientState = 'starting' | 'running' | 'stopped' | 'notFound' | 'installing';

/** A diagnostic as `languages.getDiagnostics()` gives it (severity: 0 error .. 3 hint). */
export interface DiagnosticLike {
  source?: string | undefined;
  severity: number;
}

export const DIAGNOSTIC_SOURCE = 'gomod-doctor';

export interface StatusView {
  text: string;
  tooltip: string;
  /** 'error': the item gets the error background. */
  level: 'ok' | 'problems' | 'error';
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

function num(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) && v >= 0 ? Math.floor(v) : undefined;
}

/** Params of a `gomodDoctor/status` notification, cleaned (undefined when not an object). */
export function parseStatus(params: unknown): ServerStatus | undefined {
  if (typeof params !== 'object' || params === null || Array.isArray(params)) return undefined;
  const o = params as Record<string, unknown>;
  const out: ServerStatus = {};
  if (typeof o.uri === 'string') out.uri = o.uri;
  const modules = num(o.modules);
  if (modules !== undefined) out.modules = modules;
  const verified = num(o.verified);
  if (verified !== undefined) out.verified = verified;
  const problems = num(o.problems);
  if (problems !== undefined) out.problems = problems;
  if (typeof o.proxy === 'string' && o.proxy) out.proxy = o.proxy;
  if (typeof o.proxyDetail === 'string' && o.proxyDetail) out.proxyDetail = o.proxyDetail;
  return out;
}

/** Errors and warnings published by gomod-doctor (what the server calls problems). */
export function countProblems(diagnostics: Iterable<DiagnosticLike>): number {
  let n = 0;
  for (const d of diagnostics) {
    if (d.source === DIAGNOSTIC_SOURCE && d.severity <= 1) n++;
  }
  return n;
}

const PROXY_RANK: Record<string, number> = { ok: 0, off: 1, unknown: 1, degraded: 2, unreachable: 3 };

function worstProxy(statuses: ServerStatus[]): ServerStatus | undefined {
  let worst: ServerStatus | undefined;
  for (const s of statuses) {
    if (s.proxy === undefined) continue;
    const rank = PROXY_RANK[s.proxy] ?? 2;
    if (worst === undefined || rank > (PROXY_RANK[worst.proxy ?? ''] ?? 2)) worst = s;
  }
  return worst;
}

/**
 * What the status bar shows. `statuses`: the latest `gomodDoctor/status` of each
 * workspace (empty before the first); `diagnosticProblems`: `countProblems` over
 * the published diagnostics, used when the server sent no problem count.
 */
export function renderStatus(
  state: ClientState,
  statuses: ServerStatus[],
  diagnosticProblems: number,
  trusted = true,
): StatusView {
  const click = 'Click to verify all modules now.';
  if (state === 'notFound') {
    return {
      text: '$(error) gomod-doctor',
      tooltip: 'gomod-doctor: the language server was not found. Click to show the output.',
      level: 'error',
    };
  }
  if (state === 'stopped') {
    return {
      text: '$(debug-stop) gomod-doctor',
      tooltip: 'gomod-doctor: the language server is not running. Click to show the output.',
      level: 'error',
    };
  }
  if (state === 'starting') {
    return { text: '$(sync~spin) gomod-doctor', tooltip: 'gomod-doctor: starting…', level: 'ok' };
  }
  if (state === 'installing') {
    return {
      text: '$(sync~spin) gomod-doctor',
      tooltip: 'gomod-doctor: installing the language server… Click to show the output.',
      level: 'ok',
    };
  }

  const parts: string[] = [];
  const tips: string[] = [];
  let modules: number | undefined;
  let verified: number | undefined;
  let problems: number | undefined;
  for (const s of statuses) {
    if (s.modules !== undefined) modules = (modules ?? 0) + s.modules;
    if (s.verified !== undefined) verified = (verified ?? 0) + s.verified;
    if (s.problems !== undefined) problems = (problems ?? 0) + s.problems;
  }
  problems ??= diagnosticProblems;
  if (modules !== undefined) parts.push(plural(modules, 'module'));
  if (verified !== undefined) parts.push(`${verified} verified`);
  parts.push(plural(problems, 'problem'));

  const icon = problems > 0 ? '$(warning)' : '$(check)';
  let text = `${icon} ${parts.join(' · ')}`;
  tips.push(`gomod-doctor: ${parts.join(' · ')}`);

  const proxy = worstProxy(statuses);
  if (proxy?.proxy !== undefined) {
    if (proxy.proxy === 'unreachable' || proxy.proxy === 'degraded') {
      text += ` · $(cloud-offline) proxy ${proxy.proxy}`;
    }
    tips.push(`Module proxy: ${proxy.proxy}${proxy.proxyDetail ? ` (${proxy.proxyDetail})` : ''}`);
  }
  if (!trusted) tips.push('Untrusted workspace: diagnostics only (no go command, no network).');
  tips.push(click);
  return { text, tooltip: tips.join('\n'), level: problems > 0 ? 'problems' : 'ok' };
}
