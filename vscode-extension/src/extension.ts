// The gomod-doctor extension: starts `gomod-doctor serve` for go.mod, go.sum and
// go.work, answers its `workspace/configuration`, and adds the palette commands
// and a status bar item. With no server found, it offers to install the one its
// VSIX bundles (managed.ts), and keeps that one up to date.

import * as os from 'node:os';
import * as vscode from 'vscode';
import {
  CodeActionRequest,
  CodeActionResolveRequest,
  CodeActionTriggerKind,
  Command as LspCommand,
  ConfigurationRequest,
  ExecuteCommandRequest,
  LanguageClient,
  NotificationType,
  ResponseError,
  State,
  type CodeAction as LspCodeAction,
  type ConfigurationParams,
  type LanguageClientOptions,
  type ServerOptions,
} from 'vscode-languageclient/node';
import {
  CLIENT_COMMANDS,
  SERVER_COMMANDS,
  SOURCE_ACTION_TITLES,
  findSourceAction,
  isModOrWork,
  moduleVersionAtLine,
  parseModuleVersion,
  resultMessage,
} from './commandsLogic';
import { readAutoInstallSetting, readPythonSetting, readServerPathSetting, readServerSettings } from './config';
import { versionMismatch } from './handshake';
import { discoverPython, interpreterOf } from './interpreter';
import { Installer, managedPaths, type InstallState } from './managed';
import {
  dirLock,
  findBundledWheel,
  mkdirs,
  probePython,
  readTextFile,
  removeTree,
  runProcess,
  writeTextFile,
} from './nodeDeps';
import { stderrLevel } from './log';
import {
  PYTHON_EXTENSION_ID,
  activePythonEnvironment,
  hasPythonExtension,
  type PythonExtensionApi,
} from './python';
import { SERVER_ARGS, isExecutableFile, resolveServer, type Resolution, type ServerSource } from './serverPath';
import { SECTION, configurationAnswer } from './settings';
import {
  STATUS_METHOD,
  countProblems,
  parseStatus,
  renderStatus,
  type ClientState,
  type ServerStatus,
} from './status';

const CLIENT_ID = 'gomodDoctor';
const CLIENT_NAME = 'gomod-doctor';
const LANGUAGES = ['go.mod', 'go.sum', 'go.work'];
const OPEN_SETTINGS = 'Open Settings';
const SHOW_OUTPUT = 'Show Output';
const RETRY = 'Retry';

const statusNotification = new NotificationType<ServerStatus>(STATUS_METHOD);
/** globalState: the version mismatches already warned about (`versionMismatch` keys). */
const VERSION_WARNED_KEY = 'gomodDoctor.versionWarned';
/** The README's section on installing the server (opened when there is no Python). */
const INSTALL_DOCS_FRAGMENT = 'the-bundled-server';

/** How long to wait for the Python extension (its activation can be slow). */
const PYTHON_TIMEOUT_MS = 20_000;

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what} in ${ms / 1000} s`)), ms);
    p.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(timer);
        reject(e instanceof Error ? e : new Error(String(e)));
      },
    );
  });
}

function errorText(e: unknown): string {
  if (e instanceof ResponseError) return e.message;
  return e instanceof Error ? e.message : String(e);
}

class GomodDoctor implements vscode.Disposable {
  private client: LanguageClient | undefined;
  private state: ClientState = 'starting';
  private readonly statuses = new Map<string, ServerStatus>();
  private readonly disposables: vscode.Disposable[] = [];
  private readonly clientDisposables: vscode.Disposable[] = [];
  private queue: Promise<void> = Promise.resolve();
  private disposed = false;
  private watchingPython = false;

  constructor(
    private readonly output: vscode.LogOutputChannel,
    private readonly statusItem: vscode.StatusBarItem,
    private readonly installer: Installer,
    private readonly context: vscode.ExtensionContext,
  ) {
    statusItem.name = 'gomod-doctor';
    installer.onState((s: InstallState) => {
      if (s === 'installing') this.setState('installing');
      else if (this.state === 'installing') this.setState(s === 'installed' ? 'starting' : 'notFound');
    });
    this.render();
  }

  // ------------------------------------------------------------------ lifecycle

  /** Start (or restart) the server; calls are queued, never overlapping. */
  restart(reason?: string): Promise<void> {
    this.queue = this.queue
      .then(async () => {
        if (reason) this.output.info(`restarting the server: ${reason}`);
        await this.stopClient();
        if (!this.disposed) await this.startClient();
      })
      .catch((e: unknown) => this.output.error(`restart failed: ${errorText(e)}`));
    return this.queue;
  }

  private async resolve(): Promise<Resolution> {
    const folders = (vscode.workspace.workspaceFolders ?? [])
      .filter((f) => f.uri.scheme === 'file')
      .map((f) => f.uri.fsPath);
    const python = hasPythonExtension()
      ? () => {
          // asked (so the Python extension is active): follow its environment from now on
          if (!this.watchingPython) {
            this.watchingPython = true;
            void this.watchPythonEnvironment().catch(() => undefined);
          }
          return withTimeout(activePythonEnvironment(), PYTHON_TIMEOUT_MS, 'the Python extension did not answer');
        }
      : undefined;
    return resolveServer({
      settingPath: readServerPathSetting(),
      workspaceFolders: folders,
      homeDir: os.homedir(),
      trusted: vscode.workspace.isTrusted,
      pythonEnvironment: python,
      pathEnv: process.env.PATH ?? process.env.Path,
      pathExt: process.env.PATHEXT,
      platform: process.platform,
      isExecutable: (file) => isExecutableFile(file),
      managedServer: () => this.installer.readyServer(),
    });
  }

  private async startClient(): Promise<void> {
    this.setState('starting');
    // the extension was updated since it installed its server: bring that one along
    const upgraded = await this.installer.upgrade();
    if (upgraded === 'failed') this.output.warn('the installed server was not upgraded: starting the old one');
    this.setState('starting');
    const found = await this.resolve();
    for (const note of found.notes) this.output.warn(note);
    if (!found.ok) {
      this.output.error(found.message);
      this.output.info(`looked for gomod-doctor in:\n  ${found.tried.join('\n  ') || '(nowhere)'}`);
      this.setState('notFound');
      if (await this.installer.canInstall()) void this.offerInstall();
      else void this.offerFix(found.message);
      return;
    }
    this.output.info(`server: ${found.path} ${SERVER_ARGS.join(' ')} (from ${describeSource(found.source)})`);
    if (found.source !== 'setting' && found.notes.some((n) => n.startsWith('gomodDoctor.server.path'))) {
      void vscode.window
        .showWarningMessage(`${found.notes.join('; ')}: using ${found.path} instead.`, OPEN_SETTINGS)
        .then((pick) => (pick === OPEN_SETTINGS ? openSettings() : undefined));
    }

    const serverOptions: ServerOptions = {
      command: found.path,
      args: SERVER_ARGS,
      // no `transport`: stdio without the `--stdio` argument the client would add
    };
    const problems: string[] = [];
    const clientOptions: LanguageClientOptions = {
      documentSelector: LANGUAGES.map((language) => ({ scheme: 'file', language })),
      outputChannel: this.output,
      diagnosticCollectionName: 'gomod-doctor',
      stdioOptions: {
        stdout: () => undefined,
        stderr: (input, channel) => pipeLines(input, channel),
      },
      initializationOptions: () => {
        const settings = readServerSettings(undefined, problems);
        for (const p of problems.splice(0)) this.output.warn(p);
        return settings;
      },
      middleware: {
        workspace: {
          configuration: (params, token, next) => this.answerConfiguration(params, token, next),
        },
      },
    };

    const client = new LanguageClient(CLIENT_ID, CLIENT_NAME, serverOptions, clientOptions);
    this.client = client;
    this.clientDisposables.push(
      client.onDidChangeState((e) => {
        if (this.client !== client) return;
        if (e.newState === State.Running) this.setState('running');
        else if (e.newState === State.Stopped) this.setState('stopped');
        else this.setState('starting');
      }),
      client.onNotification(statusNotification, (params) => {
        const s = parseStatus(params);
        if (!s) return;
        this.statuses.set(s.uri ?? '', s);
        this.render();
      }),
    );
    try {
      await client.start();
      this.setState('running');
      this.handshake(client, found.path);
    } catch (e) {
      if (this.client !== client) return;
      // the language client has shown the error already (with a button to the output)
      this.output.error(`the language server ${found.path} did not start: ${errorText(e)}`);
      this.setState('stopped');
    }
  }

  private async stopClient(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    this.statuses.clear();
    for (const d of this.clientDisposables.splice(0)) d.dispose();
    if (!client) return;
    try {
      if (client.isRunning()) await client.stop(5000);
    } catch (e) {
      this.output.warn(`stopping the server: ${errorText(e)}`);
    }
    try {
      await client.dispose(2000);
    } catch {
      // already stopped
    }
  }

  /** Restart when the active Python environment changes, unless the path is set. */
  private async watchPythonEnvironment(): Promise<void> {
    const ext = vscode.extensions.getExtension<PythonExtensionApi>(PYTHON_EXTENSION_ID);
    if (!ext) return;
    const api = ext.isActive ? ext.exports : await ext.activate();
    const event = api?.environments?.onDidChangeActiveEnvironmentPath;
    if (!event) return;
    this.track(
      event(() => {
        if (!readServerPathSetting()) void this.restart('the active Python environment changed');
      }),
    );
  }

  /** Warns once per version pair when the server's major.minor is not the extension's. */
  private handshake(client: LanguageClient, serverPath: string): void {
    const info = client.initializeResult?.serverInfo;
    const ours = String((this.context.extension.packageJSON as { version?: unknown }).version ?? '');
    this.output.info(`server ${info?.name ?? '?'} ${info?.version ?? '(no version)'}; extension ${ours}`);
    const mismatch = versionMismatch(ours, info, serverPath);
    if (!mismatch) return;
    this.output.warn(mismatch.message);
    const warned = this.context.globalState.get<string[]>(VERSION_WARNED_KEY) ?? [];
    if (warned.includes(mismatch.key)) return;
    void this.context.globalState.update(VERSION_WARNED_KEY, [...warned, mismatch.key].slice(-20));
    void vscode.window.showWarningMessage(mismatch.message);
  }

  /** `gomodDoctor.server.autoInstall` was turned on: install now if there is no server. */
  autoInstallTurnedOn(): void {
    if (this.state === 'notFound') void this.restart('gomodDoctor.server.autoInstall is on');
  }

  /** No server: offer the bundled one (or install it, with autoInstall); start it when installed. */
  private async offerInstall(): Promise<void> {
    const installed = await this.installer.offer();
    if (installed) await this.restart('the server is installed');
  }

  private async offerFix(message: string): Promise<void> {
    const pick = await vscode.window.showErrorMessage(message, OPEN_SETTINGS, RETRY);
    if (pick === OPEN_SETTINGS) await openSettings();
    else if (pick === RETRY) await this.restart('retry');
  }

  /** `workspace/configuration`: the server's section from the flat VS Code settings. */
  private async answerConfiguration(
    params: ConfigurationParams,
    token: vscode.CancellationToken,
    next: ConfigurationRequest.HandlerSignature,
  ): Promise<unknown[] | ResponseError<void>> {
    const theirs = params.items.some((item) => item.section !== SECTION && !item.section?.startsWith(`${SECTION}.`));
    const defaults = theirs ? await next(params, token) : undefined;
    if (defaults instanceof ResponseError) return defaults;
    return params.items.map((item, i) => {
      const scope = item.scopeUri ? vscode.Uri.parse(item.scopeUri) : undefined;
      const problems: string[] = [];
      const answer = configurationAnswer(item.section, readServerSettings(scope, problems));
      for (const p of problems) this.output.warn(p);
      if (answer.handled) return answer.value;
      return Array.isArray(defaults) ? defaults[i] : null;
    });
  }

  // ------------------------------------------------------------------ status bar

  private setState(state: ClientState): void {
    this.state = state;
    if (state !== 'running') this.statuses.clear();
    this.render();
  }

  /** Diagnostics changed for `uris`: redraw when one is ours. */
  diagnosticsChanged(uris: readonly vscode.Uri[]): void {
    if (uris.some(isOurFile)) this.render();
  }

  render(): void {
    const diags: vscode.Diagnostic[] = [];
    const collection = this.client?.diagnostics;
    if (collection) collection.forEach((_uri, ds) => diags.push(...ds));
    else for (const [uri, ds] of vscode.languages.getDiagnostics()) if (isOurFile(uri)) diags.push(...ds);
    const problems = countProblems(diags.map((d) => ({ source: d.source, severity: d.severity })));
    const view = renderStatus(this.state, [...this.statuses.values()], problems, vscode.workspace.isTrusted);
    this.statusItem.text = view.text;
    this.statusItem.tooltip = view.tooltip;
    this.statusItem.backgroundColor =
      view.level === 'error' ? new vscode.ThemeColor('statusBarItem.errorBackground') : undefined;
    this.statusItem.command =
      this.state === 'running' ? CLIENT_COMMANDS.verifyAll : CLIENT_COMMANDS.showOutput;
    this.statusItem.show();
  }

  // ------------------------------------------------------------------ commands

  private runningClient(): LanguageClient | undefined {
    const client = this.client;
    if (client?.isRunning()) return client;
    void vscode.window
      .showWarningMessage('gomod-doctor: the language server is not running.', SHOW_OUTPUT, RETRY)
      .then((pick) => (pick === SHOW_OUTPUT ? this.output.show() : pick === RETRY ? this.restart('retry') : undefined));
    return undefined;
  }

  /** Run one of the server's commands with one argument object; its result, or undefined on failure. */
  async serverCommand(command: string, args: Record<string, unknown> | unknown[] = {}): Promise<unknown> {
    const client = this.runningClient();
    if (!client) return undefined;
    try {
      return await client.sendRequest(ExecuteCommandRequest.type, {
        command,
        arguments: Array.isArray(args) ? args : [args],
      });
    } catch (e) {
      const msg = `gomod-doctor: ${command} failed: ${errorText(e)}`;
      this.output.error(msg);
      void vscode.window.showErrorMessage(msg);
      return undefined;
    }
  }

  /** The go.mod or go.work to act on: the active editor's, else one picked from the workspace. */
  private async targetModFile(): Promise<vscode.Uri | undefined> {
    const active = vscode.window.activeTextEditor?.document.uri;
    if (active?.scheme === 'file' && isModOrWork(active.fsPath)) return active;
    const files = await vscode.workspace.findFiles('**/{go.mod,go.work}', '**/{vendor,node_modules,testdata}/**', 50);
    if (files.length === 0) {
      void vscode.window.showInformationMessage('gomod-doctor: no go.mod or go.work in this workspace.');
      return undefined;
    }
    if (files.length === 1) return files[0];
    const pick = await vscode.window.showQuickPick(
      files.map((uri) => ({ label: vscode.workspace.asRelativePath(uri), uri })),
      { placeHolder: 'Which go.mod or go.work?' },
    );
    return pick?.uri;
  }

  /** Run the server's "Disable/Enable all local replaces" source action on a go.mod / go.work. */
  async toggleLocalReplaces(which: 'disable' | 'enable'): Promise<void> {
    const title = SOURCE_ACTION_TITLES[which];
    const uri = await this.targetModFile();
    if (!uri) return;
    const client = this.runningClient();
    if (!client) return;
    const doc = await vscode.workspace.openTextDocument(uri);
    const editor = vscode.window.visibleTextEditors.find((e) => e.document === doc);
    const range = editor?.selection ?? new vscode.Range(0, 0, 0, 0);
    try {
      const actions = await client.sendRequest(CodeActionRequest.type, {
        textDocument: { uri: client.code2ProtocolConverter.asUri(uri) },
        range: client.code2ProtocolConverter.asRange(range),
        context: { diagnostics: [], only: ['source'], triggerKind: CodeActionTriggerKind.Invoked },
      });
      const found = findSourceAction(actions ?? [], title);
      if (!found) {
        const what = which === 'disable' ? 'active local replaces' : 'commented-out local replaces';
        void vscode.window.showInformationMessage(
          `gomod-doctor: no ${what} in ${vscode.workspace.asRelativePath(uri)}.`,
        );
        return;
      }
      if (LspCommand.is(found)) {
        await this.serverCommand(found.command, found.arguments ?? []);
        return;
      }
      let action: LspCodeAction = found;
      if (action.edit === undefined && action.command === undefined && action.data !== undefined) {
        action = await client.sendRequest(CodeActionResolveRequest.type, action);
      }
      if (action.edit) {
        const edit = await client.protocol2CodeConverter.asWorkspaceEdit(action.edit);
        if (!(await vscode.workspace.applyEdit(edit))) {
          void vscode.window.showErrorMessage(`gomod-doctor: "${title}" could not be applied.`);
          return;
        }
      }
      if (action.command) await this.serverCommand(action.command.command, action.command.arguments ?? []);
    } catch (e) {
      const msg = `gomod-doctor: "${title}" failed: ${errorText(e)}`;
      this.output.error(msg);
      void vscode.window.showErrorMessage(msg);
    }
  }

  async compareProxies(): Promise<void> {
    const editor = vscode.window.activeTextEditor;
    let value = '';
    if (editor && isModOrWork(editor.document.uri.fsPath)) {
      value = moduleVersionAtLine(editor.document.lineAt(editor.selection.active.line).text) ?? '';
    }
    const input = await vscode.window.showInputBox({
      title: 'gomod-doctor: Compare proxies',
      prompt: 'The module version to compare across the configured proxies (GOPROXY)',
      placeHolder: 'golang.org/x/text@v0.14.0',
      value,
      validateInput: (s) => {
        const r = parseModuleVersion(s);
        return r.ok ? undefined : r.error;
      },
    });
    if (input === undefined) return;
    const parsed = parseModuleVersion(input);
    if (!parsed.ok) return;
    const result = await this.serverCommand(SERVER_COMMANDS.compareProxies, {
      module: parsed.module,
      version: parsed.version,
    });
    if (result === undefined) return;
    this.output.info(`compare proxies ${parsed.module}@${parsed.version}:\n${JSON.stringify(result, null, 2)}`);
    const r = resultMessage(result);
    const text = r?.message ?? `compared the proxies for ${parsed.module}@${parsed.version}.`;
    const show = r?.ok === false ? vscode.window.showWarningMessage : vscode.window.showInformationMessage;
    const pick = await show(`gomod-doctor: ${text}`, SHOW_OUTPUT);
    if (pick === SHOW_OUTPUT) this.output.show();
  }

  /** `{uri}` of the active go.mod / go.work, else `{}` (the whole workspace). */
  activeUriArg(): Record<string, unknown> {
    const uri = vscode.window.activeTextEditor?.document.uri;
    return uri?.scheme === 'file' && isModOrWork(uri.fsPath) ? { uri: uri.toString() } : {};
  }

  showOutput(): void {
    this.output.show();
  }

  track(...d: vscode.Disposable[]): void {
    this.disposables.push(...d);
  }

  async shutdown(): Promise<void> {
    this.disposed = true;
    await this.queue.catch(() => undefined);
    await this.stopClient();
  }

  dispose(): void {
    for (const d of this.disposables.splice(0)) d.dispose();
  }
}

function describeSource(source: ServerSource): string {
  switch (source) {
    case 'setting':
      return 'gomodDoctor.server.path';
    case 'python':
      return 'the active Python environment';
    case 'path':
      return 'PATH';
    case 'managed':
      return 'the environment this extension installed';
  }
}

function openSettings(query = `${SECTION}.server.path`): Thenable<unknown> {
  return vscode.commands.executeCommand('workbench.action.openSettings', query);
}

/** A file the server publishes diagnostics for. */
function isOurFile(uri: vscode.Uri): boolean {
  return /(^|\/)go\.(mod|sum|work|work\.sum)$/.test(uri.path);
}

function pipeLines(input: NodeJS.ReadableStream, channel: vscode.LogOutputChannel): void {
  let rest = '';
  input.setEncoding('utf8');
  input.on('data', (chunk: string) => {
    const lines = (rest + chunk).split(/\r?\n/);
    rest = lines.pop() ?? '';
    for (const line of lines) if (line) channel[stderrLevel(line)](line);
  });
  input.on('end', () => {
    if (rest) channel[stderrLevel(rest)](rest);
  });
}

/** The installer of the bundled server, wired to VS Code and Node. */
function makeInstaller(context: vscode.ExtensionContext, output: vscode.LogOutputChannel): Installer {
  const paths = managedPaths(context.globalStorageUri.fsPath, process.platform);
  let bundled: ReturnType<typeof findBundledWheel> | undefined;
  return new Installer({
    paths,
    bundled: () => (bundled ??= findBundledWheel(context.extensionPath)),
    autoInstall: readAutoInstallSetting,
    ask: async (message, actions) => vscode.window.showInformationMessage(message, ...actions),
    showError: async (message, actions) => vscode.window.showErrorMessage(message, ...actions),
    openDocs: async () => {
      const readme = vscode.Uri.joinPath(context.extensionUri, 'README.md').with({ fragment: INSTALL_DOCS_FRAGMENT });
      await vscode.commands.executeCommand('markdown.showPreview', readme);
    },
    openSettings: async () => {
      await openSettings(`${SECTION}.server`);
    },
    showOutput: () => output.show(),
    findPython: () =>
      discoverPython({
        pythonExtension: hasPythonExtension()
          ? async () =>
              interpreterOf(
                await withTimeout(activePythonEnvironment(), PYTHON_TIMEOUT_MS, 'the Python extension did not answer'),
                process.platform,
              )
          : undefined,
        setting: readPythonSetting(),
        homeDir: os.homedir(),
        workspaceFolders: (vscode.workspace.workspaceFolders ?? [])
          .filter((f) => f.uri.scheme === 'file')
          .map((f) => f.uri.fsPath),
        trusted: vscode.workspace.isTrusted,
        pathEnv: process.env.PATH ?? process.env.Path,
        pathExt: process.env.PATHEXT,
        platform: process.platform,
        isExecutable: (file) => isExecutableFile(file),
        probe: (cmd) => probePython(cmd),
      }),
    run: (command, args, onLine) => runProcess(command, args, onLine),
    progress: (title, task) =>
      Promise.resolve(
        vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title }, (p) =>
          task((message) => p.report({ message })),
        ),
      ),
    readText: readTextFile,
    writeText: writeTextFile,
    remove: removeTree,
    mkdirs,
    isExecutable: (file) => isExecutableFile(file),
    lock: dirLock(paths.lock),
    sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
    log: {
      info: (s) => output.info(s),
      warn: (s) => output.warn(s),
      error: (s) => output.error(s),
    },
  });
}

let doctor: GomodDoctor | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  const output = vscode.window.createOutputChannel('gomod-doctor', { log: true });
  const statusItem = vscode.window.createStatusBarItem('gomodDoctor.status', vscode.StatusBarAlignment.Right, 100);
  const installer = makeInstaller(context, output);
  const d = new GomodDoctor(output, statusItem, installer, context);
  doctor = d;
  context.subscriptions.push(output, statusItem, d);

  const register = (id: string, fn: () => unknown): void => {
    d.track(vscode.commands.registerCommand(id, fn));
  };
  register(CLIENT_COMMANDS.verifyAll, () => d.serverCommand(SERVER_COMMANDS.verifyAll, {}));
  register(CLIENT_COMMANDS.recheck, () => d.serverCommand(SERVER_COMMANDS.recheck, {}));
  register(CLIENT_COMMANDS.clearCache, () => d.serverCommand(SERVER_COMMANDS.clearCache, {}));
  register(CLIENT_COMMANDS.prune, () => d.serverCommand(SERVER_COMMANDS.prune, d.activeUriArg()));
  register(CLIENT_COMMANDS.disableLocalReplaces, () => d.toggleLocalReplaces('disable'));
  register(CLIENT_COMMANDS.enableLocalReplaces, () => d.toggleLocalReplaces('enable'));
  register(CLIENT_COMMANDS.compareProxies, () => d.compareProxies());
  register(CLIENT_COMMANDS.restartServer, () => d.restart('restart command'));
  register(CLIENT_COMMANDS.showOutput, () => d.showOutput());

  d.track(
    vscode.languages.onDidChangeDiagnostics((e) => d.diagnosticsChanged(e.uris)),
    vscode.workspace.onDidGrantWorkspaceTrust(() => void d.restart('the workspace is now trusted')),
    vscode.workspace.onDidChangeConfiguration((e) => {
      // the server pulls the rest (workspace/configuration) when told of a change
      if (e.affectsConfiguration(`${SECTION}.server.path`)) void d.restart('gomodDoctor.server.path changed');
      else if (e.affectsConfiguration(`${SECTION}.server.autoInstall`) && readAutoInstallSetting()) {
        d.autoInstallTurnedOn();
      }
    }),
  );
  // not awaited: activation does not wait for the Python extension or the server
  void d.restart();
}

export async function deactivate(): Promise<void> {
  const d = doctor;
  doctor = undefined;
  await d?.shutdown();
}
