// Reads a text/event-stream response for tests: events as they arrive ({event, data parsed as
// JSON}), comments counted, `next(type)` to wait for one, `ended` once the server closed it.
export interface SseEvent {
  event: string;
  data: unknown;
}

export interface SseReader {
  readonly events: SseEvent[];
  readonly comments: string[];
  readonly ended: boolean;
  /** The first event of this type after index `from` (default: any so far); waits up to `timeoutMs`. */
  next(type: string, options?: { from?: number; timeoutMs?: number }): Promise<SseEvent>;
  /** Resolves when the server ends the stream. */
  closed: Promise<void>;
}

export function readSse(response: Response): SseReader {
  const events: SseEvent[] = [];
  const comments: string[] = [];
  let ended = false;
  const waiters = new Set<() => void>();
  const notify = () => {
    for (const w of [...waiters]) w();
  };
  const reader = response.body!.getReader();
  const decoder = new TextDecoder();
  const closed = (async () => {
    let buffer = '';
    try {
      for (;;) {
        const chunk = await reader.read();
        if (chunk.done) break;
        buffer += decoder.decode(chunk.value, { stream: true });
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          let event = 'message';
          let data: string | undefined;
          for (const line of block.split('\n')) {
            if (line.startsWith(':')) comments.push(line.slice(1).trim());
            else if (line.startsWith('event: ')) event = line.slice(7);
            else if (line.startsWith('data: ')) data = (data === undefined ? '' : `${data}\n`) + line.slice(6);
          }
          if (data !== undefined) events.push({ event, data: JSON.parse(data) as unknown });
          notify();
        }
      }
    } catch {
      // Aborted by the test.
    } finally {
      ended = true;
      notify();
    }
  })();
  return {
    events,
    comments,
    get ended() {
      return ended;
    },
    closed,
    next(type, options = {}) {
      const from = options.from ?? 0;
      const find = () => events.slice(from).find((e) => e.event === type);
      return new Promise<SseEvent>((resolve, reject) => {
        const check = () => {
          const found = find();
          if (found) {
            done();
            resolve(found);
          } else if (ended) {
            done();
            reject(new Error(`stream ended without a ${type} event; got ${events.map((e) => e.event).join(', ') || 'none'}`));
          }
        };
        const timer = setTimeout(() => {
          done();
          reject(new Error(`no ${type} event within ${options.timeoutMs ?? 15_000} ms; got ${events.map((e) => e.event).join(', ') || 'none'}`));
        }, options.timeoutMs ?? 15_000);
        const done = () => {
          clearTimeout(timer);
          waiters.delete(check);
        };
        waiters.add(check);
        check();
      });
    },
  };
}
