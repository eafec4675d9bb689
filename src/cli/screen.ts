// The live view of a rollout on a terminal: a full-screen frame (the terminal's alternate screen, like `watch` or
// `top`), redrawn in place. Every line is cut to the terminal's width with "…", never wrapped, and the frame to its
// height, so a redraw can never leave a stale row: each frame starts at the top-left corner and clears what is
// below it, whatever the terminal did on a resize. close() leaves the alternate screen, which gives back the
// screen as it was before, and prints the last frame there (at the width of that moment), so the result stays
// visible in the scrollback. TERM=dumb, or output that is not a terminal, gets no escape codes (plain lines).

export interface ScreenOut {
  write(s: string): unknown;
  columns?: number;
  rows?: number;
  isTTY?: boolean;
  on?(event: 'resize', listener: () => void): unknown;
  off?(event: 'resize', listener: () => void): unknown;
}

/** `line` in at most `width` characters, ending with "…" when it was longer. */
export function cut(line: string, width: number): string {
  const chars = [...line];
  if (chars.length <= width) return line;
  return width <= 1 ? '…'.slice(0, width) : `${chars.slice(0, width - 1).join('')}…`;
}

/** The frame as it fits a width × height screen: lines cut, and a last line saying how many more there are. */
export function fit(lines: readonly string[], width: number, height: number): string[] {
  // The last column stays free: a character written there leaves some terminals waiting to wrap.
  const w = Math.max(10, width - 1);
  const h = Math.max(3, height - 1);
  const shown = lines.length > h ? [...lines.slice(0, h - 1), `… ${lines.length - (h - 1)} more lines`] : [...lines];
  return shown.map((l) => cut(l, w));
}

export class LiveScreen {
  private last: string[] = [];
  private open = false;
  private readonly onResize = () => this.paint();

  constructor(private readonly out: ScreenOut) {}

  private size(): { width: number; height: number } {
    return { width: this.out.columns || 80, height: this.out.rows || 24 };
  }

  /** Shows a new frame (the full set of lines). */
  draw(lines: readonly string[]): void {
    this.last = [...lines];
    if (!this.open) {
      this.open = true;
      // Alternate screen, cursor hidden.
      this.out.write('\x1b[?1049h\x1b[?25l');
      this.out.on?.('resize', this.onResize);
    }
    this.paint();
  }

  private paint(): void {
    if (!this.open) return;
    const { width, height } = this.size();
    // Home, each line cleared to its end, then everything below the frame cleared.
    const body = fit(this.last, width, height)
      .map((l) => `${l}\x1b[K`)
      .join('\r\n');
    this.out.write(`\x1b[H${body}\r\n\x1b[J`);
  }

  /** Leaves the live view: the screen as it was, then the last frame printed once (unless `keepFrame` is false). */
  close(keepFrame = true): void {
    if (!this.open) return;
    this.open = false;
    this.out.off?.('resize', this.onResize);
    // Blank the alternate screen before leaving it. A terminal that reflows the alternate screen back to the width
    // the normal screen was saved at (tmux 3.3a does, when the window was resized while the view was up) wraps the
    // frame's lines there; the rows that no longer fit are pushed above the restored screen and stay in the
    // scrollback as a stale row. An empty screen has nothing to wrap.
    this.out.write('\x1b[H\x1b[2J\x1b[?25h\x1b[?1049l');
    if (keepFrame && this.last.length > 0) {
      const { width } = this.size();
      this.out.write(`${this.last.map((l) => cut(l, Math.max(10, width - 1))).join('\n')}\n`);
    }
  }
}

/** Whether live views may use escape codes on this stream. */
export function canDrawLive(out: { isTTY?: boolean }, env: Record<string, string | undefined>): boolean {
  return !!out.isTTY && env.TERM !== 'dumb';
}
