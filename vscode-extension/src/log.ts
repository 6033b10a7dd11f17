// The log level of a line the server writes on stderr (Python logging or a traceback).

export type LogLevel = 'error' | 'warn' | 'info' | 'debug';

export function stderrLevel(line: string): LogLevel {
  if (/\b(ERROR|CRITICAL|FATAL)\b|^Traceback \(most recent call last\)|^\w*(Error|Exception)\b/.test(line)) {
    return 'error';
  }
  if (/\bWARN(ING)?\b/.test(line)) return 'warn';
  if (/\bDEBUG\b/.test(line)) return 'debug';
  return 'info';
}
