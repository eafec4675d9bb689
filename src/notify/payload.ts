// Message bodies: a Slack-compatible incoming-webhook message and a generic JSON document. Pure.
import type { Notification, NotificationKind } from './classify.js';

export type PayloadFormat = 'slack' | 'json';

export interface PayloadOptions {
  clusterName?: string;
}

const TITLES: Record<NotificationKind, { emoji: string; title: (n: Notification) => string }> = {
  BounceStarted: { emoji: ':arrows_counterclockwise:', title: () => 'Bounce started' },
  BounceWarning: { emoji: ':warning:', title: (n) => `Bounce needs attention: ${n.reason}` },
  BounceSucceeded: { emoji: ':white_check_mark:', title: (n) => (n.dryRun ? 'Dry run passed' : 'Bounce succeeded') },
  BounceFailed: { emoji: ':x:', title: (n) => `Bounce failed: ${n.reason}` },
  RolloutStarted: { emoji: ':arrows_counterclockwise:', title: () => 'Rolling bounce started' },
  RolloutPaused: { emoji: ':double_vertical_bar:', title: () => 'Rolling bounce paused' },
  RolloutSucceeded: {
    emoji: ':white_check_mark:',
    title: (n) => (n.dryRun ? 'Rolling bounce planned (dry run)' : 'Rolling bounce succeeded'),
  },
  RolloutFailed: { emoji: ':x:', title: (n) => `Rolling bounce failed: ${n.reason}` },
};

/** What a notification is about, for humans. */
function subject(n: Notification): string {
  return n.rollout
    ? `RollingBounce ${n.namespace}/${n.name} (${n.rollout.progress} members)`
    : `pod ${n.namespace}/${n.podName} (NodeBounce ${n.name})`;
}

/** Slack mrkdwn needs &, < and > escaped in text we did not write. */
export function escapeSlack(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function cut(s: string, max: number): string {
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}

export function formatDuration(seconds: number): string {
  if (seconds < 60) return `${seconds}s`;
  const m = Math.floor(seconds / 60);
  const s = Math.round(seconds - m * 60);
  return s ? `${m}m${s}s` : `${m}m`;
}

/** One line for humans, used as Slack's fallback text (notifications, screen readers). */
export function summary(n: Notification, opts: PayloadOptions = {}): string {
  const where = opts.clusterName ? `[${opts.clusterName}] ` : '';
  const took = n.durationSeconds !== undefined ? ` in ${formatDuration(n.durationSeconds)}` : '';
  return `${where}${TITLES[n.kind].title(n)}${took}: ${subject(n)}. ${n.message}`;
}

/**
 * Slack incoming webhook: `text` (the fallback) plus Block Kit blocks. Limits respected: a section's text
 * at most 3000 characters, a field at most 2000, at most 10 fields.
 */
export function slackPayload(n: Notification, opts: PayloadOptions = {}): Record<string, unknown> {
  const t = TITLES[n.kind];
  const took = n.durationSeconds !== undefined ? ` in ${formatDuration(n.durationSeconds)}` : '';
  const field = (label: string, value: string) => ({
    type: 'mrkdwn',
    text: cut(`*${label}*\n${escapeSlack(value)}`, 2000),
  });
  const fields = [
    ...(n.rollout
      ? [
          field('RollingBounce', `${n.namespace}/${n.name}`),
          field('Progress', n.rollout.progress),
          field('Phase', `${n.rollout.rolloutPhase} (${n.reason})`),
        ]
      : [
          field('Pod', `${n.namespace}/${n.podName}`),
          field('NodeBounce', n.name),
          field('Phase', `${n.phase ?? '-'} (${n.reason})`),
        ]),
    ...(n.durationSeconds !== undefined ? [field('Duration', formatDuration(n.durationSeconds))] : []),
    ...(n.requestedReason ? [field('Requested because', n.requestedReason)] : []),
    ...(n.expressResourceName ? [field('Express node', n.expressResourceName)] : []),
    ...(opts.clusterName ? [field('Cluster', opts.clusterName)] : []),
    ...(n.force || n.dryRun || n.mode !== 'Evict'
      ? [
          field(
            'Options',
            [n.mode !== 'Evict' ? `mode ${n.mode}` : '', n.force ? 'force' : '', n.dryRun ? 'dry run' : '']
              .filter(Boolean)
              .join(', '),
          ),
        ]
      : []),
  ].slice(0, 10);
  return {
    text: cut(escapeSlack(summary(n, opts)), 3000),
    blocks: [
      {
        type: 'section',
        text: {
          type: 'mrkdwn',
          text: cut(
            `${t.emoji} *${escapeSlack(t.title(n))}*${took}: ${n.rollout ? 'RollingBounce' : 'pod'} \`${escapeSlack(`${n.namespace}/${n.rollout ? n.name : n.podName}`)}\``,
            3000,
          ),
        },
      },
      { type: 'section', fields },
      ...(n.message ? [{ type: 'section', text: { type: 'mrkdwn', text: cut(escapeSlack(n.message), 3000) } }] : []),
      {
        type: 'context',
        elements: [
          {
            type: 'mrkdwn',
            text: cut(escapeSlack(`nodebounce-operator · ${n.kind} · uid ${n.uid} · ${n.time}`), 3000),
          },
        ],
      },
    ],
  };
}

/** The generic JSON document. `id` is stable per bounce and transition, so a receiver can deduplicate. */
export function jsonPayload(n: Notification, opts: PayloadOptions = {}): Record<string, unknown> {
  return {
    schemaVersion: 1,
    id: n.key,
    type: n.kind,
    time: n.time,
    ...(opts.clusterName ? { cluster: opts.clusterName } : {}),
    ...(n.rollout
      ? { rollingBounce: { namespace: n.namespace, name: n.name, uid: n.uid, progress: n.rollout.progress } }
      : {
          nodeBounce: { namespace: n.namespace, name: n.name, uid: n.uid },
          pod: { namespace: n.namespace, name: n.podName },
        }),
    phase: n.rollout ? n.rollout.rolloutPhase : (n.phase ?? null),
    reason: n.reason,
    message: n.message,
    durationSeconds: n.durationSeconds ?? null,
    expressResourceName: n.expressResourceName ?? null,
    request: { reason: n.requestedReason ?? null, mode: n.mode, force: n.force, dryRun: n.dryRun },
    summary: summary(n, opts),
  };
}

export function payload(n: Notification, format: PayloadFormat, opts: PayloadOptions = {}): Record<string, unknown> {
  return format === 'slack' ? slackPayload(n, opts) : jsonPayload(n, opts);
}
