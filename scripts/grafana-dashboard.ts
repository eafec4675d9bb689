// The Grafana dashboard of nodebounce-operator (issue 14), as code: `npm run dashboard` writes it to
// deploy/grafana/nodebounce-operator.json and to the two copies the installers need (Helm can only read files
// inside the chart, kustomize only files under the component). Tests check the files equal this output.
//
// Grafana JSON model, schemaVersion 39 (Grafana 10.3+; newer Grafana migrates it on load). Every query selects
// one operator with {namespace="$namespace", job="$job"}: the controller_runtime_*, workqueue_* and
// leader_election_* names are shared with every controller-runtime operator in the cluster.

// Types only (no runtime import): the dashboard is checked against Grafana's own schema types by `npm run typecheck`.
import type {
  Dashboard,
  FieldColorModeId,
  FieldConfig,
  Panel,
  RowPanel,
  ThresholdsConfig,
  ThresholdsMode,
  VariableModel,
} from '@grafana/schema';

export const DASHBOARD_FILES = [
  'deploy/grafana/nodebounce-operator.json',
  'deploy/helm/nodebounce-operator/dashboards/nodebounce-operator.json',
  'deploy/components/grafana-dashboard/nodebounce-operator.json',
] as const;

export const DASHBOARD_UID = 'nodebounce-operator';

const DS = { type: 'prometheus', uid: '${datasource}' } as const;
/** The label matchers every selector carries. */
const SEL = 'namespace="$namespace", job="$job"';
const CONTROLLER = 'controller="nodebounce"';

interface Target {
  expr: string;
  legend: string;
  /** Instant query (stat and table panels). */
  instant?: boolean;
}

type PanelKind = 'timeseries' | 'stat' | 'bargauge';

interface PanelSpec {
  kind: PanelKind;
  title: string;
  description: string;
  targets: Target[];
  unit?: string;
  w: number;
  h?: number;
  /** stat: value at or above which the panel turns red (orange below, when `warn` is set too). */
  red?: number;
  warn?: number;
  /** timeseries: stack the series (counts that add up). */
  stack?: boolean;
  /** timeseries: draw as bars / steps rather than lines. */
  style?: 'bars' | 'steps';
  decimals?: number;
  min?: number;
  max?: number;
}

interface RowSpec {
  title: string;
  /** What the row answers (README, and the row's first panel description). */
  answers: string;
  panels: PanelSpec[];
}

const q = (expr: string, legend: string, instant?: boolean): Target => ({
  expr,
  legend,
  ...(instant ? { instant } : {}),
});
const quantiles = (metric: string, by: string, extra = '', legendPrefix = '') =>
  (
    [
      ['0.5', 'p50'],
      ['0.9', 'p90'],
      ['0.99', 'p99'],
    ] as const
  ).map(([v, name]) =>
    q(
      `histogram_quantile(${v}, sum by (le${by ? `, ${by}` : ''}) (rate(${metric}_bucket{${SEL}${extra}}[$__rate_interval])))`,
      `${name}${legendPrefix}${by ? ` {{${by}}}` : ''}`,
    ),
  );

export const ROWS: RowSpec[] = [
  {
    title: 'Bounces',
    answers: 'How many bounces finished, how many failed and why (nodebounce_bounces_total by result and reason).',
    panels: [
      {
        kind: 'stat',
        title: 'Succeeded',
        description: 'Bounces that ended Succeeded in the selected time range.',
        targets: [
          q(`sum(increase(nodebounce_bounces_total{${SEL}, result="succeeded"}[$__range]))`, 'succeeded', true),
        ],
        w: 4,
        decimals: 0,
      },
      {
        kind: 'stat',
        title: 'Failed',
        description: 'Bounces that ended Failed in the selected time range; the table on the right says why.',
        targets: [q(`sum(increase(nodebounce_bounces_total{${SEL}, result="failed"}[$__range]))`, 'failed', true)],
        w: 4,
        decimals: 0,
        red: 1,
      },
      {
        kind: 'timeseries',
        title: 'Finished bounces by result and reason',
        description:
          'Bounces finished per minute, by result (succeeded, failed) and reason (PodRestarted, DryRunPassed, NodeRebuilding, ReadyTimeout, ...).',
        targets: [
          q(
            `sum by (result, reason) (rate(nodebounce_bounces_total{${SEL}}[$__rate_interval])) * 60`,
            '{{result}} {{reason}}',
          ),
        ],
        unit: 'short',
        w: 10,
        stack: true,
        style: 'bars',
      },
      {
        kind: 'bargauge',
        title: 'Failures by reason',
        description:
          'Failed bounces in the selected time range by reason. `kubectl get nodebounces -A` lists them; status.message says what to do.',
        targets: [
          q(
            `sort_desc(sum by (reason) (increase(nodebounce_bounces_total{${SEL}, result="failed"}[$__range])))`,
            '{{reason}}',
            true,
          ),
        ],
        w: 6,
        decimals: 0,
      },
    ],
  },
  {
    title: 'Bounce duration',
    answers:
      'How long a bounce takes end to end and in which phase the time goes: pending (acceptance to eviction), terminating (old pod going), starting (replacement getting Ready).',
    panels: [
      {
        kind: 'timeseries',
        title: 'Bounce duration, total (p50 / p90 / p99)',
        description:
          'From acceptance to Succeeded or Failed, over the bounces finished in each interval (nodebounce_bounce_duration_seconds{phase="total"}).',
        targets: quantiles('nodebounce_bounce_duration_seconds', '', ', phase="total"'),
        unit: 's',
        w: 8,
      },
      {
        kind: 'timeseries',
        title: 'Duration per phase (p90)',
        description: 'p90 of the time spent in each phase: pending, terminating, starting.',
        targets: [
          q(
            `histogram_quantile(0.9, sum by (le, phase) (rate(nodebounce_bounce_duration_seconds_bucket{${SEL}, phase!="total"}[$__rate_interval])))`,
            'p90 {{phase}}',
          ),
        ],
        unit: 's',
        w: 8,
      },
      {
        kind: 'timeseries',
        title: 'Mean duration per phase',
        description:
          'Average time per phase over the bounces finished in each interval (sum / count of the histogram).',
        targets: [
          q(
            `sum by (phase) (rate(nodebounce_bounce_duration_seconds_sum{${SEL}}[$__rate_interval])) / sum by (phase) (rate(nodebounce_bounce_duration_seconds_count{${SEL}}[$__rate_interval]))`,
            'mean {{phase}}',
          ),
        ],
        unit: 's',
        w: 8,
      },
    ],
  },
  {
    title: 'Active and waiting bounces',
    answers:
      'How many bounces are in progress, in which phase, and how many wait: BlockedByPDB (a PodDisruptionBudget refuses the eviction), WaitingForOtherBounce (another bounce of the same pod goes first), EvictionThrottled (the API server answers 429).',
    panels: [
      {
        kind: 'stat',
        title: 'Active bounces',
        description:
          'NodeBounces not finished yet (Pending, Terminating, Starting). Only the leader counts; standbys export 0.',
        targets: [q(`sum(nodebounce_active_bounces{${SEL}})`, 'active', true)],
        w: 4,
        decimals: 0,
      },
      {
        kind: 'stat',
        title: 'Blocked by PDB',
        description:
          'Bounces whose eviction a PodDisruptionBudget refuses; they retry until it allows one (or their deadline).',
        targets: [q(`sum(nodebounce_active_bounces_by_reason{${SEL}, reason="BlockedByPDB"})`, 'BlockedByPDB', true)],
        w: 4,
        decimals: 0,
        warn: 1,
      },
      {
        kind: 'stat',
        title: 'Waiting for another bounce',
        description: 'Bounces queued behind an older or running bounce of the same pod.',
        targets: [
          q(
            `sum(nodebounce_active_bounces_by_reason{${SEL}, reason="WaitingForOtherBounce"})`,
            'WaitingForOtherBounce',
            true,
          ),
        ],
        w: 4,
        decimals: 0,
      },
      {
        kind: 'stat',
        title: 'Eviction throttled',
        description:
          'Bounces whose eviction the API server answered 429 without a PodDisruptionBudget cause (throttling).',
        targets: [
          q(`sum(nodebounce_active_bounces_by_reason{${SEL}, reason="EvictionThrottled"})`, 'EvictionThrottled', true),
        ],
        w: 4,
        decimals: 0,
        warn: 1,
      },
      {
        kind: 'timeseries',
        title: 'Active bounces by phase',
        description: 'Unfinished bounces by phase (Pending, Terminating, Starting).',
        targets: [q(`sum by (phase) (nodebounce_active_bounces_by_reason{${SEL}})`, '{{phase}}')],
        unit: 'short',
        w: 8,
        stack: true,
        decimals: 0,
      },
      {
        kind: 'timeseries',
        title: 'Waiting bounces by reason',
        description: 'BlockedByPDB, WaitingForOtherBounce and EvictionThrottled over time.',
        targets: [
          q(
            `sum by (reason) (nodebounce_active_bounces_by_reason{${SEL}, reason=~"BlockedByPDB|WaitingForOtherBounce|EvictionThrottled"})`,
            '{{reason}}',
          ),
        ],
        unit: 'short',
        w: 24,
        h: 7,
        decimals: 0,
      },
    ],
  },
  {
    title: 'Disruption budget',
    answers:
      'How many pods are disrupted at once against the cross-group disruption budget (config disruptionBudget: per namespace and in the cluster; unlimited by default), and how many NodeBounces wait for it (Pending/WaitingForDisruptionBudget).',
    panels: [
      {
        kind: 'timeseries',
        title: 'Disrupted pods vs. budget, by scope',
        description:
          'Pods disrupted now (unfinished NodeBounces past their check, whoever created them) and the budget, by scope: the cluster (size +Inf while unlimited: no line) and each namespace once maxPerNamespace is set (nodebounce_disruption_budget_in_use, nodebounce_disruption_budget_limit).',
        targets: [
          q(
            `max by (scope, target_namespace) (nodebounce_disruption_budget_in_use{${SEL}})`,
            'in use {{scope}} {{target_namespace}}',
          ),
          q(
            `max by (scope, target_namespace) (nodebounce_disruption_budget_limit{${SEL}})`,
            'size {{scope}} {{target_namespace}}',
          ),
        ],
        unit: 'short',
        w: 12,
        decimals: 0,
        min: 0,
      },
      {
        kind: 'timeseries',
        title: 'Waiting for the disruption budget, by scope',
        description:
          'NodeBounces that wait for the cross-group budget, served round robin by owner; their status names the scope and who holds it (nodebounce_disruption_budget_waiting).',
        targets: [
          q(
            `max by (scope, target_namespace) (nodebounce_disruption_budget_waiting{${SEL}})`,
            '{{scope}} {{target_namespace}}',
          ),
        ],
        unit: 'short',
        w: 12,
        decimals: 0,
        min: 0,
      },
    ],
  },
  {
    title: 'Shutdown protection',
    answers:
      "Whether the operator gave up restoring an Express node's shutdown protection after a bounce (the node may be unprotected until someone releases the NodeBounce; alert NodeBounceShutdownProtectionNotRestored).",
    panels: [
      {
        kind: 'stat',
        title: 'Shutdown protection not restored',
        description:
          'NodeBounces that gave up restoring shutdown protection and were not released (nodebounce_protection_unrestored). Anything above 0 needs a person: see docs/reliability.md.',
        targets: [q(`max(nodebounce_protection_unrestored{${SEL}})`, 'unrestored', true)],
        w: 6,
        decimals: 0,
        red: 1,
      },
      {
        kind: 'timeseries',
        title: 'Shutdown protection not restored, over time',
        description: 'nodebounce_protection_unrestored per operator instance: the leader counts, standbys export 0.',
        targets: [q(`max by (instance) (nodebounce_protection_unrestored{${SEL}})`, '{{instance}}')],
        unit: 'short',
        w: 18,
        decimals: 0,
      },
    ],
  },
  {
    title: 'Reconciles',
    answers: 'How busy the controller is, whether reconciles fail (RBAC, API server) and how long one takes.',
    panels: [
      {
        kind: 'timeseries',
        title: 'Reconciles by result',
        description: 'Reconciles per second by result (success, requeue_after, error).',
        targets: [
          q(
            `sum by (result) (rate(controller_runtime_reconcile_total{${SEL}, ${CONTROLLER}}[$__rate_interval]))`,
            '{{result}}',
          ),
        ],
        unit: 'reqps',
        w: 8,
        stack: true,
      },
      {
        kind: 'timeseries',
        title: 'Reconcile errors',
        description:
          'Failed reconciles per second (retried with backoff). The operator log says why; alert NodeBounceReconcileErrors.',
        targets: [
          q(`sum(rate(controller_runtime_reconcile_errors_total{${SEL}, ${CONTROLLER}}[$__rate_interval]))`, 'errors'),
        ],
        unit: 'reqps',
        w: 8,
      },
      {
        kind: 'timeseries',
        title: 'Reconcile latency',
        description: 'Time per reconcile (controller_runtime_reconcile_time_seconds).',
        targets: quantiles('controller_runtime_reconcile_time_seconds', '', `, ${CONTROLLER}`),
        unit: 's',
        w: 8,
      },
    ],
  },
  {
    title: 'Work queue',
    answers:
      'Whether work piles up: queue depth, time an item waits before a worker takes it, time a worker spends on it, retries, busy workers.',
    panels: [
      {
        kind: 'timeseries',
        title: 'Queue depth and busy workers',
        description: 'Items waiting in the work queue, and workers busy reconciling (at most maxConcurrentReconciles).',
        targets: [
          q(`sum(workqueue_depth{${SEL}, name="nodebounce"})`, 'depth'),
          q(`sum(controller_runtime_active_workers{${SEL}, ${CONTROLLER}})`, 'busy workers'),
        ],
        unit: 'short',
        w: 6,
      },
      {
        kind: 'timeseries',
        title: 'Adds and retries',
        description: 'Items added to the queue and retries (after an error or a requeue) per second.',
        targets: [
          q(`sum(rate(workqueue_adds_total{${SEL}, name="nodebounce"}[$__rate_interval]))`, 'adds'),
          q(`sum(rate(workqueue_retries_total{${SEL}, name="nodebounce"}[$__rate_interval]))`, 'retries'),
        ],
        unit: 'ops',
        w: 6,
      },
      {
        kind: 'timeseries',
        title: 'Queue wait',
        description: 'How long an item waits in the queue before a worker takes it (workqueue_queue_duration_seconds).',
        targets: quantiles('workqueue_queue_duration_seconds', '', ', name="nodebounce"'),
        unit: 's',
        w: 6,
      },
      {
        kind: 'timeseries',
        title: 'Work duration',
        description: 'How long a worker spends on an item (workqueue_work_duration_seconds).',
        targets: quantiles('workqueue_work_duration_seconds', '', ', name="nodebounce"'),
        unit: 's',
        w: 6,
      },
    ],
  },
  {
    title: 'Leader election',
    answers:
      'Which instance leads (exactly one should), and how many instances are up; a standby takes over within the lease duration.',
    panels: [
      {
        kind: 'stat',
        title: 'Leaders',
        description:
          'Instances holding the Lease: 1 is healthy, 0 means no bounce progresses (alert NodeBounceOperatorNoLeader).',
        targets: [q(`sum(leader_election_master_status{${SEL}})`, 'leaders', true)],
        w: 4,
        decimals: 0,
      },
      {
        kind: 'stat',
        title: 'Instances up',
        description: 'Operator instances Prometheus scrapes successfully (`up` is recorded by Prometheus itself).',
        targets: [q(`sum(up{${SEL}})`, 'up', true)],
        w: 4,
        decimals: 0,
      },
      {
        kind: 'timeseries',
        title: 'Leader status per instance',
        description: 'leader_election_master_status per instance: 1 leads, 0 stands by.',
        targets: [q(`max by (instance, name) (leader_election_master_status{${SEL}})`, '{{instance}} ({{name}})')],
        unit: 'short',
        w: 16,
        style: 'steps',
        decimals: 0,
        min: 0,
        max: 1,
      },
    ],
  },
  {
    title: 'Notifications',
    answers:
      'Whether webhook notifications get through: sent, failed after retries, dropped because the queue was full, and retry attempts.',
    panels: [
      {
        kind: 'stat',
        title: 'Failed or dropped',
        description:
          'Notifications lost in the selected time range (failed after retries, or dropped because the queue was full).',
        targets: [
          q(`sum(increase(nodebounce_notifications_total{${SEL}, result=~"failed|dropped"}[$__range]))`, 'lost', true),
        ],
        w: 6,
        decimals: 0,
        red: 1,
      },
      {
        kind: 'timeseries',
        title: 'Notifications by result',
        description: 'Notifications per minute by result: sent, failed, dropped, retried (attempts).',
        targets: [
          q(`sum by (result) (rate(nodebounce_notifications_total{${SEL}}[$__rate_interval])) * 60`, '{{result}}'),
        ],
        unit: 'short',
        w: 18,
      },
    ],
  },
  {
    title: 'RollingBounces',
    answers:
      'How whole-cluster rollouts are going: which are running and in what phase (paused, waiting for a window or for health), their members by state, and how rollouts finished.',
    panels: [
      {
        kind: 'timeseries',
        title: 'Active RollingBounces by phase',
        description:
          'Unfinished RollingBounces by phase (Pending, Progressing, Paused, WaitingForWindow, WaitingForHealth): nodebounce_rollouts_active.',
        targets: [q(`max by (phase) (nodebounce_rollouts_active{${SEL}})`, '{{phase}}')],
        unit: 'short',
        w: 8,
        decimals: 0,
      },
      {
        kind: 'timeseries',
        title: 'Rollout members by state',
        description:
          'Members of unfinished RollingBounces: pending, in_progress, succeeded, failed, skipped (nodebounce_rollout_members).',
        targets: [q(`max by (state) (nodebounce_rollout_members{${SEL}})`, '{{state}}')],
        unit: 'short',
        w: 8,
        decimals: 0,
      },
      {
        kind: 'timeseries',
        title: 'Finished rollouts by result and reason',
        description: 'RollingBounces finished in the interval, by result and reason (nodebounce_rollouts_total).',
        targets: [
          q(
            `sum by (result, reason) (increase(nodebounce_rollouts_total{${SEL}}[$__rate_interval]))`,
            '{{result}} {{reason}}',
          ),
        ],
        unit: 'short',
        w: 8,
        decimals: 0,
      },
    ],
  },
  {
    title: 'Operator process',
    answers: 'Whether the operator itself is healthy: memory, CPU and event-loop lag (Node.js process metrics).',
    panels: [
      {
        kind: 'timeseries',
        title: 'Resident memory',
        description: 'Resident set size per instance; the default limit is 256Mi.',
        targets: [q(`max by (instance) (process_resident_memory_bytes{${SEL}})`, '{{instance}}')],
        unit: 'bytes',
        w: 8,
      },
      {
        kind: 'timeseries',
        title: 'CPU',
        description: 'CPU time used per second per instance (1 = one core).',
        targets: [q(`sum by (instance) (rate(process_cpu_seconds_total{${SEL}}[$__rate_interval]))`, '{{instance}}')],
        unit: 'short',
        w: 8,
      },
      {
        kind: 'timeseries',
        title: 'Event loop lag (p99)',
        description: 'How late the event loop runs timers; seconds of lag mean the process is starved of CPU.',
        targets: [q(`max by (instance) (nodejs_eventloop_lag_p99_seconds{${SEL}})`, '{{instance}}')],
        unit: 's',
        w: 8,
      },
    ],
  },
];

function thresholds(p: PanelSpec): ThresholdsConfig {
  const steps: ThresholdsConfig['steps'] = [{ color: 'green', value: null }];
  if (p.warn !== undefined) steps.push({ color: 'orange', value: p.warn });
  if (p.red !== undefined) steps.push({ color: 'red', value: p.red });
  return { mode: 'absolute' as ThresholdsMode, steps };
}

function panel(p: PanelSpec, id: number, gridPos: { h: number; w: number; x: number; y: number }): Panel {
  const refIds = 'ABCDEFGHIJ';
  const targets = p.targets.map((t, i) => ({
    datasource: DS,
    editorMode: 'code',
    expr: t.expr,
    legendFormat: t.legend,
    range: !t.instant,
    instant: !!t.instant,
    refId: refIds[i],
  }));
  const defaults: FieldConfig & { custom?: Record<string, unknown> } = {
    unit: p.unit ?? 'short',
    thresholds: thresholds(p),
    color: { mode: (p.kind === 'timeseries' ? 'palette-classic' : 'thresholds') as FieldColorModeId },
  };
  if (p.decimals !== undefined) defaults.decimals = p.decimals;
  if (p.min !== undefined || p.kind !== 'timeseries') defaults.min = p.min ?? 0;
  if (p.max !== undefined) defaults.max = p.max;
  let options: Record<string, unknown>;
  if (p.kind === 'timeseries') {
    defaults.min = p.min ?? 0;
    defaults.custom = {
      drawStyle: p.style === 'bars' ? 'bars' : 'line',
      lineInterpolation: p.style === 'steps' ? 'stepAfter' : 'linear',
      lineWidth: 1,
      fillOpacity: p.style === 'bars' ? 80 : p.stack ? 30 : 10,
      showPoints: 'never',
      spanNulls: false,
      stacking: { mode: p.stack ? 'normal' : 'none', group: 'A' },
      axisSoftMin: 0,
    };
    options = {
      legend: { displayMode: 'list', placement: 'bottom', showLegend: true },
      tooltip: { mode: 'multi', sort: 'desc' },
    };
  } else if (p.kind === 'stat') {
    options = {
      reduceOptions: { calcs: ['lastNotNull'], fields: '', values: false },
      colorMode: 'value',
      graphMode: 'none',
      justifyMode: 'auto',
      orientation: 'auto',
      textMode: 'value',
      wideLayout: true,
      showPercentChange: false,
    };
  } else {
    options = {
      reduceOptions: { calcs: ['lastNotNull'], fields: '', values: false },
      displayMode: 'basic',
      orientation: 'horizontal',
      showUnfilled: true,
      valueMode: 'color',
      namePlacement: 'auto',
      sizing: 'auto',
      minVizHeight: 16,
      minVizWidth: 8,
      maxVizHeight: 300,
    };
  }
  return {
    datasource: DS,
    description: p.description,
    fieldConfig: { defaults, overrides: [] },
    gridPos,
    id,
    options,
    targets,
    title: p.title,
    type: p.kind,
  };
}

function variables(): VariableModel[] {
  // `definition` (the query as text, shown in the variable list) is written by Grafana though not in its schema.
  const query = (name: string, label: string, def: string): VariableModel & { definition: string } => ({
    datasource: DS,
    definition: def,
    hide: 0,
    includeAll: false,
    label,
    multi: false,
    name,
    options: [],
    query: { qryType: 1, query: def, refId: 'PrometheusVariableQueryEditor-VariableQuery' },
    refresh: 2,
    regex: '',
    skipUrlSync: false,
    sort: 1,
    type: 'query',
  });
  return [
    {
      hide: 0,
      includeAll: false,
      label: 'Data source',
      multi: false,
      name: 'datasource',
      options: [],
      query: 'prometheus',
      refresh: 1,
      regex: '',
      skipUrlSync: false,
      type: 'datasource',
    },
    query('namespace', 'Namespace', 'label_values(nodebounce_active_bounces, namespace)'),
    // The scrape job of the metrics Service: nodebounce-operator-metrics (kustomize), <release>-metrics (Helm).
    query('job', 'Job', 'label_values(nodebounce_active_bounces{namespace="$namespace"}, job)'),
  ];
}

export function buildDashboard(): Dashboard {
  const panels: (Panel | RowPanel)[] = [];
  let id = 1;
  let y = 0;
  for (const row of ROWS) {
    panels.push({
      collapsed: false,
      gridPos: { h: 1, w: 24, x: 0, y },
      id: id++,
      panels: [],
      title: row.title,
      type: 'row',
    });
    y += 1;
    let x = 0;
    let lineH = 0;
    for (const p of row.panels) {
      const h = p.h ?? (p.kind === 'stat' ? 4 : 8);
      if (x + p.w > 24) {
        y += lineH;
        x = 0;
        lineH = 0;
      }
      panels.push(panel(p, id++, { h, w: p.w, x, y }));
      x += p.w;
      lineH = Math.max(lineH, h);
    }
    y += lineH;
  }
  return {
    annotations: {
      list: [
        {
          builtIn: 1,
          datasource: { type: 'grafana', uid: '-- Grafana --' },
          enable: true,
          hide: true,
          iconColor: 'rgba(0, 211, 255, 1)',
          name: 'Annotations & Alerts',
          type: 'dashboard',
        },
      ],
    },
    description:
      'nodebounce-operator: bounces, their duration and what they wait for, reconciles, work queue, leader election, notifications, shutdown protection. Generated by scripts/grafana-dashboard.ts.',
    editable: true,
    fiscalYearStartMonth: 0,
    graphTooltip: 1,
    id: null,
    links: [],
    panels,
    refresh: '30s',
    schemaVersion: 39,
    tags: ['nodebounce', 'kubernetes', 'operator'],
    templating: { list: variables() },
    time: { from: 'now-6h', to: 'now' },
    timepicker: {},
    timezone: 'browser',
    title: 'NodeBounce operator',
    uid: DASHBOARD_UID,
    version: 1,
    weekStart: '',
  };
}

export function renderDashboard(): string {
  return JSON.stringify(buildDashboard(), null, 2) + '\n';
}
