// Thread: vitest test worker. Calls a test broker's console JSON API (/console/api/...) with
// plain fetch: status, parsed JSON body and headers.
export interface ConsoleAnswer<T = any> {
  status: number;
  body: T;
  headers: Headers;
}

export async function consoleApi<T = any>(port: number, path: string, init: { method?: string; body?: unknown; rawBody?: string; contentType?: string } = {}): Promise<ConsoleAnswer<T>> {
  const headers: Record<string, string> = {};
  if (init.body !== undefined || init.rawBody !== undefined) headers['content-type'] = init.contentType ?? 'application/json';
  const res = await fetch(`http://127.0.0.1:${port}/console/api${path}`, {
    method: init.method ?? 'GET',
    headers,
    body: init.rawBody ?? (init.body !== undefined ? JSON.stringify(init.body) : undefined),
    signal: AbortSignal.timeout(30_000),
  });
  const text = await res.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new Error(`console API ${path} answered ${res.status} with non-JSON: ${text.slice(0, 300)}`);
  }
  return { status: res.status, body: body as T, headers: res.headers };
}
