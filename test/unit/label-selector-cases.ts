// Selectors the API server accepts, and ones it answers 400 to (apimachinery labels.Parse), with the message our
// check gives. Shared by the unit test and the integration test that asks the real API server about each one.
export const ACCEPTED_SELECTORS = [
  'express.dev/node',
  '!express.dev/node',
  'app=express',
  'app == express',
  'app!=express',
  'app=',
  'app in (express, express-canary)',
  'tier notin (cache)',
  'app in(express)',
  'replicas>2',
  'replicas < 10',
  'app=express,tier notin (cache),!legacy',
  'example.com/a_b.c-d=Va_l.u-e1',
  // The API server reads `()` as the set of the empty value.
  'app in ()',
];

export const REFUSED_SELECTORS: [string, RegExp][] = [
  ['app in (a', /unbalanced parentheses/],
  ['app in (a))', /unbalanced parentheses/],
  ['app=express,,tier=x', /empty requirement/],
  ['app=express,', /empty requirement/],
  ['app express', /expected key/],
  ['-app=x', /key name "-app"/],
  ['Example.COM/app=x', /key prefix "Example.COM"/],
  ['app=x y', /value "x y"/],
  ['app=-x', /value "-x"/],
  [`app=${'v'.repeat(64)}`, /value "v{64}"/],
  [`${'k'.repeat(64)}`, /key name/],
  ['replicas>two', /> needs an integer value/],
  ['!app=x', /key name "app=x"/],
  ['app in (a,b c)', /value "b c"/],
];

/** Pods (by labels) that the matching cases select from; the integration test creates them for real. */
export const SELECTOR_PODS: Record<string, Record<string, string>> = {
  'express-a': { app: 'express', tier: 'db', replicas: '3' },
  'express-b': { app: 'express', tier: 'cache', 'express.dev/node': 'b' },
  canary: { app: 'express-canary', 'express.dev/node': 'c', replicas: 'x' },
  legacy: { app: 'express', legacy: 'true', replicas: '12' },
  other: { app: 'other' },
  bare: {},
};

/** Selector → the SELECTOR_PODS it selects, as the API server answers. */
export const MATCHING_CASES: Array<[string, string[]]> = [
  ['express.dev/node', ['canary', 'express-b']],
  ['!express.dev/node', ['bare', 'express-a', 'legacy', 'other']],
  ['app=express', ['express-a', 'express-b', 'legacy']],
  ['app!=express', ['bare', 'canary', 'other']],
  ['app in (express, express-canary)', ['canary', 'express-a', 'express-b', 'legacy']],
  ['tier notin (cache)', ['bare', 'canary', 'express-a', 'legacy', 'other']],
  ['replicas>2', ['express-a', 'legacy']],
  ['replicas<10', ['express-a']],
  ['app=express,tier notin (cache),!legacy', ['express-a']],
  ['app=', []],
  ['app in ()', []],
  ['tier notin ()', ['bare', 'canary', 'express-a', 'express-b', 'legacy', 'other']],
];
