/**
 * The selections the official SDK reads from Edge responses (EntitlementFragment, SlimSubscriptionFragmentV2,
 * PaywallFragment), run against the same schema so Edge and GraphQL answer alike.
 */
const FEATURE = `feature { __typename featureType meterType featureUnits featureUnitsPlural description displayName refId
  unitTransformation { __typename divide round } }`;

export const ENTITLEMENT_FIELDS = `__typename isGranted accessDeniedReason customerId resourceId usageLimit hasUnlimitedUsage
  hasSoftLimit currentUsage requestedUsage requestedValues enumValues entitlementUpdatedAt usageUpdatedAt usagePeriodAnchor
  usagePeriodStart usagePeriodEnd nextResetDate resetPeriod
  resetPeriodConfiguration { __typename ... on YearlyResetPeriodConfig { yearlyAccordingTo }
    ... on MonthlyResetPeriodConfig { monthlyAccordingTo } ... on WeeklyResetPeriodConfig { weeklyAccordingTo } }
  ${FEATURE} creditRate { __typename amount currencyId } validUntil`;

export const EDGE_ENTITLEMENTS = `query EdgeEntitlements($query: FetchEntitlementsQuery!) {
  entitlements: cachedEntitlements(query: $query) { ${ENTITLEMENT_FIELDS} } }`;

export const EDGE_ACTIVE_SUBSCRIPTIONS = `query EdgeActiveSubscriptions($input: GetActiveSubscriptionsInput!) {
  getActiveSubscriptions(input: $input) { __typename subscriptionId status pricingType startDate cancellationDate
    currentBillingPeriodEnd customer { __typename customerId } payingCustomer { __typename customerId }
    resource { __typename resourceId } plan { __typename planId: refId displayName }
    addons { __typename quantity addon { __typename addonId: refId } }
    trialConfiguration { __typename trialEndBehavior } trialEndDate } }`;

const PACKAGE_ENTITLEMENT = `__typename usageLimit hasUnlimitedUsage hasSoftLimit featureId resetPeriod hiddenFromWidgets isCustom
  displayNameOverride enumValues isGranted feature { __typename featureType meterType featureUnits featureUnitsPlural displayName
  description refId additionalMetaData }`;
const PRICE = `__typename billingModel billingPeriod billingCadence billingId minUnitQuantity maxUnitQuantity billingCountryCode
  price { __typename amount currency } tiersMode tiers { __typename upTo } feature { __typename refId featureUnits
  featureUnitsPlural displayName description } blockSize creditRate { __typename amount currencyId }`;

export const EDGE_PAYWALL = `query EdgePaywall($input: GetPaywallInput!) { paywall(input: $input) { __typename
  plans { __typename id refId displayName description billingId versionNumber additionalMetaData hiddenFromWidgets pricingType
    product { __typename refId displayName description additionalMetaData productSettings { __typename downgradePlan { __typename refId displayName } } }
    basePlan { __typename refId displayName }
    entitlements { ${PACKAGE_ENTITLEMENT} } inheritedEntitlements { ${PACKAGE_ENTITLEMENT} }
    compatibleAddons { __typename id refId displayName description additionalMetaData billingId hiddenFromWidgets pricingType maxQuantity
      entitlements { ${PACKAGE_ENTITLEMENT} } prices { ${PRICE} } overagePrices { ${PRICE} } dependencies { __typename id refId } }
    compatiblePackageGroups { __typename packageGroupId displayName }
    prices { ${PRICE} } overagePrices { ${PRICE} }
    defaultTrialConfig { __typename duration units } }
  currency { __typename code symbol }
  paywallCalculatedPricePoints { __typename planId additionalChargesMayApply billingPeriod amount currency billingCountryCode }
  resource { __typename resourceId } } }`;
