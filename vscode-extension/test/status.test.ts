import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { STATUS_METHOD, countProblems, parseStatus, renderStatus } from '../src/status';

describe('gomodDoctor/status', () => {
  it('is the notification method the server sends', () => {
    assert.equal(STATUS_METHOD, 'gomodDoctor/status');
  });

  it('parseStatus keeps the known fields of the right type', () => {
    assert.deepEqual(
      parseStatus({ uri: 'file:///ws', modules: 142, verified: 140, problems: 2, proxy: 'ok', extra: 1 }),
      { uri: 'file:///ws', modules: 142, verified: 140, problems: 2, proxy: 'ok' },
    );
    assert.deepEqual(parseStatus({ modules: -1, verified: 'x', problems: 2.7, proxy: '' }), { problems: 2 });
    assert.equal(parseStatus(null), undefined);
    assert.equal(parseStatus([1]), undefined);
    assert.equal(parseStatus('x'), undefined);
  });
});

describe('countProblems', () => {
  it('counts gomod-doctor\'s errors and warnings only', () => {
    assert.equal(
      countProblems([
        { source: 'gomod-doctor', severity: 0 },
        { source: 'gomod-doctor', severity: 1 },
        { source: 'gomod-doctor', severity: 2 },
        { source: 'gomod-doctor', severity: 3 },
        { source: 'gopls', severity: 0 },
        { source: undefined, severity: 0 },
      ]),
      2,
    );
  });
});

describe('renderStatus', () => {
  it('shows the server\'s summary, as its code lens words it', () => {
    const v = renderStatus('running', [{ modules: 142, verified: 140, problems: 2, proxy: 'ok' }], 0);
    assert.equal(v.text, '$(warning) 142 modules · 140 verified · 2 problems');
    assert.equal(v.level, 'problems');
    assert.match(v.tooltip, /Module proxy: ok/);
    assert.match(v.tooltip, /Click to verify all/);
  });

  it('counts diagnostics until the server sends a status', () => {
    assert.equal(renderStatus('running', [], 0).text, '$(check) 0 problems');
    assert.equal(renderStatus('running', [], 1).text, '$(warning) 1 problem');
    assert.equal(renderStatus('running', [{ modules: 1 }], 3).text, '$(warning) 1 module · 3 problems');
  });

  it('the server\'s problem count wins over the diagnostics', () => {
    assert.equal(renderStatus('running', [{ modules: 3, verified: 3, problems: 0 }], 5).text, '$(check) 3 modules · 3 verified · 0 problems');
  });

  it('adds up several workspaces and shows the worst proxy health', () => {
    const v = renderStatus(
      'running',
      [
        { uri: 'a', modules: 2, verified: 2, problems: 0, proxy: 'ok' },
        { uri: 'b', modules: 3, verified: 1, problems: 1, proxy: 'unreachable', proxyDetail: 'proxy.golang.org: timeout' },
        { uri: 'c', modules: 1, verified: 1, problems: 0, proxy: 'degraded' },
      ],
      0,
    );
    assert.equal(v.text, '$(warning) 6 modules · 4 verified · 1 problem · $(cloud-offline) proxy unreachable');
    assert.match(v.tooltip, /Module proxy: unreachable \(proxy\.golang\.org: timeout\)/);
  });

  it('proxy off is quiet in the text', () => {
    assert.equal(renderStatus('running', [{ problems: 0, proxy: 'off' }], 0).text, '$(check) 0 problems');
  });

  it('says when the server is missing, stopped or starting', () => {
    assert.deepEqual(
      [renderStatus('notFound', [], 0).level, renderStatus('stopped', [], 0).level, renderStatus('starting', [], 0).level],
      ['error', 'error', 'ok'],
    );
    assert.match(renderStatus('notFound', [], 0).tooltip, /not found/);
    assert.match(renderStatus('starting', [], 0).text, /sync~spin/);
  });

  it('tells an untrusted workspace', () => {
    assert.match(renderStatus('running', [], 0, false).tooltip, /Untrusted workspace/);
    assert.doesNotMatch(renderStatus('running', [], 0, true).tooltip, /Untrusted/);
  });
});
