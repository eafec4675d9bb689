/**
 * Host prerequisites of the real-node tier: root, cgroups, and the Debian packages it runs unmodified
 * (containerd 1.6 + runc for the kubelet's containers, the CNI plugins for pod networking, iptables for
 * kube-proxy, docker.io to build the operator's Dockerfile, debootstrap for the base images' rootfs).
 * Missing packages are installed with apt-get (CI machines start bare; only Debian's mirror is reachable).
 */
import { existsSync, readFileSync } from 'node:fs';
import { mustRun, runCmd } from './images.js';

export const CLUSTER_PACKAGES = [
  'containerd',
  'runc',
  'containernetworking-plugins',
  'iptables',
  'iproute2',
  'mount',
] as const;
export const IMAGE_PACKAGES = ['docker.io', 'debootstrap'] as const;

/** Why this machine cannot run the real-node tier at all, or undefined when it can. */
export function realNodeUnsupportedReason(): string | undefined {
  if (process.platform !== 'linux') return `needs Linux (this is ${process.platform})`;
  if (typeof process.getuid === 'function' && process.getuid() !== 0) {
    return 'needs root (a real kubelet and containerd manage mounts, cgroups, network namespaces and iptables)';
  }
  if (!existsSync('/sys/fs/cgroup')) return 'no cgroup filesystem at /sys/fs/cgroup';
  const mounts = readFileSync('/proc/mounts', 'utf8');
  if (!/ \/sys\/fs\/cgroup\S* cgroup2? /.test(mounts))
    return 'no cgroup (v1 or v2) hierarchy is mounted under /sys/fs/cgroup';
  if (!existsSync('/usr/bin/apt-get') && !existsSync('/usr/bin/dpkg')) {
    return 'not a Debian-family system: install containerd, runc, the CNI plugins, iptables and docker yourself';
  }
  return undefined;
}

async function installed(pkg: string): Promise<boolean> {
  const res = await runCmd('dpkg-query', ['-W', '-f=${Status}', pkg]);
  return res.code === 0 && res.stdout.includes('install ok installed');
}

let aptUpdated = false;
/** Wait for another apt-get/dpkg (e.g. a second test tier installing its packages) instead of failing at once. */
const APT_LOCK_WAIT = ['-o', 'DPkg::Lock::Timeout=600'];

/** Installs the missing packages (apt-get, non-interactive, no recommends). */
export async function ensureHostPackages(pkgs: readonly string[], log: (l: string) => void): Promise<void> {
  const missing: string[] = [];
  for (const p of pkgs) if (!(await installed(p))) missing.push(p);
  if (missing.length === 0) return;
  const t = Date.now();
  log(`installing Debian packages: ${missing.join(' ')}`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  if (!aptUpdated) {
    await mustRun('apt-get', ['update', '-qq', ...APT_LOCK_WAIT], { env, timeoutMs: 10 * 60_000 });
    aptUpdated = true;
  }
  // The packages' maintainer scripts try to start services; without an init system they just say so.
  await mustRun('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...APT_LOCK_WAIT, ...missing], {
    env,
    timeoutMs: 20 * 60_000,
  });
  log(`installed ${missing.join(' ')} in ${Math.round((Date.now() - t) / 1000)}s`);
}
