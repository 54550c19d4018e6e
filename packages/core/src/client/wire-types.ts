import type { AccessDeniedReason, FeatureType, ResetPeriod } from '../decision/types.js';

/** An `Entitlement` as our GetEntitlements document selects it. */
export interface WireEntitlement {
  isGranted: boolean;
  accessDeniedReason: AccessDeniedReason | null;
  customerId: string | null;
  resourceId: string | null;
  usageLimit: number | null;
  hasUnlimitedUsage: boolean;
  hasSoftLimit: boolean | null;
  currentUsage: number | null;
  enumValues: string[] | null;
  entitlementUpdatedAt: string | null;
  usageUpdatedAt: string | null;
  usagePeriodAnchor: string | null;
  usagePeriodStart: string | null;
  usagePeriodEnd: string | null;
  resetPeriod: ResetPeriod | null;
  validUntil: number | null;
  feature: { featureType: FeatureType; meterType: 'None' | 'Fluctuating' | 'Incremental' | null; refId: string } | null;
}

export interface UsageAck {
  id: string;
  customerId: string;
  resourceId: string | null;
  featureId: string;
  currentUsage: number | null;
  usagePeriodStart: string | null;
  usagePeriodEnd: string | null;
  timestamp: string;
}

export interface UsageUpdatedEvent {
  customerId: string;
  resourceId: string | null;
  featureId: string;
  currentUsage: number;
  /** Epoch ms (Stigg sends numbers on this event). */
  usagePeriodStart: number | null;
  usagePeriodEnd: number | null;
}
