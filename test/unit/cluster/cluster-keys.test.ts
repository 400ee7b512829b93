import { describe, expect, it } from 'vitest';
import { brokerKey, brokerKeyPattern, controllerEpochKey, controllerKey, escapeGlob } from '../../../src/cluster/cluster-keys.js';

describe('cluster keys', () => {
  it('live under the Redis key prefix', () => {
    expect(brokerKey('strata:', 7)).toBe('strata:cluster:broker:7');
    expect(controllerKey('strata:')).toBe('strata:cluster:controller');
    expect(controllerEpochKey('strata:')).toBe('strata:cluster:controller-epoch');
    expect(brokerKeyPattern('strata:')).toBe('strata:cluster:broker:*');
  });

  it('escape glob characters of the prefix in the SCAN pattern', () => {
    expect(escapeGlob('a*b?c[d]e\\f')).toBe('a\\*b\\?c\\[d\\]e\\\\f');
    expect(brokerKeyPattern('t[1]*:')).toBe('t\\[1\\]\\*:cluster:broker:*');
  });
});
