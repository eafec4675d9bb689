import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { expressPodFor, isDesiredDown } from '../harness/express-simulator.js';
import {
  KWOK_STAGES_FILE,
  SHUTDOWN_DELAY_ANNOTATION,
  STARTUP_DELAY_ANNOTATION,
  formatGoDuration,
  kwokDelayAnnotations,
  parseGoDuration,
} from '../harness/kwok.js';

describe('kwok delays', () => {
  it('parses Go durations', () => {
    expect(parseGoDuration('1s')).toBe(1000);
    expect(parseGoDuration('1.5s')).toBe(1500);
    expect(parseGoDuration('1m30s')).toBe(90_000);
    expect(parseGoDuration('250ms')).toBe(250);
    expect(parseGoDuration('0')).toBe(0);
    expect(parseGoDuration('1h')).toBe(3_600_000);
    expect(parseGoDuration('never')).toBeUndefined();
    expect(parseGoDuration('5')).toBeUndefined();
    expect(parseGoDuration('')).toBeUndefined();
    expect(parseGoDuration('1s ')).toBe(1000);
    expect(parseGoDuration('1x')).toBeUndefined();
  });

  it('formats milliseconds for kwok', () => {
    expect(formatGoDuration(1500)).toBe('1500ms');
    expect(parseGoDuration(formatGoDuration(2000))).toBe(2000);
    expect(() => formatGoDuration(-1)).toThrow();
  });

  it('builds the delay annotations', () => {
    expect(kwokDelayAnnotations({ startup: 2000, shutdown: 'never' })).toEqual({
      [STARTUP_DELAY_ANNOTATION]: '2000ms',
      [SHUTDOWN_DELAY_ANNOTATION]: 'never',
    });
    expect(kwokDelayAnnotations({ startup: '3s' })).toEqual({ [STARTUP_DELAY_ANNOTATION]: '3s' });
    expect(() => kwokDelayAnnotations({ startup: 'soon' })).toThrow();
  });

  it('stage file uses the annotation keys and excludes "never"', () => {
    const docs = parseAllDocuments(readFileSync(KWOK_STAGES_FILE, 'utf8')).map((d) => d.toJS() as Record<string, any>);
    const stages = docs.filter((d) => d?.kind === 'Stage');
    expect(stages.map((s) => s.metadata.name)).toEqual([
      'nodebounce-node-ready',
      'nodebounce-pod-ready',
      'nodebounce-pod-never-ready',
      'nodebounce-pod-delete',
    ]);
    const byName = Object.fromEntries(stages.map((s) => [s.metadata.name, s]));
    const ready = byName['nodebounce-pod-ready'];
    expect(ready.spec.delay.durationFrom.expressionFrom).toContain(STARTUP_DELAY_ANNOTATION);
    expect(ready.spec.selector.matchExpressions).toContainEqual({
      key: `.metadata.annotations["${STARTUP_DELAY_ANNOTATION}"]`,
      operator: 'NotIn',
      values: ['never'],
    });
    const del = byName['nodebounce-pod-delete'];
    expect(del.spec.next.delete).toBe(true);
    expect(del.spec.delay.durationFrom.expressionFrom).toContain(SHUTDOWN_DELAY_ANNOTATION);
    expect(del.spec.selector.matchExpressions).toContainEqual({
      key: `.metadata.annotations["${SHUTDOWN_DELAY_ANNOTATION}"]`,
      operator: 'NotIn',
      values: ['never'],
    });
  });
});

describe('Express simulator pod template', () => {
  const en = {
    apiVersion: 'express.dev/v1alpha1',
    kind: 'ExpressNode',
    metadata: {
      name: 'n1',
      namespace: 'ns',
      uid: 'u1',
      annotations: { [SHUTDOWN_DELAY_ANNOTATION]: '2s', 'other.example/x': 'y' },
    },
    spec: { state: 'up' },
  };

  it('owns the pod, labels it, copies kwok annotations and has probes', () => {
    const pod = expressPodFor(en, 'kwok-node-1');
    expect(pod.metadata?.name).toBe('n1');
    expect(pod.metadata?.labels?.['express.dev/node']).toBe('n1');
    expect(pod.metadata?.annotations).toEqual({ [SHUTDOWN_DELAY_ANNOTATION]: '2s' });
    expect(pod.metadata?.ownerReferences).toEqual([
      {
        apiVersion: 'express.dev/v1alpha1',
        kind: 'ExpressNode',
        name: 'n1',
        uid: 'u1',
        controller: true,
        blockOwnerDeletion: true,
      },
    ]);
    expect(pod.spec?.nodeName).toBe('kwok-node-1');
    expect(pod.spec?.containers[0]?.startupProbe?.periodSeconds).toBe(2);
    expect(pod.spec?.containers[0]?.readinessProbe?.periodSeconds).toBe(3);
  });

  it('supports label-only mapping and generated names', () => {
    const pod = expressPodFor(
      {
        ...en,
        metadata: {
          ...en.metadata,
          annotations: { 'sim.express.dev/mapping': 'label', 'sim.express.dev/pod-naming': 'generate' },
        },
      },
      'kwok-node-0',
    );
    expect(pod.metadata?.ownerReferences).toBeUndefined();
    expect(pod.metadata?.name).toBeUndefined();
    expect(pod.metadata?.generateName).toBe('n1-');
  });

  it('treats down/stopped (any case) as desired down and anything else as up', () => {
    expect(isDesiredDown('down')).toBe(true);
    expect(isDesiredDown('Stopped')).toBe(true);
    expect(isDesiredDown('up')).toBe(false);
    expect(isDesiredDown(undefined)).toBe(false);
    expect(isDesiredDown(42)).toBe(false);
    expect(isDesiredDown('sideways')).toBe(false);
  });
});

describe('express simulator errors', () => {
  it('an API error is one readable line, not the multi-line HTTP dump', async () => {
    const { oneLineError } = await import('../harness/express-simulator.js');
    const apiError = Object.assign(
      new Error(
        'HTTP-Code: 403\nMessage: Unknown API Status Code!\nBody: {"kind":"Status"}\nHeaders: {"audit-id":"x"}',
      ),
      {
        code: 403,
        body: '{"kind":"Status","message":"pods \\"a\\" is forbidden: error looking up service account ns/default"}',
      },
    );
    expect(oneLineError(apiError)).toBe('HTTP 403: pods "a" is forbidden: error looking up service account ns/default');
    expect(oneLineError(new Error('socket hang up\nmore'))).toBe('socket hang up');
  });
});
