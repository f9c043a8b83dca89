import type { RecoverAction } from '../../common/enums.js';
import { ConflictError, NotFoundError } from '../../common/errors.js';
import { EnvironmentModel } from '../environments/environment.model.js';
import type { RecoveryGate, RecoveryOutcome } from '../recovery/recovery.service.js';
import { ServiceModel, type RecoveryApproval, type Service } from '../services/service.model.js';
import { pushTimeline, timelineEntry } from './incident-log.js';
import { IncidentModel, type Incident } from './incident.model.js';

/**
 * `approval_required` on an environment: automatic recovery of its services waits for an operator. The first
 * failed check that would recover asks (the request is kept on the service until it expires); the incident's
 * notification says so; `approveRecovery` runs the action, `declineRecovery` drops the request.
 */
export class RecoveryApprovals implements RecoveryGate {
  constructor(private readonly ttlMs: number) {}

  async hold(service: Service, action: RecoverAction, _historyId: string | null, now: Date): Promise<RecoveryOutcome | null> {
    // Read each time, not cached: it is asked only when a service is down and would be recovered.
    if (!(await EnvironmentModel.exists({ env_name: service.environment, approval_required: true }))) return null;
    const pending = service.recovery_approval;
    if (pending?.approved_by && +pending.expires_at > +now) {
      // An operator approved it (approveRecovery runs the check that brings it here): go ahead, once.
      await ServiceModel.updateOne({ service_id: service.service_id, 'recovery_approval.approved_by': pending.approved_by }, { $set: { recovery_approval: null } }, { timestamps: false });
      return null;
    }
    let expires = pending && +pending.expires_at > +now ? pending.expires_at : null;
    if (!expires) {
      expires = new Date(+now + this.ttlMs);
      const request: RecoveryApproval = { action, requested_at: now, expires_at: expires, approved_by: null };
      // Guarded: a request another process made meanwhile stays as it is.
      await ServiceModel.updateOne(
        { service_id: service.service_id, $or: [{ recovery_approval: null }, { 'recovery_approval.expires_at': { $lte: now } }] },
        { $set: { recovery_approval: request } },
        { timestamps: false },
      );
    }
    return { attempted: false, action: null, success: null, message: `${action} waits for an operator's approval (approveRecovery) until ${expires.toISOString()}`, recheck: null, gaveUp: false };
  }

  /**
   * Approves the service's pending request for an open incident (once: a second approval finds none); the caller
   * then runs the recovery, which the gate lets through. Throws when nothing waits for approval.
   */
  async take(incidentId: string, actor: string, now = new Date()): Promise<{ incident: Incident; action: RecoverAction }> {
    const incident = await IncidentModel.findOne({ incident_id: incidentId }, { timeline: 0 }).lean<Incident>();
    if (!incident) throw new NotFoundError('incident', incidentId);
    if (incident.state === 'resolved') throw new ConflictError(`incident '${incidentId}' is RESOLVED: there is nothing to recover`);
    const taken = await ServiceModel.findOneAndUpdate(
      { service_id: incident.service_id, 'recovery_approval.expires_at': { $gt: now }, 'recovery_approval.approved_by': null },
      { $set: { 'recovery_approval.approved_by': actor } },
      { projection: { recovery_approval: 1 }, timestamps: false },
    ).lean<Pick<Service, 'recovery_approval'>>();
    if (!taken?.recovery_approval) throw new ConflictError(`no recovery of ${incident.service_id} is waiting for approval (none was asked, or it expired)`);
    await IncidentModel.updateOne({ incident_id: incidentId }, { $push: pushTimeline(timelineEntry('note', now, { actor, message: `approved recovery: ${taken.recovery_approval.action}` })) });
    return { incident, action: taken.recovery_approval.action };
  }

  async decline(incidentId: string, actor: string, note: string | null, now = new Date()): Promise<Incident> {
    const incident = await IncidentModel.findOne({ incident_id: incidentId }, { timeline: 0 }).lean<Incident>();
    if (!incident) throw new NotFoundError('incident', incidentId);
    const dropped = await ServiceModel.findOneAndUpdate(
      { service_id: incident.service_id, 'recovery_approval.expires_at': { $gt: now } },
      { $set: { recovery_approval: null } },
      { projection: { recovery_approval: 1 }, timestamps: false },
    ).lean<Pick<Service, 'recovery_approval'>>();
    if (!dropped?.recovery_approval) throw new ConflictError(`no recovery of ${incident.service_id} is waiting for approval (none was asked, or it expired)`);
    const message = `declined recovery: ${dropped.recovery_approval.action}${note ? ` (${note.slice(0, 2_000)})` : ''}`;
    return (await IncidentModel.findOneAndUpdate({ incident_id: incidentId }, { $push: pushTimeline(timelineEntry('note', now, { actor, message })) }, { returnDocument: 'after' }).lean<Incident>())!;
  }

  /** After an approved recovery ran (or was not needed: the service was up again), no approval is left behind. */
  async settle(serviceId: string): Promise<void> {
    await ServiceModel.updateOne({ service_id: serviceId, 'recovery_approval.approved_by': { $ne: null } }, { $set: { recovery_approval: null } }, { timestamps: false });
  }

  /** The service's pending request, if any and not expired. */
  async pending(serviceId: string, now = new Date()): Promise<RecoveryApproval | null> {
    const service = await ServiceModel.findOne({ service_id: serviceId }, { recovery_approval: 1 }).lean<Pick<Service, 'recovery_approval'>>();
    const request = service?.recovery_approval;
    return request && +request.expires_at > +now ? request : null;
  }
}
