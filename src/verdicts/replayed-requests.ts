// Requests the load generator sent a second time: each went out on a reused keep-alive connection
// that closed before any byte of its answer, and went again on a new connection (idempotent
// methods only; src/load/http1-connection.ts). Judged by what the second attempt got, as a Go
// client or a browser would have seen it, with both attempts in its latency. A few in a run are
// HTTP/1.1's keep-alive race (a server closing a connection as idle just as a request left on
// it); many say the service closes connections it was sent requests on, which the verdicts
// cannot show, so the reader is told, whatever the outcome.
//
// Pure: data in, text out.
import type { LoadResult } from '../measure/types.ts';

/** Past this share of the requests sent, the note says it is more than the keep-alive race. */
export const REPLAYED_MANY_SHARE = 0.001;

/** The note on the requests sent again, or undefined when none was. */
export function replayedRequestsNote(load: LoadResult): string | undefined {
  const rows = load.routes.filter((r) => (r.replayed ?? 0) > 0);
  if (rows.length === 0) return undefined;
  const n = rows.reduce((a, r) => a + (r.replayed ?? 0), 0);
  const share = load.sent > 0 ? n / load.sent : 1;
  const each = rows.map((r) => `${r.name} ${r.replayed!.toLocaleString('en-US')} of ${r.sent.toLocaleString('en-US')}`).join(', ');
  const why = share > REPLAYED_MANY_SHARE
    ? `that is more than the keep-alive race (a connection closed as idle just as a request left on it) explains: the service, or something in front of it, closes connections it was sent requests on (a crash, an idle timeout shorter than its Keep-Alive hint says)`
    : `a few are HTTP/1.1's keep-alive race (a connection closed as idle just as a request left on it)`;
  return `${n.toLocaleString('en-US')} request${n === 1 ? '' : 's'} (${+(share * 100).toPrecision(2)}% of ${load.sent.toLocaleString('en-US')} sent: ${each}) went out on a reused keep-alive connection that closed before any byte of an answer, and ${n === 1 ? 'was' : 'were'} sent again on a new connection, as Go's client and browsers do (idempotent methods only); counted by what the second attempt got, both attempts in the latency; ${why}`;
}
