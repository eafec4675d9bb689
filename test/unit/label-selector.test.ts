import { describe, expect, it } from 'vitest';
import { labelSelectorProblems, parseLabelSelector, selectorMatches } from '../../src/config/label-selector.js';
import { ACCEPTED_SELECTORS, MATCHING_CASES, REFUSED_SELECTORS, SELECTOR_PODS } from './label-selector-cases.js';

// test/integration/config-label-selector.test.ts asks the real API server about the same cases.
describe('labelSelectorProblems', () => {
  it.each(ACCEPTED_SELECTORS)('accepts %j', (selector) => {
    expect(labelSelectorProblems(selector)).toEqual([]);
  });

  it.each(REFUSED_SELECTORS)('refuses %j', (selector, message) => {
    const problems = labelSelectorProblems(selector);
    expect(problems.length).toBeGreaterThan(0);
    expect(problems.join('\n')).toMatch(message);
  });

  it('names every bad requirement, not only the first', () => {
    expect(labelSelectorProblems('app=-x,ok=1,tier in (a b)')).toHaveLength(2);
  });
});

describe('selectorMatches', () => {
  it.each(MATCHING_CASES)('%j selects %j', (selector, expected) => {
    const { requirements, problems } = parseLabelSelector(selector);
    expect(problems).toEqual([]);
    const selected = Object.entries(SELECTOR_PODS)
      .filter(([, labels]) => selectorMatches(requirements, labels))
      .map(([name]) => name)
      .sort();
    expect(selected).toEqual(expected);
  });

  it('a pod without labels matches only selectors of absent keys', () => {
    expect(selectorMatches(parseLabelSelector('!a,b!=x,c notin (y)').requirements, undefined)).toBe(true);
    expect(selectorMatches(parseLabelSelector('a').requirements, undefined)).toBe(false);
  });
});
