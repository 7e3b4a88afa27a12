// `sloctl gate FILE --from RESULT`: judge the contract on a load run another tool made (vegeta
// results or report, a k6 summary, a saved `sloctl load --json`). Only the client's view exists:
// no target was started, no metrics scraped, and the other tool did not check itself, so the
// report says which objectives it could judge and which it could not, and why.
import type { Contract } from '../contract/schema.ts';
import { EXIT } from '../errors.ts';
import type { LoadResult } from '../load/types.ts';
import type { GateReport } from '../verdicts/types.ts';
import { failureReasons, judgeObjectives, unmeasurableReasons } from '../verdicts/objectives.ts';
import { routeEvidence, routeReports } from '../verdicts/routes.ts';

export interface ImportedGateOptions {
  contract: Contract;
  contractFile: string;
  result: LoadResult;
  /** The result file as the user named it. */
  from: string;
}

export function judgeImported(o: ImportedGateOptions): GateReport {
  const { contract, result } = o;
  const now = Date.now();
  const service = { slos: [], unavailable: `an imported ${result.source} result has only the client's view` };
  const routes = routeEvidence(contract, result, undefined);
  const verdicts = judgeObjectives(contract, { client: result, service, routes }).filter((v) => v.contract !== 'memory');
  // What the reader should know about the evidence, whatever the outcome: the report's notes.
  const notes: string[] = [`judged on ${o.from} (${result.source}, ${result.model} model): the client's view only; the service was not scraped`];
  if (result.generator === undefined) notes.push(`${result.source} does not report whether it kept to its schedule: a generator that fell behind would go unnoticed`);
  else if (!result.generator.ok) {
    return {
      ...base(o, now, verdicts),
      outcome: 'inconclusive',
      exitCode: EXIT.INCONCLUSIVE,
      reasons: [`the load generator could not deliver the profile, so the numbers cannot judge the service: ${result.generator.reasons.join('; ')}`],
      notes,
    };
  }
  if (result.model === 'closed') notes.push('a closed-model run hides queueing (coordinated omission): its latency is a lower bound');
  notes.push(...result.notes.map((n) => `${result.source}: ${n}`));
  const failed = failureReasons(verdicts);
  const judged = verdicts.filter((v) => v.verdict !== 'skipped');
  const unmeasured = unmeasurableReasons(verdicts);
  if (failed.length > 0) return { ...base(o, now, verdicts), outcome: 'fail', exitCode: EXIT.FAILED, reasons: failed, notes: [...unmeasured, ...notes] };
  if (unmeasured.length > 0) return { ...base(o, now, verdicts), outcome: 'inconclusive', exitCode: EXIT.INCONCLUSIVE, reasons: unmeasured, notes };
  if (judged.length === 0) return { ...base(o, now, verdicts), outcome: 'inconclusive', exitCode: EXIT.INCONCLUSIVE, reasons: ['no objective could be judged from this result'], notes };
  return { ...base(o, now, verdicts), outcome: 'pass', exitCode: EXIT.OK, reasons: [], notes };
}

function base(o: ImportedGateOptions, now: number, verdicts: GateReport['verdicts']): Omit<GateReport, 'outcome' | 'exitCode' | 'reasons' | 'notes'> {
  const r = o.result;
  return {
    service: o.contract.service.name,
    contractFile: o.contractFile,
    startedAt: r.startedAt || now,
    finishedAt: now,
    target: { url: r.url, started: false },
    profile: { rate: r.model === 'closed' ? 'max' : r.generator?.requestedRate ?? (r.durationMs > 0 ? Math.round((r.sent / r.durationMs) * 1000) : 0), durationMs: r.durationMs, warmupMs: 0, connections: 0, trials: 1, workers: r.generator?.workers ?? 1 },
    verdicts,
    routes: routeReports(o.contract, routeEvidence(o.contract, r, undefined), verdicts),
    trials: [],
    generator: r.generator,
    load: r,
    journal: '',
  };
}
