/** Our operation documents, written against Stigg's schema (wire reference: `stigg-local/schema`). */

const ENTITLEMENT = `isGranted accessDeniedReason customerId resourceId usageLimit hasUnlimitedUsage hasSoftLimit currentUsage
  enumValues entitlementUpdatedAt usageUpdatedAt usagePeriodAnchor usagePeriodStart usagePeriodEnd resetPeriod validUntil
  feature { featureType meterType refId }`;

export const GET_ENTITLEMENTS = `query GetEntitlements($query: FetchEntitlementsQuery!) {
  entitlements: cachedEntitlements(query: $query) { ${ENTITLEMENT} } }`;

export const SDK_CONFIGURATION = `query GetSdkConfiguration { sdkConfiguration { isWidgetWatermarkEnabled } }`;

export const REPORT_USAGE_BULK = `mutation ReportUsageBulk($input: ReportUsageBulkInput!) {
  reportUsageBulk(input: $input) { id customerId resourceId featureId currentUsage usagePeriodStart usagePeriodEnd timestamp } }`;

export const REPORT_USAGE = `mutation ReportUsage($input: ReportUsageInput!) {
  reportUsage(input: $input) { id customerId resourceId featureId currentUsage usagePeriodStart usagePeriodEnd timestamp } }`;

export const REPORT_EVENT = `mutation ReportEvent($input: UsageEventsReportInput!) { reportEvent(events: $input) }`;

const CUSTOMER = `id customerId name email billingId additionalMetaData createdAt updatedAt hasActiveSubscription`;
const INVOICE = `billingId status createdAt dueDate updatedAt errorMessage requiresAction paymentSecret paymentUrl pdfUrl
  billingReason currency subTotal subTotalExcludingTax total totalExcludingTax tax amountDue attemptCount`;
const PRICE = `billingModel billingPeriod billingCadence billingId minUnitQuantity maxUnitQuantity billingCountryCode
  price { amount currency } creditRate { amount } tiersMode tiers { upTo flatPrice { amount currency } unitPrice { amount currency } }
  feature { refId featureUnits featureUnitsPlural displayName description } blockSize`;
const SUBSCRIPTION = `id subscriptionId status startDate endDate cancellationDate effectiveEndDate currentBillingPeriodEnd
  pricingType additionalMetaData resource { resourceId } customer { customerId } plan { refId displayName }
  addons { quantity addon { refId } }
  billingId billingLinkUrl billingSyncError paymentCollection paymentCollectionMethod
  latestInvoice { ${INVOICE} } prices { usageLimit price { ${PRICE} } }
  totalPrice { subTotal { amount currency } total { amount currency } } experimentInfo { name id groupType groupName }`;
// A package entitlement's `featureId` is Stigg's internal id; the feature's own id is `feature.refId`.
const PACKAGE_ENTITLEMENT = `usageLimit hasUnlimitedUsage enumValues resetPeriod feature { refId }`;
const PLAN = `id refId displayName description pricingType product { refId displayName }
  entitlements { ${PACKAGE_ENTITLEMENT} } inheritedEntitlements { ${PACKAGE_ENTITLEMENT} }
  prices { billingPeriod billingCountryCode price { amount currency } }`;
const PROMOTION = `id status usageLimit hasUnlimitedUsage endDate feature { refId }`;

export const PROVISION_CUSTOMER = `mutation ProvisionCustomer($input: ProvisionCustomerInput!) { provisionCustomer(input: $input) {
  customer { ${CUSTOMER} } subscription { ${SUBSCRIPTION} } subscriptionDecisionStrategy } }`;
export const UPDATE_CUSTOMER = `mutation UpdateCustomer($input: UpdateCustomerInput!) { updateCustomer: updateOneCustomer(input: $input) { ${CUSTOMER} } }`;
export const GET_CUSTOMER = `query GetCustomerById($input: GetCustomerByRefIdInput!) { getCustomerByRefId(input: $input) {
  ${CUSTOMER} hasPaymentMethod subscriptions { ${SUBSCRIPTION} } promotionalEntitlements { ${PROMOTION} } } }`;
export const ARCHIVE_CUSTOMER = `mutation ArchiveCustomer($input: ArchiveCustomerInput!) { archiveCustomer(input: $input) { customerId } }`;
export const UNARCHIVE_CUSTOMER = `mutation UnarchiveCustomer($input: UnarchiveCustomerInput!) { unarchiveCustomer(input: $input) { ${CUSTOMER} } }`;
export const PROVISION_SUBSCRIPTION = `mutation ProvisionSubscription($input: ProvisionSubscriptionInput!) {
  provisionSubscription: provisionSubscriptionV2(input: $input) { status checkoutUrl subscription { ${SUBSCRIPTION} } } }`;
export const UPDATE_SUBSCRIPTION = `mutation UpdateSubscription($input: UpdateSubscriptionInput!) {
  updateSubscription: updateOneSubscription(input: $input) { ${SUBSCRIPTION} } }`;
export const CANCEL_SUBSCRIPTION = `mutation CancelSubscription($input: SubscriptionCancellationInput!) { cancelSubscription(input: $input) { ${SUBSCRIPTION} } }`;
export const GET_SUBSCRIPTION = `query GetSubscription($input: GetSubscriptionInput!) { getSubscription(input: $input) { ${SUBSCRIPTION} } }`;
export const GET_ACTIVE_SUBSCRIPTIONS = `query GetActiveSubscriptions($input: GetActiveSubscriptionsInput!) {
  getActiveSubscriptions(input: $input) { ${SUBSCRIPTION} } }`;
export const GET_PAYWALL = `query GetPaywall($input: GetPaywallInput!) { paywall(input: $input) {
  plans { ${PLAN} } currency { code symbol } activeSubscriptions { ${SUBSCRIPTION} } } }`;
export const GET_PRODUCTS = `query GetProducts { products(paging: {first: 100}) { edges { node { refId displayName description } } } }`;
export const GET_COUPONS = `query GetCoupons { coupons(filter: {status: {eq: ACTIVE}}, paging: {first: 100}) { edges { node {
  refId name description type discountValue percentOff status } } } }`;
export const GRANT_PROMOTIONS = `mutation GrantPromotionalEntitlements($input: GrantPromotionalEntitlementsInput!) {
  grantPromotionalEntitlements(input: $input) { ${PROMOTION} } }`;
export const REVOKE_PROMOTION = `mutation RevokePromotionalEntitlement($input: RevokePromotionalEntitlementInput!) {
  revokePromotionalEntitlement(input: $input) { id } }`;

const MONEY = `amount currency`;
const TAX_DETAILS = `taxDetails { displayName percentage inclusive }`;
const PREVIEW = `billingPeriodRange { start end } subTotal { ${MONEY} } total { ${MONEY} } totalExcludingTax { ${MONEY} }
  tax { ${MONEY} } ${TAX_DETAILS} discountAmount { ${MONEY} } discount { type value durationType durationInMonths }
  isPlanDowngrade hasScheduledUpdates
  proration { prorationDate hasProrations credit { ${MONEY} } debit { ${MONEY} } netAmount { ${MONEY} } }
  subscription { subTotal { ${MONEY} } totalExcludingTax { ${MONEY} } total { ${MONEY} } tax { ${MONEY} } }`;
export const ESTIMATE_SUBSCRIPTION = `mutation EstimateSubscription($input: EstimateSubscriptionInput!) {
  estimateSubscription(input: $input) { ${PREVIEW} } }`;
export const ESTIMATE_SUBSCRIPTION_UPDATE = `mutation EstimateSubscriptionUpdate($input: EstimateSubscriptionUpdateInput!) {
  estimateSubscriptionUpdate(input: $input) { ${PREVIEW} } }`;
export const CANCEL_SUBSCRIPTION_UPDATES = `mutation CancelSubscriptionUpdates($input: SubscriptionUpdateScheduleCancellationInput!) {
  cancelSchedule(input: $input) }`;
export const MIGRATE_SUBSCRIPTION = `mutation MigrateSubscriptionToLatest($input: SubscriptionMigrationInput!) {
  migrateSubscriptionToLatest(input: $input) { subscriptionId } }`;
export const APPLY_SUBSCRIPTION = `mutation ApplySubscription($input: ApplySubscriptionInput!) {
  applySubscription(input: $input) { subscription { ${SUBSCRIPTION} } } }`;
export const TRANSFER_TO_RESOURCE = `mutation TransferSubscriptionToResource($input: TransferSubscriptionToResourceInput!) {
  transferSubscriptionToResource(input: $input) { ${SUBSCRIPTION} } }`;
export const DELEGATE_TO_CUSTOMER = `mutation DelegateSubscriptionToCustomer($input: DelegateSubscriptionToCustomerInput!) {
  delegateSubscriptionToCustomer(input: $input) { ${SUBSCRIPTION} } }`;
export const DETACH_PAYMENT_METHOD = `mutation DetachCustomerPaymentMethod($input: DetachCustomerPaymentMethodInput!) {
  detachCustomerPaymentMethod(input: $input) { ${CUSTOMER} } }`;
export const PREVIEW_NEXT_INVOICE = `mutation PreviewNextInvoice($input: PreviewNextInvoiceInput!) { previewNextInvoice(input: $input) {
  amountDue { ${MONEY} } subTotal { ${MONEY} } total { ${MONEY} } totalExcludingTax { ${MONEY} } tax { ${MONEY} } lastUpdatedAt
  lines { type description quantity amount { ${MONEY} } period { start end } proration } } }`;
const PREVIEW_DISCOUNT = `discount { ${MONEY} } discountDetails { type value durationType durationInMonths name }`;
const PREVIEW_INVOICE = `subTotal { ${MONEY} } total { ${MONEY} } totalExcludingTax { ${MONEY} } tax { ${MONEY} } ${TAX_DETAILS}
  ${PREVIEW_DISCOUNT}`;
export const PREVIEW_SUBSCRIPTION = `mutation PreviewSubscription($input: PreviewSubscriptionInput!) { previewSubscription(input: $input) {
  immediateInvoice { ${PREVIEW_INVOICE}
    proration { prorationDate hasProrations credit { ${MONEY} } debit { ${MONEY} } netAmount { ${MONEY} } }
    credits { initial { ${MONEY} } used { ${MONEY} } remaining { ${MONEY} } } }
  recurringInvoice { ${PREVIEW_INVOICE} } billingPeriodRange { start end } isPlanDowngrade hasScheduledUpdates } }`;
export const GRANT_PROMOTIONS_GROUP = `mutation GrantPromotionalEntitlementsGroup($input: GrantPromotionalEntitlementsGroupInput!) {
  grantPromotionalEntitlementsGroup(input: $input) { ${PROMOTION} } }`;
export const REVOKE_PROMOTIONS_GROUP = `mutation RevokePromotionalEntitlementsGroup($input: RevokePromotionalEntitlementsGroupInput!) {
  revokePromotionalEntitlementsGroup(input: $input) { ${PROMOTION} } }`;
export const UNLINK_PROMOTIONS_GROUP = `mutation UnlinkPromotionalEntitlementsGroup($input: UnlinkPromotionalEntitlementsGroupInput!) {
  unlinkPromotionalEntitlementsGroup(input: $input) { ${PROMOTION} } }`;
export const GET_SUBSCRIPTIONS = `query GetSubscriptions($filter: SubscriptionQueryFilter, $paging: CursorPaging) {
  subscriptions(filter: $filter, paging: $paging) { edges { node { subscriptionId status pricingType startDate
  currentBillingPeriodEnd trialEndDate customer { customerId } payingCustomer { customerId } resource { resourceId }
  plan { refId displayName } addons { quantity addon { refId } } trialConfiguration { trialEndBehavior } } }
  pageInfo { startCursor endCursor hasNextPage hasPreviousPage } } }`;
export const GET_CUSTOMER_STATISTICS = `query GetCustomerStatistics($input: GetCustomerByRefIdInput!) { getCustomerByRefId(input: $input) {
  statistics { activeSubscriptionsByPricingType { pricingType totalCount } } } }`;
const CREDIT_GRANT = `grantId customerId resourceId currencyId amount consumedAmount displayName grantType priority comment
  effectiveAt expireAt createdAt updatedAt cost { ${MONEY} } additionalMetaData`;
export const GRANT_CREDITS = `mutation GrantCredits($input: CreditGrantInput!) { createCreditGrant(input: $input) { ${CREDIT_GRANT} } }`;
export const VOID_CREDIT_GRANT = `mutation VoidCreditGrant($input: VoidCreditGrantInput!) { voidCreditGrant(input: $input) { ${CREDIT_GRANT} } }`;
export const GET_CREDIT_GRANTS = `query GetCreditGrants($input: GetCreditGrantsInput!) { creditGrants(input: $input) {
  totalCount edges { node { ${CREDIT_GRANT} } } } }`;
export const GET_CREDIT_BALANCE = `query GetCreditBalance($input: CreditBalanceSummaryInput!) { creditBalanceSummary(input: $input) {
  customerId balances { customerId resourceId currentBalance totalConsumed totalGranted validUntil
  currency { currencyId displayName symbol units { singular plural } } } } }`;
export const GET_USAGE_HISTORY = `query GetUsageHistoryV2($input: UsageHistoryV2Input!) { usageHistoryV2(input: $input) {
  series { tags { key value } points { timestamp value isResetPoint } } markers { timestamp type } } }`;

export const ON_ENTITLEMENTS_UPDATED = `subscription OnEntitlementsUpdated { entitlementsUpdated { customerId resourceId entitlements { ${ENTITLEMENT} } } }`;
export const ON_USAGE_UPDATED = `subscription OnUsageUpdated { usageUpdated { usage { customerId resourceId featureId currentUsage
  usagePeriodStart usagePeriodEnd } entitlement { feature { refId } } } }`;
export const ON_PACKAGE_PUBLISHED = `subscription OnPackagePublished { packagePublished { packageType packageRefId packageVersion migrationType } }`;

export const IMPORT_CUSTOMERS_BULK = `mutation ImportCustomerBulk($input: ImportCustomerBulkInput!) { importCustomersBulk(input: $input) }`;
export const IMPORT_SUBSCRIPTIONS_BULK = `mutation ImportSubscriptionsBulk($input: ImportSubscriptionsBulkInput!) { importSubscriptionsBulk(input: $input) }`;
export const IMPORT_TASK = `query ImportIntegrationTask($id: UUID!) { importIntegrationTasks(filter: {id: {eq: $id}}, paging: {first: 1}) {
  edges { node { id status progress totalSubtasksCount importErrors { id error } } } } }`;
const CATALOG_FEATURE = `feature { refId featureType meterType }`;
export const IMPORT_CATALOG = `query ImportCatalog { paywall(input: {includeHiddenPlans: true}) { plans { refId pricingType product { refId }
  entitlements { ${CATALOG_FEATURE} } inheritedEntitlements { ${CATALOG_FEATURE} }
  compatibleAddons { refId entitlements { ${CATALOG_FEATURE} } } } } }`;
export const CUSTOMER_EXISTS = `query CustomerExists($input: GetCustomerByRefIdInput!) { getCustomerByRefId(input: $input) { customerId } }`;
export const ACTIVE_SUBSCRIPTIONS_OF = `query ActiveSubscriptionsOf($filter: SubscriptionQueryFilter!, $first: Int!) {
  subscriptions(filter: $filter, paging: {first: $first}) { edges { node { customer { customerId } resource { resourceId } plan { refId } } } } }`;
