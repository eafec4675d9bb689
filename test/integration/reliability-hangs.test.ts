import { KubeConfig } from '@kubernetes/client-node';
import { describe, expect, inject, it } from 'vitest';
import {
  blackHoleScenario,
  heldHandOverScenario,
  hungLeaseScenario,
  sigtermInBlackHoleScenario,
  silentWatchScenario,
} from './support/hang-scenarios.js';
import { assertAndReport } from './support/reliability-scenarios.js';

// The API server that does not answer: every request has a deadline, watches have an idle watchdog, and a leader
// whose renewal hangs stops acting by its renew deadline. Long versions: test/chaos/hangs.test.ts.
describe('reliability: hung connections', () => {
  const admin = () => {
    const kc = new KubeConfig();
    kc.loadFromFile(inject('kubeconfigPath'));
    return kc;
  };

  it(
    'black hole for 15 s in the middle of 8 bounces: all succeed, each pod disrupted once, /healthz stays 200',
    { timeout: 300_000 },
    async () => {
      const report = await blackHoleScenario(admin(), inject('auditLogPath'), { bounces: 8, holeMs: 15_000 });
      assertAndReport(report);
      expect(report.blackHoled, 'requests really disappeared').toBeGreaterThan(0);
      expect(report.deadlineAborts, 'hung calls were cut by their deadline').toBeGreaterThan(0);
      expect(report.unhealthy, 'no reconcile stuck past its deadline').toEqual([]);
      expect(report.operatorExitCode).toBeNull();
    },
  );

  it(
    'a watch that stays open and silent is restarted by the idle watchdog and the bounce completes',
    { timeout: 120_000 },
    async () => {
      const r = await silentWatchScenario(admin());
      console.log(`[reliability] ${JSON.stringify({ scenario: 'silent-watch', ...r })}`);
      expect([r.phase, r.reason]).toEqual(['Succeeded', 'PodRestarted']);
      expect(r.watchesAfter, 'watches were re-established').toBeGreaterThan(r.watchesBefore);
      // Idle watchdog 8 s; client-node's own inactivity timer (30 s) would have been far later.
      expect(r.seenAfterMs).toBeLessThan(20_000);
    },
  );

  it(
    'a hung Lease renewal: the leader stops acting before the lease expires; none of its writes lands after the new leader took over',
    { timeout: 300_000 },
    async () => {
      const report = await hungLeaseScenario(admin(), inject('auditLogPath'), { bounces: 3 });
      assertAndReport(report);
      expect(report.oldLeaderExitCode, 'the old leader exited (lost leadership)').toBe(1);
      expect(report.leaderStoppedAfterLastRenewMs as number).toBeLessThan(15_000);
      expect(
        report.gapBetweenLeadersMs as number,
        'old leader last write before new leader first write',
      ).toBeGreaterThan(0);
      const audit = report.audit as { oldLeaderWritesAfterNewLeader: string[]; newLeaderFirstWrite?: string };
      expect(audit.newLeaderFirstWrite, 'the audit log shows the new leader writing').toBeDefined();
      expect(audit.oldLeaderWritesAfterNewLeader, 'audit log: no old-leader write after the new leader').toEqual([]);
    },
  );

  it(
    "SIGTERM hand-over with the old leader's requests held, released after the new leader's first write: none lands after it",
    { timeout: 300_000 },
    async () => {
      const report = await heldHandOverScenario(admin(), inject('auditLogPath'), { bounces: 3 });
      assertAndReport(report);
      const released = report.released as { forwarded: number; clientGone: number };
      const audit = report.audit as { oldLeaderWritesAfterNewLeader: string[]; newLeaderFirstWrite?: string };
      expect(report.heldAtTerm as number, 'the old leader had requests held at SIGTERM').toBeGreaterThan(0);
      // The hold was lifted while the old leader still ran, after the new leader's first write: the case at stake.
      expect(report.oldLeaderExitAfterReleaseMs as number, 'old leader alive when the hold lifted').toBeGreaterThan(0);
      expect(audit.newLeaderFirstWrite, 'the audit log shows the new leader writing').toMatch(/leases/);
      expect(released.forwarded, 'no held request of the old leader was still open at release').toBe(0);
      expect(released.clientGone, 'the old leader aborted what it had in flight').toBeGreaterThan(0);
      expect(audit.oldLeaderWritesAfterNewLeader, 'audit log: no old-leader write after the new leader').toEqual([]);
      expect(report.exitCode).toBe(0);
      // Its watches started at once (a quiet watch whose headers the proxy held waited for the 90 s idle watchdog:
      // the bounces then took ~100 s after the take-over instead of ~15 s). Normal: well under a second to seconds.
      expect(
        report.newLeaderSyncMs as number,
        'the new leader synced its caches long before the watchdog',
      ).toBeLessThan(45_000);
    },
  );

  it(
    'SIGTERM while every request hangs: exit 0 within 10 s; a successor finishes the bounces',
    { timeout: 300_000 },
    async () => {
      const report = await sigtermInBlackHoleScenario(admin(), inject('auditLogPath'), { bounces: 4 });
      assertAndReport(report);
      expect(report.hungAtTerm, 'requests were hanging at SIGTERM').toBeGreaterThan(0);
      expect(report.reconcilesLeftAtShutdown, 'the drain gave up on hung reconciles').toBeGreaterThan(0);
      // Past the 10 s grace the operator forces exit 1, so 0 here means the bounded drain, not the force timer.
      expect(report.exitCode).toBe(0);
      expect(report.exitMs).toBeLessThan(10_000);
    },
  );
});
