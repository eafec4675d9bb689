import { join } from 'node:path';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../harness/index.js';

// The import boundaries of src/ (eslint.config.js) fail on a deliberate violation. Only the boundary rule runs, on
// text that exists nowhere on disk (so without type information); the full lint runs in `npm run lint`.
const eslint = new ESLint({
  cwd: REPO_ROOT,
  ruleFilter: ({ ruleId }) => ruleId === 'no-restricted-imports',
  overrideConfig: { languageOptions: { parserOptions: { projectService: false, project: null } } },
});

async function violations(file: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: join(REPO_ROOT, file) });
  return (result?.messages ?? []).map((m) => `${m.ruleId ?? 'parse'}: ${m.message}`);
}

describe('import boundaries', () => {
  it('src/bounce: no API client, no I/O, nothing from the I/O layers', async () => {
    const found = await violations(
      'src/bounce/zz-probe.ts',
      "import { CoreV1Api } from '@kubernetes/client-node';\nimport { readFileSync } from 'node:fs';\nimport { KubeClient } from '../kube/client.js';\nexport const x = [CoreV1Api, readFileSync, KubeClient];\n",
    );
    expect(found).toHaveLength(3);
    expect(found.join('\n')).toMatch(/@kubernetes\/client-node/);
    expect(found.join('\n')).toMatch(/node:fs/);
    expect(found.join('\n')).toMatch(/kube\/client\.js/);
  });

  it('src/kube: no upward import of the decision', async () => {
    expect(
      await violations(
        'src/kube/zz-probe.ts',
        "import type { Action } from '../bounce/types.js';\nexport type X = Action;\n",
      ),
    ).toHaveLength(1);
  });

  it('client-node is refused in a folder of src/ nobody listed yet, and allowed in src/kube', async () => {
    const code = "import { CoreV1Api } from '@kubernetes/client-node';\nexport const x = CoreV1Api;\n";
    expect(await violations('src/zz-new-folder/probe.ts', code)).toHaveLength(1);
    expect(await violations('src/kube/zz-probe.ts', code)).toEqual([]);
  });
});
