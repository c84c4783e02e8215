// Which rule reader a PUT or validate body goes to, by its Content-Type (SPEC §8).

import type { RuleFormat } from '../engine/engine.js';
import { isJsonMediaType, mediaType } from './body.js';
import { UnsupportedMediaType } from './problem.js';

const BY_TYPE: Record<string, RuleFormat> = {
  'application/yaml': 'yaml',
  'application/x-yaml': 'yaml',
  'text/yaml': 'yaml',
  'text/x-yaml': 'yaml',
  'text/markdown': 'mdc',
  'text/x-markdown': 'mdc',
  'text/mdc': 'mdc',
  'text/x-mdc': 'mdc',
};

/** @example ruleFormat(new Headers({ 'content-type': 'text/markdown' })) // 'mdc' */
export function ruleFormat(headers: Headers): RuleFormat {
  const type = mediaType(headers);
  if (isJsonMediaType(type)) return 'json';
  const format = type === undefined ? undefined : BY_TYPE[type];
  if (format === undefined) {
    throw new UnsupportedMediaType(
      `rules are sent as application/json, application/yaml or text/markdown (MDC)${type === undefined ? '' : `, not \`${type}\``}`,
    );
  }
  return format;
}
