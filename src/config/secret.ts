// A configuration value that must never be printed: a webhook URL carries its credentials in the path.

const REDACTED = '[redacted]';

/** Holds a secret string; logs, JSON, String() and util.inspect all show "[redacted]". Use reveal() to send it. */
export class Secret {
  readonly #value: string;

  constructor(value: string) {
    this.#value = value;
  }

  reveal(): string {
    return this.#value;
  }

  toString(): string {
    return REDACTED;
  }

  toJSON(): string {
    return REDACTED;
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return `Secret(${REDACTED})`;
  }
}
