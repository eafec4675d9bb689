// The Prometheus that the integration tests start (test/harness/prometheus.ts) is built without service discovery
// (`-tags remove_all_sd`, test/harness/tools.ts): the tests scrape static_configs only, and the discovery plugins'
// cloud SDKs and Kubernetes API types were most of its cold build. This file pins both sides of that choice: the binary is the
// lean build, and a scrape config that asks for discovery is refused at start-up (naming the key) instead of
// quietly scraping nothing, so a future test that needs discovery finds out here.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureTool, PROMETHEUS_BUILD_TAGS } from '../harness/index.js';

const run = promisify(execFile);
let prometheus: string;
let dir: string;

beforeAll(async () => {
  prometheus = await ensureTool('prometheus');
  dir = mkdtempSync(join(tmpdir(), 'nodebounce-prometheus-build-'));
}, 60 * 60_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the Prometheus test server build', () => {
  it('is built with remove_all_sd: the discovery plugins and their SDKs are not linked in', async () => {
    const { stdout } = await run('go', ['version', '-m', prometheus], { timeout: 30_000 });
    expect(stdout).toContain(`build\t-tags=${PROMETHEUS_BUILD_TAGS}`);
    const deps = stdout
      .split('\n')
      .filter((l) => l.trim().startsWith('dep\t'))
      .map((l) => l.trim().split('\t')[1]);
    expect(deps).toContain('github.com/prometheus/common'); // sanity: the dependency list was read
    // Modules that only the discovery plugins link in (among the biggest compiles of the full build). Remote
    // write's AWS/Azure/GCP authentication and a few client-go packages stay: they are not discovery.
    const discoveryOnly = [
      'k8s.io/api',
      'github.com/aws/aws-sdk-go-v2/service/ec2',
      'github.com/oracle/oci-go-sdk/v65',
      'github.com/gophercloud/gophercloud/v2',
      'github.com/envoyproxy/go-control-plane/envoy',
    ];
    expect(deps.filter((d) => discoveryOnly.includes(d ?? ''))).toEqual([]);
  });

  it('refuses a scrape config with kubernetes_sd_configs, naming the key', async () => {
    const config = join(dir, 'kubernetes-sd.yml');
    writeFileSync(config, 'scrape_configs:\n  - job_name: pods\n    kubernetes_sd_configs:\n      - role: pod\n');
    const res = await run(
      prometheus,
      [`--config.file=${config}`, `--storage.tsdb.path=${join(dir, 'data')}`, '--web.listen-address=127.0.0.1:0'],
      // The lean build exits at once; a build with discovery would start and run (killed here after 30 s).
      { timeout: 30_000 },
    ).then(
      () => ({ code: 0, output: '' }),
      (err: { code?: number; stdout?: string; stderr?: string }) => ({
        code: err.code ?? -1,
        output: `${err.stdout ?? ''}${err.stderr ?? ''}`,
      }),
    );
    expect(res.code).not.toBe(0);
    expect(res.output).toContain('kubernetes_sd_configs');
  });
});
