// The lifecycle table (src/bounce/lifecycle.ts) against what decide() and applyOutcome() really do: scenarios
// drive them through every path, and the transitions they report must be exactly the declared ones, no more
// (an undeclared path) and no fewer (a declared path the code no longer takes).
import { describe, expect, it } from 'vitest';
import {
  ACCEPTED_UID_ANNOTATION,
  Reasons as R,
  type NodeBounce,
  type NodeBounceSpec,
} from '../../src/api/nodebounce.js';
import { REASONS, TRANSITIONS, declaredTransitions, isDeclared, type Transition } from '../../src/bounce/lifecycle.js';
import { defaultDecideOptions, type ActionOutcome, type DecideOptions } from '../../src/bounce/types.js';
import { parseLabelSelector } from '../../src/config/label-selector.js';
import {
  NEW_UID,
  acceptedStatus,
  at,
  entry,
  found,
  iso,
  makeNodeBounce,
  makeObserved,
  makePod,
  step,
  type ObservedOpts,
  type Runner,
} from './fixtures.js';

interface Step {
  obs?: ObservedOpts;
  /** Seconds after T0. */
  t: number;
  run?: Runner;
  options?: DecideOptions;
}

const key = (t: Transition) => `${t.from} -> ${t.to} (${t.reason})`;

/** Reconciles once per step; returns the NodeBounce and every transition on the way, in order. */
function drive(nb: NodeBounce, steps: Step[]): { nb: NodeBounce; transitions: Transition[] } {
  const transitions: Transition[] = [];
  for (const s of steps) {
    const r = step(nb, makeObserved(s.obs), at(s.t), s.run, s.options);
    nb = r.nb;
    transitions.push(...r.transitions);
  }
  return { nb, transitions };
}

const refuse =
  (code: number, message: string): Runner =>
  (a) =>
    a.type === 'EvictPod' ? ({ ok: false, code, message } satisfies ActionOutcome) : { ok: true };
/** What the Eviction API answers when a PodDisruptionBudget allows no disruption (a 429 with this cause). */
const pdbRefusal: Runner = (a) =>
  a.type === 'EvictPod'
    ? ({
        ok: false,
        code: 429,
        message: "Cannot evict pod as it would violate the pod's disruption budget.",
        causes: [
          { reason: 'DisruptionBudget', message: 'The disruption budget pdb needs 1 healthy pods and has 1 currently' },
        ],
      } satisfies ActionOutcome)
    : { ok: true };
const restoreRefused: Runner = (a) =>
  a.type === 'SetShutdownProtection' && a.enabled
    ? ({ ok: false, code: 403, message: 'denied by policy' } satisfies ActionOutcome)
    : { ok: true };
const gone = { pod: null } satisfies ObservedOpts;
const replacement = (ready: boolean) => ({ pod: makePod({ uid: NEW_UID, ready, creationTimestamp: iso(5) }) });
const protectedNode = { express: found({ shutdownProtection: true }) };

/**
 * A bounce driven to the given phase: Pending is the Accepted status an earlier operator version wrote on its own
 * (a new request now starts in its first pass); evicted at t=0, old pod gone at t=2.
 */
function reach(phase: 'Pending' | 'Terminating' | 'Starting', spec: Partial<NodeBounceSpec> = {}): NodeBounce {
  if (phase === 'Pending') return makeNodeBounce({ spec, status: acceptedStatus(0) });
  const steps: Step[] = [{ t: 0 }, { t: 2, obs: gone }];
  return drive(makeNodeBounce({ spec }), steps.slice(0, { Terminating: 1, Starting: 2 }[phase])).nb;
}

const watchedOnly = (text: string): DecideOptions => ({
  ...defaultDecideOptions,
  podSelector: parseLabelSelector(text),
});

const others = [entry({ name: 'older', creationTimestamp: iso(-3600), phase: 'Terminating' })];
const preflightFailures = [
  [R.PodNotFound, gone],
  [R.ExpressResourceNotFound, { express: { kind: 'Unmapped', message: 'no owner' } }],
  [R.ExpressResourceNotFound, { express: { kind: 'NotFound', name: 'node-a' } }],
  [R.ExpressResourceInvalid, { express: { kind: 'Invalid', name: 'node-a', problems: ['spec.state: number'] } }],
  [R.IntentionallyDown, { express: found({ desiredState: 'down', intentionallyDown: true }) }],
  [R.NodeRebuilding, { express: found({ runtimeState: 'rebuilding', rebuilding: true }) }],
] as const;

/** Each scenario returns the transitions it made and the ones it must make, in order. */
const SCENARIOS: Array<[string, () => { transitions: Transition[]; expected: string[] }]> = [
  [
    'a bounce with shutdown protection: the whole happy path',
    () => ({
      transitions: drive(makeNodeBounce(), [
        { t: 0, obs: protectedNode },
        { t: 1, obs: protectedNode },
        { t: 2, obs: { express: found({ shutdownProtection: false }) } },
        { t: 3, obs: gone },
        { t: 9, obs: replacement(true) },
        { t: 10, obs: replacement(true) },
      ]).transitions,
      expected: [
        'New -> Pending (Accepted)',
        'Pending -> Pending (DisablingShutdownProtection)',
        'Pending -> Terminating (Evicting)',
        'Terminating -> Terminating (WaitingForTermination)',
        'Terminating -> Starting (WaitingForReady)',
        'Starting -> Starting (RestoringShutdownProtection)',
        'Starting -> Succeeded (PodRestarted)',
      ],
    }),
  ],
  [
    'waits for an older bounce of the same pod',
    () => ({
      transitions: drive(makeNodeBounce(), [{ t: 0, obs: { others } }]).transitions,
      expected: ['New -> Pending (Accepted)', 'Pending -> Pending (WaitingForOtherBounce)'],
    }),
  ],
  [
    "waits for a RollingBounce's disruption budget, then starts once it allows",
    () => ({
      transitions: drive(makeNodeBounce(), [
        { t: 0, obs: { disruptionBudget: { ok: false, message: 'b is down' } } },
        { t: 3, obs: { disruptionBudget: { ok: true } } },
      ]).transitions,
      expected: [
        'New -> Pending (Accepted)',
        'Pending -> Pending (WaitingForDisruptionBudget)',
        'Pending -> Terminating (Evicting)',
        'Terminating -> Terminating (WaitingForTermination)',
      ],
    }),
  ],
  [
    'the pod is already terminating at preflight: waited for, never evicted',
    () => ({
      transitions: drive(makeNodeBounce(), [
        { t: 0, obs: { pod: makePod({ deleting: true }) } },
        { t: 2, obs: gone },
      ]).transitions,
      expected: [
        'New -> Pending (Accepted)',
        'Pending -> Terminating (AlreadyTerminating)',
        'Terminating -> Starting (WaitingForReady)',
      ],
    }),
  ],
  [
    'dry run',
    () => ({
      transitions: drive(makeNodeBounce({ spec: { dryRun: true } }), [{ t: 0 }, { t: 1 }]).transitions,
      expected: ['New -> Pending (Accepted)', 'Pending -> Succeeded (DryRunPassed)'],
    }),
  ],
  [
    "preflight failure PodNotWatched: the pod does not match the operator's podLabelSelector",
    () => ({
      transitions: drive(makeNodeBounce(), [{ t: 0, options: watchedOnly('tier=express') }]).transitions,
      expected: ['New -> Pending (Accepted)', 'Pending -> Failed (PodNotWatched)'],
    }),
  ],
  ...preflightFailures.map(([reason, obs], i): (typeof SCENARIOS)[number] => [
    `preflight failure ${reason} (${i})`,
    () => ({
      transitions: drive(makeNodeBounce(), [{ t: 0, obs: obs as ObservedOpts }]).transitions,
      expected: ['New -> Pending (Accepted)', `Pending -> Failed (${reason})`],
    }),
  ]),
  [
    'a PDB refuses, a retry fails otherwise, then the termination deadline passes',
    () => ({
      transitions: drive(makeNodeBounce({ spec: { terminationTimeoutSeconds: 60 } }), [
        { t: 0, run: pdbRefusal },
        { t: 2, run: refuse(500, 'etcd timeout') },
        { t: 61 },
      ]).transitions,
      expected: [
        'New -> Pending (Accepted)',
        'Pending -> Terminating (Evicting)',
        'Terminating -> Terminating (BlockedByPDB)',
        'Terminating -> Terminating (Evicting)',
        'Terminating -> Failed (TerminationTimeout)',
      ],
    }),
  ],
  [
    'the API server throttles the eviction (429 without a DisruptionBudget cause)',
    () => ({
      transitions: drive(makeNodeBounce(), [{ t: 0, run: refuse(429, 'too many requests') }]).transitions,
      expected: [
        'New -> Pending (Accepted)',
        'Pending -> Terminating (Evicting)',
        'Terminating -> Terminating (EvictionThrottled)',
      ],
    }),
  ],
  [
    'a hand-edited status (Starting without terminatedTime) ends InvalidStatus',
    () => {
      const nb = reach('Starting');
      delete nb.status!.terminatedTime;
      return {
        transitions: drive(nb, [{ t: 5, obs: replacement(false) }]).transitions,
        expected: ['Starting -> Failed (InvalidStatus)'],
      };
    },
  ],
  [
    'a hand-edited Terminating status without podUID ends InvalidStatus',
    () => {
      const nb = reach('Terminating');
      delete nb.status!.podUID;
      return { transitions: drive(nb, [{ t: 5 }]).transitions, expected: ['Terminating -> Failed (InvalidStatus)'] };
    },
  ],
  [
    'a hand-edited Pending status with a garbled timestamp ends InvalidStatus',
    () => {
      const nb = reach('Pending');
      nb.status!.startTime = 'yesterday';
      return { transitions: drive(nb, [{ t: 5 }]).transitions, expected: ['Pending -> Failed (InvalidStatus)'] };
    },
  ],
  [
    'a hand-edited status with a phase that is not one ends InvalidStatus, read as from (new)',
    () => {
      const nb = reach('Pending');
      (nb.status as { phase: string }).phase = 'Frobnicating';
      return { transitions: drive(nb, [{ t: 5 }]).transitions, expected: ['New -> Failed (InvalidStatus)'] };
    },
  ],
  [
    'restored from a backup without its status (the acceptance marker names another UID) ends StatusLost',
    () => {
      const nb = makeNodeBounce({ meta: { annotations: { [ACCEPTED_UID_ANNOTATION]: 'uid-before-restore' } } });
      return { transitions: drive(nb, [{ t: 0 }]).transitions, expected: ['New -> Failed (StatusLost)'] };
    },
  ],
  [
    'restoring shutdown protection keeps failing past its time limit',
    () => ({
      transitions: drive(makeNodeBounce(), [
        { t: 0, obs: protectedNode },
        { t: 1, obs: protectedNode },
        { t: 2, obs: { express: found({ shutdownProtection: false }) } },
        { t: 3, obs: gone },
        { t: 9, obs: replacement(true), run: restoreRefused },
        { t: 1000, obs: replacement(true), run: restoreRefused },
        { t: 1001, obs: replacement(true) },
      ]).transitions,
      expected: [
        'New -> Pending (Accepted)',
        'Pending -> Pending (DisablingShutdownProtection)',
        'Pending -> Terminating (Evicting)',
        'Terminating -> Terminating (WaitingForTermination)',
        'Terminating -> Starting (WaitingForReady)',
        'Starting -> Starting (RestoringShutdownProtection)',
        'Starting -> Failed (ShutdownProtectionNotRestored)',
      ],
    }),
  ],
  [
    'no Ready replacement by the ready deadline',
    () => ({
      transitions: drive(reach('Starting', { readyTimeoutSeconds: 30 }), [
        { t: 10, obs: replacement(false) },
        { t: 32, obs: replacement(false) },
      ]).transitions,
      expected: ['Starting -> Failed (ReadyTimeout)'],
    }),
  ],
  ...(['Pending', 'Terminating', 'Starting'] as const).map((phase): (typeof SCENARIOS)[number] => [
    `an invalid spec found while ${phase}`,
    () => {
      const nb = reach(phase);
      // What the CRD schema can't reject: a grace period as long as the termination timeout.
      nb.spec = { ...nb.spec, gracePeriodSeconds: 600, terminationTimeoutSeconds: 600 };
      return {
        transitions: drive(nb, [{ t: 5, obs: gone }]).transitions,
        expected: [`${phase} -> Failed (InvalidSpec)`],
      };
    },
  ]),
];

describe('scenarios through decide() and applyOutcome()', () => {
  it.each(SCENARIOS)('%s', (_name, scenario) => {
    const { transitions, expected } = scenario();
    expect(transitions.map(key)).toEqual(expected);
  });
});

describe('the lifecycle table', () => {
  it('declares every transition the scenarios produced, and the scenarios produce every declared one', () => {
    const produced = new Map<string, Transition>();
    for (const [, scenario] of SCENARIOS) for (const t of scenario().transitions) produced.set(key(t), t);
    const undeclared = [...produced.values()].filter((t) => !isDeclared(t)).map(key);
    expect(undeclared, 'produced by decide()/applyOutcome() but missing from TRANSITIONS').toEqual([]);
    const unproduced = declaredTransitions()
      .map(key)
      .filter((k) => !produced.has(k));
    expect(unproduced, 'declared in TRANSITIONS but produced by no scenario: add one, or drop the row').toEqual([]);
  });

  it("puts each transition's reasons in its target phase, and every status reason in some transition", () => {
    for (const rule of TRANSITIONS)
      for (const r of rule.reasons)
        expect(REASONS[r].phase, `${r} in ${rule.from.join(',')} -> ${rule.to}`).toBe(rule.to);
    const used = new Set(TRANSITIONS.flatMap((t) => t.reasons));
    expect(Object.keys(REASONS).filter((r) => !used.has(r as keyof typeof REASONS))).toEqual([]);
  });

  it('covers every reason of the API except the condition-only PreflightPassed', () => {
    const api = Object.values(R).filter((r) => r !== R.PreflightPassed);
    expect(Object.keys(REASONS).sort()).toEqual(api.sort());
  });

  it('says what to do about every failure', () => {
    for (const [reason, info] of Object.entries(REASONS))
      if (info.phase === 'Failed') expect(info.action, reason).not.toBe('');
  });
});
