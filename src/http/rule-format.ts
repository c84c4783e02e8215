// Which rule reader a PUT or validate body goes to, by its Content-Type (SPEC §8).

import type { RuleFormat } from '../engine/engine.js';
import { isJsonMediaType, mediaType } from './body.js';
import { UnsupportedMediaType } from './problem.js';

/** The media types a rule body may be sent as besides JSON's (/openapi.json lists them too). */
export const RULE_MEDIA_TYPES: Readonly<Record<string, Exclude<RuleFormat, 'json'>>> = {
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
  const format = type === undefined ? undefined : RULE_MEDIA_TYPES[type];
  if (format === undefined) {
    throw new UnsupportedMediaType(
      `rules are sent as application/json, application/yaml or text/markdown (MDC)${type === undefined ? '' : `, not \`${type}\``}`,
    );
  }
  return format;
}
