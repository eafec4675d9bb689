// The Node.js the CLI needs, checked before anything else loads: @kubernetes/client-node pulls in undici, whose
// interceptors crash at import time on older Node (on Node 20: "Cannot read properties of undefined (reading
// 'bind')" in the zstd interceptor). This module imports nothing, so the check runs on any Node that can load
// an ES module. The standalone executable (npm run build:cli) carries its own Node and never needs it.

/** The oldest Node.js the CLI runs on: package.json's engines.node (a unit test keeps them equal). */
export const MIN_NODE = '24.11.0';

function parts(v: string): [number, number, number] {
  const [a = 0, b = 0, c = 0] = v
    .replace(/^v/, '')
    .split('.')
    .map((x) => Number.parseInt(x, 10) || 0);
  return [a, b, c];
}

/** One line naming the version needed, or undefined when `version` (process.versions.node) is new enough. */
export function unsupportedNode(version: string): string | undefined {
  const have = parts(version);
  const need = parts(MIN_NODE);
  for (let i = 0; i < 3; i++) {
    if (have[i]! > need[i]!) return undefined;
    if (have[i]! < need[i]!)
      return `error: kubectl-nodebounce needs Node.js >= ${MIN_NODE} (this is ${version.replace(/^v?/, 'v')}); install a newer Node.js or the standalone kubectl-nodebounce, which needs none (docs/cli.md)`;
  }
  return undefined;
}
