import type { CheckType, RecoverAction, ServiceStatus } from '../../common/enums.js';
import type { CheckMetrics } from './history.model.js';

/** One finished check, as a checker reports it. */
export interface CheckResult {
  service_id: string;
  /** When the check ran. */
  timestamp: Date;
  status: ServiceStatus;
  check_type?: CheckType;
  status_code?: number | null;
  response_time_ms?: number | null;
  metrics?: Partial<CheckMetrics>;
  error?: string | null;
  error_details?: string | null;
  recovery_attempted?: boolean;
  recovery_action?: RecoverAction | null;
  recovery_success?: boolean | null;
  recovery_message?: string | null;
  /** The check reached the host over SSH, which moves `hosts.last_seen`. */
  host_contacted?: boolean;
}

export interface RecordedCheck {
  history_id: string;
  service_id: string;
  host_id: string;
  timestamp: Date;
  /** When the result was written: what live events carry as `at` and `since` compares with. */
  recorded_at: Date;
  previous_status: ServiceStatus;
  status: ServiceStatus;
  status_changed: boolean;
  consecutive_failures: number;
  /** As the checker measured it (metrics and live series). */
  response_time_ms: number | null;
  tls_days_left: number | null;
  /** Older than the service's latest check: kept in history, the service's state left alone. */
  late: boolean;
}

export interface RecordOutcome {
  recorded: RecordedCheck[];
  /** Results for services that no longer exist (deleted while their check ran); nothing was written for them. */
  unknownServiceIds: string[];
  /** Scheduled results whose lease another worker holds now (this one stalled past it); nothing was written for them. */
  lostLeaseServiceIds: string[];
}
