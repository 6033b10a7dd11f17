// The version handshake: the server reports its version in `serverInfo` (the
// initialize result); the extension warns once when its major.minor differs from
// the extension's own (the settings, commands and findings the two know of may
// then differ).

/** `major.minor` of a version ("0.1.0" -> "0.1"), or undefined when it has none. */
export function majorMinor(version: string | undefined): string | undefined {
  const m = /^v?(\d+)\.(\d+)/.exec((version ?? '').trim());
  return m ? `${Number(m[1])}.${Number(m[2])}` : undefined;
}

export interface ServerInfo {
  name: string;
  version?: string | undefined;
}

/**
 * The warning to show for this server, or undefined when the versions agree.
 * `key` identifies the pair, to warn once for it.
 */
export function versionMismatch(
  extensionVersion: string,
  serverInfo: ServerInfo | undefined,
  serverPath: string,
): { key: string; message: string } | undefined {
  const ours = majorMinor(extensionVersion);
  const theirs = majorMinor(serverInfo?.version);
  if (ours !== undefined && ours === theirs) return undefined;
  const shown = serverInfo?.version ? `version ${serverInfo.version}` : 'no version';
  return {
    key: `${extensionVersion}|${serverInfo?.version ?? ''}|${serverPath}`,
    message:
      `gomod-doctor: the language server ${serverPath} reports ${shown}; this extension is ${extensionVersion}. ` +
      `Some settings, commands or fixes may not work: use gomod-doctor ${ours ?? extensionVersion}.x ` +
      '(e.g. `pipx upgrade gomod-doctor`).',
  };
}
