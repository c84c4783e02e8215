// The part of autocannon's API bench/http.ts uses (the package ships no types).
declare module 'autocannon' {
  import type { EventEmitter } from 'node:events';

  interface Options {
    url: string;
    method?: string;
    body?: string;
    headers?: Record<string, string>;
    connections?: number;
    duration?: number;
  }

  interface Stats {
    average: number;
  }

  interface Result {
    requests: Stats;
    latency: Stats;
    non2xx: number;
    errors: number;
  }

  type Instance = EventEmitter & PromiseLike<Result>;

  function autocannon(opts: Options): Instance;
  export default autocannon;
}
