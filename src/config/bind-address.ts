// Listen addresses as kubebuilder's --metrics-bind-address / --health-probe-bind-address take them: "host:port",
// ":port" (every interface), "[::1]:port", or "0" (the server is not started).

export interface BindAddress {
  /** Undefined: every interface. */
  host?: string;
  port: number;
}

/** The parsed address, undefined for "0" (disabled); throws with a readable message when malformed. */
export function parseBindAddress(text: string): BindAddress | undefined {
  const s = text.trim();
  if (s === '0') return undefined;
  const m = /^(?:\[([0-9A-Fa-f:.]+)\]|([^:[\]\s]*)):(\d{1,5})$/.exec(s);
  if (!m) throw new Error(`"${text}" is not host:port, :port or 0`);
  const port = Number(m[3]);
  if (port > 65535) throw new Error(`"${text}": port ${port} is out of range`);
  const host = m[1] ?? m[2];
  return { host: host ? host : undefined, port };
}

/** The address with its port replaced (the older metricsPort / healthPort keys do that); "0" stays disabled. */
export function withPort(address: BindAddress | undefined, port: number | undefined): BindAddress | undefined {
  if (port === undefined || address === undefined) return address;
  return { ...address, port };
}

export function formatBindAddress(a: BindAddress): string {
  const host = a.host?.includes(':') ? `[${a.host}]` : (a.host ?? '');
  return `${host}:${a.port}`;
}
