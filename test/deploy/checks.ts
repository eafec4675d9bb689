// Checks shared by the kustomize and Helm renderings of the operator Deployment.
import { expect } from 'vitest';
import { get, type K8sObject } from '../harness/index.js';

/**
 * Asserts what issue 4 requires of the operator pod (restricted security context, probes on :8081, metrics on
 * :8443 behind the Service, downward-API env), that it runs the image's command (the bundle), and returns its plain
 * env values by name.
 */
export function checkOperatorDeployment(
  objs: K8sObject[],
  names: { deployment: string; service: string; serviceAccount?: string },
): Record<string, string | undefined> {
  const dep = get(objs, 'Deployment', names.deployment) as any;
  const pod = dep.spec.template.spec;
  expect(pod.containers).toHaveLength(1);
  const c = pod.containers[0];
  // The image's CMD runs the esbuild bundle with source maps (Dockerfile, checked by the unit tier): the pod
  // keeps it rather than naming a file of its own (dist/main.js is not in the image).
  expect(c.command).toBeUndefined();
  expect(c.args).toBeUndefined();

  // Pod security (restricted profile).
  expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
  expect(pod.securityContext.runAsUser).toBeGreaterThan(0);
  expect(c.securityContext).toMatchObject({
    allowPrivilegeEscalation: false,
    readOnlyRootFilesystem: true,
    capabilities: { drop: ['ALL'] },
  });
  expect(c.securityContext.capabilities.add ?? []).toEqual([]);
  expect(c.securityContext.privileged ?? false).toBe(false);
  expect(pod.hostNetwork ?? false).toBe(false);
  expect(pod.hostPID ?? false).toBe(false);
  // The only writable path is an emptyDir on /tmp (plus read-only config).
  const writable = (c.volumeMounts ?? []).filter((m: any) => !m.readOnly);
  expect(writable.map((m: any) => m.mountPath)).toEqual(['/tmp']);
  const tmp = pod.volumes.find((v: any) => v.name === writable[0].name);
  expect(tmp.emptyDir).toBeDefined();

  // Ports and probes.
  const port = (name: string) => c.ports.find((p: any) => p.name === name)?.containerPort;
  expect(port('metrics')).toBe(8443);
  expect(port('health')).toBe(8081);
  expect(c.livenessProbe.httpGet).toEqual({ path: '/healthz', port: 'health' });
  expect(c.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'health' });
  expect(c.resources.requests).toBeDefined();
  expect(c.resources.limits?.memory).toBeDefined();
  // SIGTERM handling exits within 10 s; the grace period must leave room for it.
  expect(pod.terminationGracePeriodSeconds).toBeGreaterThanOrEqual(15);

  // Env: pod identity from the downward API.
  const env: Record<string, string | undefined> = {};
  for (const e of c.env) env[e.name] = e.value;
  const fieldRef = (name: string) => c.env.find((e: any) => e.name === name)?.valueFrom?.fieldRef?.fieldPath;
  expect(fieldRef('POD_NAMESPACE')).toBe('metadata.namespace');
  expect(fieldRef('POD_NAME')).toBe('metadata.name');

  // ServiceAccount exists and is used.
  const saName = names.serviceAccount ?? names.deployment;
  expect(pod.serviceAccountName).toBe(saName);
  get(objs, 'ServiceAccount', saName);

  // The metrics Service selects exactly these pods and targets the metrics port.
  const svc = get(objs, 'Service', names.service) as any;
  expect(dep.spec.selector.matchLabels).toEqual(svc.spec.selector);
  expect(dep.spec.template.metadata.labels).toMatchObject(svc.spec.selector);
  expect(svc.spec.ports).toEqual([{ name: 'metrics', port: 8443, targetPort: 'metrics', protocol: 'TCP' }]);
  return env;
}

/**
 * The operator's config file as the pod sees it: the ConfigMap volume mounted where NODEBOUNCE_CONFIG points,
 * and that ConfigMap's key. Returns the ConfigMap, the key and the raw YAML text.
 */
export function mountedConfig(
  objs: K8sObject[],
  deployment: string,
): { configMap: K8sObject; key: string; text: string } {
  const pod = (get(objs, 'Deployment', deployment) as any).spec.template.spec;
  const c = pod.containers[0];
  const path: string = c.env.find((e: any) => e.name === 'NODEBOUNCE_CONFIG')?.value;
  expect(path, 'NODEBOUNCE_CONFIG').toMatch(/^\/.+\/[^/]+$/);
  const dir = path.slice(0, path.lastIndexOf('/'));
  const key = path.slice(dir.length + 1);
  const mount = c.volumeMounts.find((m: any) => m.mountPath === dir);
  expect(mount, `a volume mounted at ${dir}`).toBeDefined();
  expect(mount.readOnly).toBe(true);
  const cmName: string = pod.volumes.find((v: any) => v.name === mount.name)?.configMap?.name;
  expect(cmName, `volume ${mount.name} is a ConfigMap`).toBeDefined();
  const configMap = get(objs, 'ConfigMap', cmName) as any;
  expect(Object.keys(configMap.data), `ConfigMap ${cmName}`).toContain(key);
  return { configMap, key, text: configMap.data[key] };
}
