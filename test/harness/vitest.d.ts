// Values the integration globalSetup (test/harness/global-setup.ts) hands to test files.
// Usage in a test: `import { inject } from 'vitest'; const kubeconfigPath = inject('kubeconfigPath');`
import 'vitest';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Admin kubeconfig of the shared local control plane (client cert in system:masters). */
    kubeconfigPath: string;
    /** https://127.0.0.1:<port> of the shared kube-apiserver. */
    kubeServer: string;
    /** Names of the kwok-managed fake Nodes. */
    kwokNodeNames: string[];
    /** Audit log of the shared kube-apiserver (Metadata level, JSON lines). */
    auditLogPath: string;
  }
}
