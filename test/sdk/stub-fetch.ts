// A scripted `fetch` for unit tests of the client: each call takes the next scripted answer and
// is recorded, so tests can assert exactly how many attempts were made and what they carried.

export type Scripted =
  | { status: number; body?: unknown; headers?: Record<string, string> }
  | { hang: true }
  | { networkError: string };

export interface RecordedCall {
  url: string;
  method: string;
  headers: Headers;
  body: string | undefined;
  redirect: RequestRedirect | undefined;
}

export function stubFetch(script: Scripted[]): { fetch: (u: string, init: RequestInit) => Promise<Response>; calls: RecordedCall[] } {
  const calls: RecordedCall[] = [];
  let next = 0;
  const fetch = (url: string, init: RequestInit): Promise<Response> => {
    calls.push({ url, method: init.method ?? 'GET', headers: new Headers(init.headers), body: init.body as string | undefined, redirect: init.redirect });
    const step = script[Math.min(next++, script.length - 1)];
    if ('hang' in step) {
      return new Promise((_, reject) => {
        init.signal?.addEventListener('abort', () => reject(new DOMException('aborted', 'AbortError')));
      });
    }
    if ('networkError' in step) return Promise.reject(new TypeError(step.networkError));
    const isText = typeof step.body === 'string';
    const contentType = step.status >= 400 ? 'application/problem+json' : 'application/json';
    return Promise.resolve(
      new Response(step.body === undefined ? null : isText ? (step.body as string) : JSON.stringify(step.body), {
        status: step.status,
        headers: { 'content-type': isText ? 'text/plain' : contentType, ...step.headers },
      }),
    );
  };
  return { fetch, calls };
}
