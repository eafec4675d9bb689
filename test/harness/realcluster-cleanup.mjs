// Removes everything a real-node cluster (test/harness/realcluster.ts) leaves on the host. Plain JavaScript run
// as its own process (`node realcluster-cleanup.mjs`), so the very same code runs
//   - at the end of RealCluster.stop(),
//   - from the reaper (reaper.mjs) when the test process died without stopping the cluster, even on SIGKILL,
//   - at the start of startRealCluster(), in case a previous run left something behind (machine crash).
// It is idempotent and only touches what the cluster owns (paths, names and chains passed in the environment):
//   NBRC_STATE_DIR  state (PKI, etcd, containerd root, kubelet root, logs)      e.g. /var/lib/nodebounce-realcluster/state
//   NBRC_RUN_DIR    runtime dir (containerd state and sockets)                   e.g. /run/nodebounce-realcluster
//   NBRC_CGROUP     cgroup (in every hierarchy) the kubelet puts pods under      e.g. nodebounce-realcluster
//   NBRC_BRIDGE     the CNI bridge                                               e.g. nbrc0
//   NBRC_SYSCTLS    JSON file with the host sysctls saved before start (restored here)
//   NBRC_NETWORK=0  skip the network part (iptables chains, netns, bridge): the private docker daemon of
//                   docker.ts uses this script too, and must not touch a real-node cluster running meanwhile
//   NBRC_KEEP_MOUNTS_UNDER  a directory whose mounts are unmounted but which is kept (docker's data root cache)
// Host-global pieces it also removes: iptables/ip6tables chains named KUBE-* (kube-proxy, kubelet) and CNI-*
// (CNI plugins) with the rules jumping to them, and /run/netns/cni-* namespaces. Only one real-node cluster runs
// per machine (machine-wide lock in realcluster.ts), so those are ours; docker's chains are left alone.
// Prints one line per thing it removed, and "leftovers: ..." lines for what it could not remove (exit code 1).
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, rmSync, rmdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const STATE = process.env.NBRC_STATE_DIR;
const RUN = process.env.NBRC_RUN_DIR;
const CGROUP = process.env.NBRC_CGROUP;
const BRIDGE = process.env.NBRC_BRIDGE;
const SYSCTLS = process.env.NBRC_SYSCTLS;
const NETWORK = process.env.NBRC_NETWORK !== '0';
const KEEP = process.env.NBRC_KEEP_MOUNTS_UNDER;
if (!STATE || !RUN || !CGROUP || !BRIDGE) {
  console.error('realcluster-cleanup: NBRC_STATE_DIR, NBRC_RUN_DIR, NBRC_CGROUP and NBRC_BRIDGE are required');
  process.exit(2);
}
const CGROUP_ROOT = '/sys/fs/cgroup';
const sleep = (ms) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
const say = (msg) => console.log(`realcluster-cleanup: ${msg}`);

/** Processes (not this one nor its parent) whose command line mentions one of our directories. */
function ourProcesses() {
  const found = [];
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    const pid = Number(e);
    if (pid === process.pid || pid === process.ppid) continue;
    try {
      const cmd = readFileSync(`/proc/${e}/cmdline`, 'utf8').split('\0').join(' ');
      if (cmd.includes(STATE) || cmd.includes(RUN)) found.push({ pid, cmd: cmd.trim().slice(0, 160) });
    } catch {
      /* gone */
    }
  }
  return found;
}

/** Every cgroup directory of ours, deepest first, in every hierarchy (v1: one per controller; v2: one). */
function ourCgroups() {
  const dirs = [];
  const walk = (d) => {
    let entries;
    try {
      entries = readdirSync(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const ent of entries) if (ent.isDirectory()) walk(join(d, ent.name));
    dirs.push(d);
  };
  const roots = existsSync(join(CGROUP_ROOT, 'cgroup.controllers'))
    ? [join(CGROUP_ROOT, CGROUP)]
    : readdirSync(CGROUP_ROOT).map((h) => join(CGROUP_ROOT, h, CGROUP));
  for (const r of roots) if (existsSync(r)) walk(r);
  return dirs;
}

function cgroupPids() {
  const pids = new Set();
  for (const d of ourCgroups()) {
    try {
      for (const l of readFileSync(join(d, 'cgroup.procs'), 'utf8').split('\n')) if (l.trim()) pids.add(Number(l));
    } catch {
      /* gone */
    }
  }
  return [...pids];
}

function killAll() {
  // Container processes live in our cgroups; containerd, its shims, the kubelet etc. mention our dirs.
  for (let round = 0; round < 50; round++) {
    const procs = [...ourProcesses().map((p) => p.pid), ...cgroupPids()];
    if (procs.length === 0) return;
    if (round === 0) say(`killing ${procs.length} process(es)`);
    for (const pid of procs) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
    sleep(100);
  }
}

function unmountAll() {
  // Deepest first; lazy, so a busy mount cannot block the rest.
  const under = (p, d) => !!d && (p === d || p.startsWith(d + '/'));
  const mine = (p) =>
    under(p, STATE) || under(p, RUN) || under(p, KEEP) || (NETWORK && p.startsWith('/run/netns/cni-'));
  const points = readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((l) => l.split(' ')[4])
    .filter((p) => p && mine(p.replace(/\\040/g, ' ')))
    .sort((a, b) => b.length - a.length);
  for (const p of points) spawnSync('umount', ['-l', p], { stdio: 'ignore' });
  if (points.length) say(`unmounted ${points.length} mount(s)`);
  if (NETWORK && existsSync('/run/netns')) {
    for (const ns of readdirSync('/run/netns').filter((n) => n.startsWith('cni-'))) {
      rmSync(join('/run/netns', ns), { force: true });
    }
  }
}

/** Removes KUBE-* and CNI-* chains and the rules of other chains that jump to them, with one iptables-restore. */
function flushChains(tool) {
  const res = spawnSync(`${tool}-save`, [], { encoding: 'utf8' });
  if (res.status !== 0 || !res.stdout) return 0;
  const ours = (c) => /^(KUBE|CNI)-/.test(c);
  let removed = 0;
  const script = [];
  let table = '';
  let deletes = [];
  let chains = [];
  const flush = () => {
    if (!table || (deletes.length === 0 && chains.length === 0)) return;
    script.push(`*${table}`, ...deletes, ...chains.map((c) => `-F ${c}`), ...chains.map((c) => `-X ${c}`), 'COMMIT');
    removed += chains.length;
  };
  for (const line of res.stdout.split('\n')) {
    if (line.startsWith('*')) {
      flush();
      table = line.slice(1);
      deletes = [];
      chains = [];
    } else if (line.startsWith(':')) {
      const c = line.slice(1).split(' ')[0];
      if (ours(c)) chains.push(c);
    } else if (line.startsWith('-A ')) {
      const chain = line.split(' ')[1];
      if (!ours(chain) && / -j (KUBE|CNI)-/.test(line)) deletes.push('-D ' + line.slice(3));
    }
  }
  flush();
  if (script.length) {
    const r = spawnSync(`${tool}-restore`, ['--noflush'], { input: script.join('\n') + '\n', encoding: 'utf8' });
    if (r.status !== 0) say(`${tool}-restore failed: ${r.stderr.trim()}`);
    else say(`${tool}: removed ${removed} chain(s)`);
  }
  return removed;
}

function leftoverChains(tool) {
  const res = spawnSync(`${tool}-save`, [], { encoding: 'utf8' });
  if (res.status !== 0) return [];
  return res.stdout
    .split('\n')
    .filter((l) => /^:(KUBE|CNI)-/.test(l))
    .map((l) => `${tool}:${l.slice(1).split(' ')[0]}`);
}

function bridgeExists() {
  return existsSync(`/sys/class/net/${BRIDGE}`);
}

killAll();
unmountAll();
if (NETWORK) for (const tool of ['iptables', 'ip6tables']) flushChains(tool);
if (NETWORK && bridgeExists()) {
  spawnSync('ip', ['link', 'delete', BRIDGE], { stdio: 'ignore' });
  say(`deleted bridge ${BRIDGE}`);
}
// Processes just killed may take a moment to leave their cgroups.
let cgroupsLeft = [];
for (let i = 0; i < 50; i++) {
  cgroupsLeft = [];
  for (const d of ourCgroups()) {
    try {
      rmdirSync(d);
    } catch {
      cgroupsLeft.push(d);
    }
  }
  if (cgroupsLeft.length === 0) break;
  killAll();
  sleep(100);
}
if (SYSCTLS && existsSync(SYSCTLS)) {
  // The kubelet tunes a few kernel settings and the CNI bridge turns on IP forwarding; put them back.
  const saved = JSON.parse(readFileSync(SYSCTLS, 'utf8'));
  for (const [path, value] of Object.entries(saved)) {
    try {
      if (readFileSync(path, 'utf8').trim() !== value) {
        writeFileSync(path, value);
        say(`restored ${path} = ${value}`);
      }
    } catch {
      /* not settable here */
    }
  }
  rmSync(SYSCTLS, { force: true });
}
for (const d of [STATE, RUN]) {
  try {
    if (statSync(d)) rmSync(d, { recursive: true, force: true });
  } catch {
    /* gone */
  }
}

// Report whatever is still there.
const leftovers = [
  ...ourProcesses().map((p) => `process ${p.pid} ${p.cmd}`),
  ...cgroupPids().map((p) => `process ${p} in our cgroups`),
  ...readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((l) => l.split(' ')[4])
    .filter((p) => p && (p.startsWith(STATE) || p.startsWith(RUN) || (KEEP && p.startsWith(KEEP))))
    .map((p) => `mount ${p}`),
  ...(NETWORK ? leftoverChains('iptables') : []),
  ...(NETWORK ? leftoverChains('ip6tables') : []),
  ...(NETWORK && bridgeExists() ? [`bridge ${BRIDGE}`] : []),
  ...cgroupsLeft.map((d) => `cgroup ${d}`),
  ...[STATE, RUN].filter((d) => existsSync(d)).map((d) => `directory ${d}`),
];
for (const l of leftovers) console.log(`leftovers: ${l}`);
process.exit(leftovers.length ? 1 : 0);
