import { HeartbeatModel, type Heartbeat } from '../heartbeats/heartbeat.model.js';
import { judgeHeartbeat } from '../heartbeats/heartbeat-verdict.js';
import type { Service } from '../services/service.model.js';
import { abortable, type Checker, type CheckOutcome } from './checker.js';

/**
 * A heartbeat (push) service is not reached: a job pings it (`/ping/<token>`, heartbeats/ping-route.ts). The
 * check reads what the job last said and judges it (heartbeat-verdict.ts); it asks to run again at the moment the
 * service would go down without another ping, and each ping runs it at once.
 */
export class HeartbeatChecker implements Checker {
  readonly method = 'heartbeat' as const;

  async check(service: Service, _host: unknown, signal: AbortSignal): Promise<CheckOutcome> {
    const state = await abortable(HeartbeatModel.findOne({ service_id: service.service_id }).lean<Heartbeat>().exec(), signal);
    return judgeHeartbeat(state, service.monitoring, new Date());
  }
}
