// The stigg-local dashboard: reads `GET /_admin/events` (server-sent events: a snapshot, then changes) and acts
// through the JSON admin routes. Every value taken from data reaches the page as text (textContent, attribute
// values), never as markup: a customer id may hold any characters.

const TOKEN_KEY = 'stigg-local-admin-token';
const CUSTOMERS_SHOWN = 100;

const state = {
  catalog: null,
  catalogVersion: 0,
  /** customerId -> { view, card } in the order shown */
  customers: new Map(),
  total: 0,
  search: '',
  activity: null,
  controls: null,
  streams: [],
};

const $ = (id) => document.getElementById(id);
const numbers = new Intl.NumberFormat('en-US');
const formatNumber = (n) => numbers.format(n);

/** An element: `props` are properties (`className`, `value`, `type`...) or, for `data-*`, `aria-*` and `role`, attributes; strings among `children` become text. */
function h(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith('data-') || key.startsWith('aria-') || key === 'role' || key === 'title')
      node.setAttribute(key, String(value));
    else if (key.startsWith('on')) node.addEventListener(key.slice(2), value);
    else node[key] = value;
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(typeof child === 'string' || typeof child === 'number' ? String(child) : child);
  }
  return node;
}

// ---------------------------------------------------------------------------------------------------------------
// Admin calls

function authHeaders() {
  const token = sessionStorage.getItem(TOKEN_KEY);
  return token ? { authorization: `Bearer ${token}` } : {};
}

async function api(method, path, body) {
  const res = await fetch(path, {
    method,
    headers: { ...authHeaders(), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = await res.json().catch(() => ({}));
  if (res.status === 401) lock();
  if (!res.ok) throw new Error(json?.error?.message ?? `HTTP ${res.status}`);
  return json;
}

let toastTimer = null;
function toast(message, kind = 'info') {
  const el = $('toast');
  el.textContent = message;
  el.dataset.kind = kind;
  el.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => (el.hidden = true), kind === 'error' ? 6000 : 3000);
}

/** Runs an admin action from a control: the control is disabled meanwhile; errors are shown, not thrown. */
async function act(control, action, done) {
  if (control) control.disabled = true;
  try {
    const result = await action();
    if (done) toast(typeof done === 'function' ? done(result) : done);
  } catch (err) {
    toast(err.message, 'error');
  } finally {
    if (control) control.disabled = false;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// The event stream (fetch, not EventSource, so that an admin token can be sent as a header)

function setConnection(name, label) {
  const el = $('connection');
  el.dataset.state = name;
  el.textContent = label;
}

let streamGeneration = 0;

async function connect() {
  const generation = ++streamGeneration;
  for (let attempt = 0; generation === streamGeneration; attempt++) {
    try {
      const res = await fetch('/_admin/events', { headers: authHeaders(), cache: 'no-store' });
      if (res.status === 401) return lock();
      if (!res.ok || !res.body) throw new Error(`HTTP ${res.status}`);
      attempt = 0;
      const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
      const parser = eventParser(receive);
      for (;;) {
        const { value, done } = await reader.read();
        if (done || generation !== streamGeneration) break;
        parser(value);
      }
    } catch {
      // reconnect below
    }
    if (generation !== streamGeneration) return;
    setConnection('reconnecting', 'Reconnecting');
    await new Promise((resolve) => setTimeout(resolve, Math.min(5000, 500 * 2 ** attempt)));
  }
}

/**
 * A server-sent events parser: feed it text as it arrives; it calls `dispatch(event, data)` per event. Line by
 * line, the pieces of a line joined once it is complete, so a large event costs its size, not its size squared.
 */
function eventParser(dispatch) {
  let pieces = [];
  let event = 'message';
  let data = [];
  return (text) => {
    const lines = text.split('\n');
    for (let i = 0; i < lines.length - 1; i++) {
      pieces.push(lines[i]);
      const line = pieces.join('').replace(/\r$/, '');
      pieces = [];
      if (line === '') {
        if (data.length > 0) dispatch(event, data.join('\n'));
        event = 'message';
        data = [];
      } else if (line.startsWith('event:')) event = line.slice(6).trim();
      else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
    }
    pieces.push(lines[lines.length - 1]);
  };
}

function receive(event, data) {
  const payload = JSON.parse(data);
  switch (event) {
    case 'snapshot':
      applySnapshot(payload);
      setConnection('live', 'Live');
      break;
    case 'customers':
      state.total = payload.total;
      for (const view of payload.customers) upsertCustomer(view, true);
      renderCustomerCount();
      break;
    case 'catalog':
      setCatalog(payload.version, payload.catalog);
      break;
    case 'activity':
      renderActivity(payload.activity);
      break;
    case 'controls':
      renderControls(payload.controls);
      break;
    case 'streams':
      renderStreams(payload.streams);
      break;
  }
}

function applySnapshot(snapshot) {
  setCatalog(snapshot.catalog.version, snapshot.catalog.catalog);
  renderActivity(snapshot.activity);
  renderControls(snapshot.controls);
  renderStreams(snapshot.streams);
  if (state.search) void loadCustomers();
  else showCustomers(snapshot.customers);
}

// ---------------------------------------------------------------------------------------------------------------
// Customers

async function loadCustomers() {
  const query = new URLSearchParams({ limit: String(CUSTOMERS_SHOWN) });
  if (state.search) query.set('search', state.search);
  try {
    showCustomers(await api('GET', `/_admin/customers?${query}`));
  } catch (err) {
    toast(err.message, 'error');
  }
}

function showCustomers(page) {
  state.total = page.total;
  const keep = new Set(page.customers.map((c) => c.customerId));
  for (const [id, entry] of state.customers) {
    if (!keep.has(id)) {
      entry.card.root.remove();
      state.customers.delete(id);
    }
  }
  for (const view of page.customers) upsertCustomer(view, false);
  // Keep the server's order.
  const list = $('customer-list');
  for (const view of page.customers) list.append(state.customers.get(view.customerId).card.root);
  renderCustomerCount();
}

function matchesSearch(view) {
  const needle = state.search.toLowerCase();
  if (!needle) return true;
  return [view.customerId, view.name, view.email].some((v) => v?.toLowerCase().includes(needle));
}

function upsertCustomer(view, flash) {
  const entry = state.customers.get(view.customerId);
  if (entry) {
    entry.view = view;
    updateCard(entry.card, view);
    if (flash) flashCard(entry.card.root);
    return;
  }
  if (!matchesSearch(view) || state.customers.size >= CUSTOMERS_SHOWN) return;
  const card = createCard(view);
  state.customers.set(view.customerId, { view, card });
  $('customer-list').append(card.root);
}

function flashCard(root) {
  root.classList.add('flash');
  clearTimeout(root.flashTimer);
  root.flashTimer = setTimeout(() => root.classList.remove('flash'), 700);
}

function renderCustomerCount() {
  const shown = state.customers.size;
  $('customer-count').textContent =
    shown === state.total ? `${formatNumber(shown)}` : `${formatNumber(shown)} of ${formatNumber(state.total)}`;
  $('customer-empty').hidden = shown > 0;
}

function initials(view) {
  const source = (view.name || view.customerId).trim();
  const letters = source
    .split(/[\s\-_.@]+/)
    .filter(Boolean)
    .slice(0, 2)
    .map((w) => [...w][0]?.toUpperCase() ?? '');
  return letters.join('') || '?';
}

function createCard(view) {
  const card = {};
  card.avatar = h('div', { className: 'avatar', 'aria-hidden': 'true' });
  card.name = h('div', { className: 'name' });
  card.id = h('div', { className: 'id mono' });
  card.email = h('div', { className: 'muted small' });
  card.archived = h('span', { className: 'badge archived', hidden: true }, 'archived');
  card.plans = h('div', { className: 'badges' });
  card.meters = h('div', { className: 'meters' });
  card.chips = h('div', { className: 'chips' });
  card.meterRows = new Map();

  card.planSelect = h('select', { 'aria-label': 'Plan', 'data-role': 'plan-select' });
  // Once a plan is chosen here, updates no longer move the selection (until the move is done).
  card.planSelect.addEventListener('change', () => (card.planSelect.dataset.touched = '1'));
  card.moveButton = h('button', { type: 'button', className: 'button', 'data-role': 'move-plan' }, 'Move to plan');
  card.moveButton.addEventListener('click', () => {
    const planId = card.planSelect.value;
    if (!planId) return;
    const customerId = card.view.customerId;
    void act(
      card.moveButton,
      async () => {
        await api('PUT', `/_admin/customers/${encodeURIComponent(customerId)}/plan`, { planId });
        delete card.planSelect.dataset.touched;
      },
      `${customerId} moved to ${planName(planId)}`,
    );
  });

  card.usageFeature = h('select', { 'aria-label': 'Metered feature', 'data-role': 'usage-feature' });
  card.usageValue = h('input', {
    type: 'number',
    min: '0',
    step: 'any',
    placeholder: 'usage',
    'aria-label': 'Usage value',
    'data-role': 'usage-value',
  });
  card.usageButton = h('button', { type: 'button', className: 'button', 'data-role': 'set-usage' }, 'Set usage');
  card.usageButton.addEventListener('click', () => {
    const [resourceId, featureId] = JSON.parse(card.usageFeature.value || '[null,null]');
    const value = Number(card.usageValue.value);
    if (!featureId || card.usageValue.value === '' || !Number.isFinite(value)) {
      toast('Choose a metered feature and a usage value', 'error');
      return;
    }
    const customerId = card.view.customerId;
    void act(
      card.usageButton,
      () =>
        api('PUT', `/_admin/customers/${encodeURIComponent(customerId)}/usage`, {
          featureId,
          value,
          ...(resourceId ? { resourceId } : {}),
        }),
      `${featureName(featureId)} of ${customerId} set to ${formatNumber(value)}`,
    );
  });
  card.usageRow = h('div', { className: 'row' }, card.usageFeature, card.usageValue, card.usageButton);

  card.root = h(
    'article',
    { className: 'customer', 'data-customer-id': view.customerId },
    h(
      'div',
      { className: 'customer-head' },
      card.avatar,
      h('div', { className: 'who' }, card.name, card.id, card.email),
      card.archived,
    ),
    card.plans,
    card.meters,
    card.chips,
    h(
      'div',
      { className: 'customer-actions' },
      h('div', { className: 'row' }, card.planSelect, card.moveButton),
      card.usageRow,
    ),
  );
  card.view = view;
  fillPlanOptions(card);
  updateCard(card, view);
  return card;
}

function updateCard(card, view) {
  card.view = view;
  card.avatar.textContent = initials(view);
  card.name.textContent = view.name || view.customerId;
  card.id.textContent = view.customerId;
  card.id.hidden = !view.name;
  card.email.textContent = view.email ?? '';
  card.email.hidden = !view.email;
  card.archived.hidden = !view.archived;

  card.plans.replaceChildren(
    ...(view.subscriptions.length === 0
      ? [h('span', { className: 'no-subscription' }, 'No subscription')]
      : view.subscriptions.flatMap((s) => [
          h(
            'span',
            { className: `badge plan status-${s.status}`, 'data-plan-id': s.planId, title: s.subscriptionId },
            s.planName,
            s.status === 'ACTIVE' ? null : h('span', { className: 'dim' }, s.status.toLowerCase().replace('_', ' ')),
            s.resourceId ? h('span', { className: 'dim' }, `· ${s.resourceId}`) : null,
          ),
          ...s.addons.map((a) =>
            h(
              'span',
              { className: 'badge', 'data-addon-id': a.addonId },
              `+ ${addonName(a.addonId)}`,
              a.quantity > 1 ? ` × ${a.quantity}` : '',
            ),
          ),
        ])),
  );

  // Usage bars, updated in place so that they move.
  const metered = view.entitlements.filter((e) => e.metered);
  const seen = new Set();
  for (const e of metered) {
    const key = JSON.stringify([e.resourceId, e.featureId]);
    seen.add(key);
    let row = card.meterRows.get(key);
    if (!row) {
      row = createMeter(e);
      card.meterRows.set(key, row);
      card.meters.append(row.root);
    }
    updateMeter(row, e);
  }
  for (const [key, row] of card.meterRows) {
    if (!seen.has(key)) {
      row.root.remove();
      card.meterRows.delete(key);
    }
  }

  card.chips.replaceChildren(...view.entitlements.filter((e) => !e.metered).map(entitlementChip));

  const options = metered.map((e) => ({
    value: JSON.stringify([e.resourceId, e.featureId]),
    label: e.resourceId ? `${e.featureName} (${e.resourceId})` : e.featureName,
  }));
  setOptions(card.usageFeature, options);
  card.usageRow.hidden = options.length === 0;
  const current = view.subscriptions.find((s) => !s.resourceId)?.planId;
  if (current && !card.planSelect.dataset.touched) card.planSelect.value = current;
}

function createMeter(e) {
  const row = {};
  row.label = h('span', { className: 'meter-label' });
  row.figure = h('span', { className: 'meter-figure' });
  row.fill = h('div', { className: 'bar-fill' });
  row.bar = h('div', { className: 'bar', role: 'progressbar', 'aria-valuemin': '0' }, row.fill);
  row.note = h('div', { className: 'meter-note' });
  row.root = h(
    'div',
    { className: 'meter', 'data-feature-id': e.featureId, 'data-resource-id': e.resourceId ?? '' },
    h('div', { className: 'meter-top' }, row.label, row.figure),
    row.bar,
    row.note,
  );
  return row;
}

function updateMeter(row, e) {
  const used = e.currentUsage ?? 0;
  const units = e.units ? ` ${e.units}` : '';
  row.label.textContent = e.resourceId ? `${e.featureName} · ${e.resourceId}` : e.featureName;
  row.bar.setAttribute('aria-label', `${e.featureName} usage`);
  row.bar.setAttribute('aria-valuenow', String(used));
  if (e.hasUnlimitedUsage || e.usageLimit === null) {
    row.figure.replaceChildren(h('strong', {}, formatNumber(used)), `${units} · unlimited`);
    row.bar.dataset.level = 'unlimited';
    row.bar.removeAttribute('aria-valuemax');
    row.fill.style.width = '100%';
  } else {
    const ratio = e.usageLimit > 0 ? used / e.usageLimit : used > 0 ? 1 : 0;
    row.figure.replaceChildren(h('strong', {}, formatNumber(used)), ` / ${formatNumber(e.usageLimit)}${units}`);
    row.bar.dataset.level = ratio >= 1 ? 'full' : ratio >= 0.75 ? 'high' : 'ok';
    row.bar.setAttribute('aria-valuemax', String(e.usageLimit));
    // A sliver shows that some usage exists even when it is a tiny share of the limit.
    row.fill.style.width = `${used > 0 ? Math.max(1.5, Math.min(100, ratio * 100)) : 0}%`;
  }
  const notes = [];
  if (e.hasSoftLimit) notes.push('soft limit');
  if (e.nextResetDate) notes.push(`resets ${formatDate(e.nextResetDate)}`);
  else notes.push('never resets');
  row.note.textContent = notes.join(' · ');
}

function entitlementChip(e) {
  let value = null;
  if (e.featureType === 'ENUM') value = (e.enumValues ?? []).join(', ');
  else if (e.featureType === 'NUMBER')
    value = e.hasUnlimitedUsage ? 'unlimited' : e.usageLimit === null ? '' : formatNumber(e.usageLimit);
  return h(
    'span',
    { className: 'chip', 'data-feature-id': e.featureId },
    h('strong', {}, e.featureName),
    value ? ` ${value}` : ' ✓',
    e.resourceId ? ` (${e.resourceId})` : '',
  );
}

function setOptions(select, options) {
  const signature = JSON.stringify(options);
  if (select.dataset.signature === signature) return;
  const previous = select.value;
  select.replaceChildren(...options.map((o) => h('option', { value: o.value }, o.label)));
  select.dataset.signature = signature;
  if (options.some((o) => o.value === previous)) select.value = previous;
}

function fillPlanOptions(card) {
  const plans = state.catalog?.plans ?? [];
  setOptions(
    card.planSelect,
    plans.map((p) => ({ value: p.id, label: `${p.displayName} (${p.id})` })),
  );
}

// ---------------------------------------------------------------------------------------------------------------
// Catalog

const planName = (id) => state.catalog?.plans.find((p) => p.id === id)?.displayName ?? id;
const addonName = (id) => state.catalog?.addons?.find((a) => a.id === id)?.displayName ?? id;
const featureName = (id) => state.catalog?.features.find((f) => f.id === id)?.displayName ?? id;

function setCatalog(version, catalog) {
  state.catalog = catalog;
  state.catalogVersion = version;
  $('environment').textContent = `${catalog.environmentId ?? 'env-tollgate-local'} · catalog v${version}`;
  for (const { card } of state.customers.values()) fillPlanOptions(card);
  renderCatalog(catalog);
}

function formatDate(iso) {
  const date = new Date(iso);
  const inADay = date.getTime() - Date.now() < 24 * 3600 * 1000;
  return date.toLocaleString(
    'en-US',
    inADay ? { hour: '2-digit', minute: '2-digit' } : { month: 'short', day: 'numeric' },
  );
}

function priceLabel(plan) {
  const type = plan.pricingType ?? (plan.prices?.length ? 'PAID' : 'FREE');
  if (type === 'FREE') return 'Free';
  if (type === 'CUSTOM' || !plan.prices?.length) return 'Custom';
  const monthly = plan.prices.find((p) => p.billingPeriod === 'MONTHLY') ?? plan.prices[0];
  const currency = monthly.currency ?? 'USD';
  let amount;
  try {
    amount = new Intl.NumberFormat('en-US', {
      style: 'currency',
      currency,
      minimumFractionDigits: Number.isInteger(monthly.amount) ? 0 : 2,
    }).format(monthly.amount);
  } catch {
    amount = `${monthly.amount} ${currency}`;
  }
  return `${amount}/${monthly.billingPeriod === 'MONTHLY' ? 'mo' : 'yr'}`;
}

function grantLabel(entitlement, perUnit) {
  const feature = state.catalog.features.find((f) => f.id === entitlement.feature);
  if (!feature) return '';
  if (feature.type === 'BOOLEAN') return 'included';
  if (feature.type === 'ENUM') return (entitlement.values ?? []).join(', ');
  if (entitlement.limit === 'unlimited') return 'unlimited';
  if (entitlement.limit === undefined) return '';
  const units = feature.unitsPlural ?? feature.units ?? '';
  const reset = entitlement.resetPeriod ?? feature.resetPeriod;
  return `${perUnit ? '+' : ''}${formatNumber(entitlement.limit)} ${units}${reset ? ` / ${reset.toLowerCase()}` : ''}`.trim();
}

function packageCard(pkg, priceText, note, perUnit) {
  return h(
    'div',
    { className: 'package', 'data-package-id': pkg.id },
    h(
      'div',
      { className: 'package-head' },
      h('span', { className: 'package-name' }, pkg.displayName),
      h('span', { className: 'price' }, priceText),
    ),
    h('div', { className: 'id mono' }, pkg.id, note ? ` · ${note}` : ''),
    h(
      'ul',
      {},
      pkg.entitlements.map((e) =>
        h('li', {}, h('span', {}, featureName(e.feature)), h('span', {}, grantLabel(e, perUnit))),
      ),
    ),
  );
}

function renderCatalog(catalog) {
  const addons = catalog.addons ?? [];
  $('catalog-summary').textContent =
    `${catalog.products.length} product${catalog.products.length === 1 ? '' : 's'} · ${catalog.plans.length} plans · ` +
    `${catalog.features.length} features · ${addons.length} add-on${addons.length === 1 ? '' : 's'}`;
  const sections = [
    h(
      'div',
      { className: 'catalog-section' },
      h('h3', {}, 'Plans'),
      h(
        'div',
        { className: 'cards' },
        catalog.plans.map((p) =>
          packageCard(p, priceLabel(p), p.basePlan ? `includes ${planName(p.basePlan)}` : p.product, false),
        ),
      ),
    ),
  ];
  if (addons.length > 0) {
    sections.push(
      h(
        'div',
        { className: 'catalog-section' },
        h('h3', {}, 'Add-ons'),
        h(
          'div',
          { className: 'cards' },
          addons.map((a) =>
            packageCard(
              a,
              a.prices?.length ? priceLabel(a) : '',
              `for ${a.compatiblePlans.map(planName).join(', ')}`,
              true,
            ),
          ),
        ),
      ),
    );
  }
  sections.push(
    h(
      'div',
      { className: 'catalog-section' },
      h('h3', {}, 'Features'),
      h(
        'table',
        { className: 'features' },
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            ['Feature', 'Id', 'Type', 'Metering', 'Units'].map((t) => h('th', { scope: 'col' }, t)),
          ),
        ),
        h(
          'tbody',
          {},
          catalog.features.map((f) =>
            h(
              'tr',
              { 'data-feature-id': f.id },
              h('td', {}, f.displayName),
              h('td', { className: 'mono' }, f.id),
              h('td', {}, f.type.toLowerCase()),
              h(
                'td',
                {},
                f.type === 'NUMBER' && f.meterType && f.meterType !== 'None'
                  ? `${f.meterType.toLowerCase()}${f.resetPeriod ? `, resets every ${f.resetPeriod.toLowerCase()}` : ''}${f.eventName ? `, event ${f.eventName}` : ''}`
                  : f.type === 'ENUM'
                    ? (f.enumValues ?? []).join(', ')
                    : '',
              ),
              h('td', {}, f.unitsPlural ?? f.units ?? ''),
            ),
          ),
        ),
      ),
    ),
  );
  $('catalog').replaceChildren(...sections);
}

// ---------------------------------------------------------------------------------------------------------------
// Calls, streams, faults and limits

/** A small bar beside a figure; sized through the CSSOM (the page's policy allows no inline style attributes). */
function spark(share) {
  const el = h('span', { className: 'spark' });
  el.style.width = `${Math.round(share * 36)}px`;
  return el;
}

function renderActivity(activity) {
  state.activity = activity;
  const refused = activity.rateLimited?.calls ?? {};
  const fields = Object.keys(activity.calls).sort(
    (a, b) =>
      (activity.lastMinute[b] ?? 0) - (activity.lastMinute[a] ?? 0) ||
      activity.calls[b] - activity.calls[a] ||
      a.localeCompare(b),
  );
  const busiest = Math.max(1, ...fields.map((f) => activity.lastMinute[f] ?? 0));
  $('calls-body').replaceChildren(
    ...fields.map((field) => {
      const recent = activity.lastMinute[field] ?? 0;
      return h(
        'tr',
        { 'data-operation': field },
        h('td', { className: 'op' }, field),
        h('td', { className: 'num' }, recent >= 1000 ? '1,000+' : formatNumber(recent), spark(recent / busiest)),
        h('td', { className: 'num' }, formatNumber(activity.calls[field])),
        h(
          'td',
          { className: `num${refused[field] ? ' refused' : ''}` },
          refused[field] ? formatNumber(refused[field]) : '–',
        ),
      );
    }),
  );
  $('calls-empty').hidden = fields.length > 0;
  $('calls-table').hidden = fields.length === 0;
  const total = Object.values(activity.calls).reduce((a, b) => a + b, 0);
  $('calls-summary').textContent = `${formatNumber(total)} total`;
  const edge = Object.values(activity.edge).reduce((a, b) => a + b, 0);
  const counters = [
    ['usage applied', activity.usage.applied],
    ['duplicates', activity.usage.duplicates],
    ['Edge reads', edge],
    ['customer writes refused', activity.rateLimited?.customerWrites ?? 0],
  ];
  $('usage-counters').replaceChildren(
    ...counters.map(([label, n]) => h('div', {}, h('dt', {}, label), h('dd', {}, formatNumber(n)))),
  );
  const known = new Set([
    ...Object.keys(activity.calls),
    'reportUsageBulk',
    'reportUsage',
    'cachedEntitlements',
    'reportEvent',
  ]);
  $('known-operations').replaceChildren(...[...known].sort().map((f) => h('option', { value: f })));
}

function renderStreams(streams) {
  state.streams = streams;
  $('stream-count').textContent = `${streams.length} open`;
  $('streams-empty').hidden = streams.length > 0;
  $('stream-list').replaceChildren(
    ...streams.map((s) =>
      h(
        'li',
        { 'data-stream-id': s.id },
        h(
          'div',
          { className: 'stream-top' },
          h('span', {}, h('strong', {}, `#${s.id}`), ' ', h('span', { className: 'mono' }, s.remoteAddress ?? '')),
          h(
            'span',
            { className: 'muted' },
            `since ${new Date(s.connectedAt).toLocaleTimeString('en-US', { hour12: false })}`,
          ),
        ),
        h(
          'div',
          { className: 'stream-topics' },
          s.subscriptions.length === 0
            ? h('span', { className: 'muted' }, 'no subscription yet')
            : s.subscriptions.map((t) => h('span', { className: 'topic' }, t)),
        ),
      ),
    ),
  );
}

function describeFault(f) {
  const effects = [];
  if (f.stall) effects.push('stall');
  if (f.status !== undefined) effects.push(`HTTP ${f.status}`);
  if (f.errorCode) effects.push(f.errorCode);
  if (f.latencyMs) effects.push(`+${formatNumber(f.latencyMs)} ms`);
  if (f.dropAfterApply) effects.push('apply, then drop');
  const scope = f.operations?.length ? f.operations.join(', ') : 'all operations';
  const limit = f.count !== undefined ? ` · ${formatNumber(f.count)} call${f.count === 1 ? '' : 's'} left` : '';
  return [h('strong', {}, effects.join(' + ') || 'no effect'), ` on ${scope}${limit}`];
}

function renderControls(controls) {
  state.controls = controls;
  const limits = controls.rateLimits;
  const toggle = $('rate-limits');
  if (!toggle.disabled) toggle.checked = limits.enabled;
  const minute = limits.windowMs === 60_000 ? 'min' : `${formatNumber(limits.windowMs)} ms`;
  $('rate-limits-detail').textContent = limits.enabled
    ? `On: ${formatNumber(limits.perOperation.mutation ?? 250)} mutations, ${formatNumber(limits.perOperation.reportUsageBulk ?? 600)} reportUsageBulk and ${formatNumber(limits.perCustomerWrites)} writes per customer per ${minute}; HTTP 429 beyond`
    : 'Off: every call is answered';
  const faults = controls.faults;
  $('fault-count-label').textContent =
    faults.length === 0 ? 'No active fault' : `${faults.length} active fault${faults.length === 1 ? '' : 's'}`;
  $('clear-faults').disabled = faults.length === 0;
  $('fault-list').replaceChildren(
    ...faults.map((f) =>
      h(
        'li',
        { 'data-fault-id': f.id },
        h('span', { className: 'what' }, ...describeFault(f)),
        h(
          'button',
          {
            type: 'button',
            className: 'icon-button',
            'aria-label': `Clear fault ${f.id}`,
            title: 'Clear this fault',
            onclick: (event) =>
              act(event.currentTarget, () => api('DELETE', `/_admin/faults?id=${f.id}`), 'Fault cleared'),
          },
          '×',
        ),
      ),
    ),
  );
}

const FAULT_DEFAULTS = {
  status: '503',
  errorCode: 'RateLimitExceeded',
  latencyMs: '2000',
  stall: '',
  dropAfterApply: '',
};

function wireControls() {
  $('drop-streams').addEventListener('click', (event) =>
    act(
      event.currentTarget,
      () => api('POST', '/_admin/streams/drop'),
      (r) => `Dropped ${r.dropped} stream${r.dropped === 1 ? '' : 's'}`,
    ),
  );

  $('rate-limits').addEventListener('change', (event) => {
    const toggle = event.currentTarget;
    const current = state.controls?.rateLimits ?? {};
    void act(
      toggle,
      async () => {
        try {
          const applied = await api('PUT', '/_admin/rate-limits', { ...current, enabled: toggle.checked });
          toggle.checked = applied.enabled;
          return applied;
        } catch (err) {
          toggle.checked = !toggle.checked;
          throw err;
        }
      },
      (r) => `Rate-limit emulation ${r.enabled ? 'on' : 'off'}`,
    );
  });

  const kind = $('fault-kind');
  const value = $('fault-value');
  kind.addEventListener('change', () => {
    value.value = FAULT_DEFAULTS[kind.value];
    value.disabled = kind.value === 'stall' || kind.value === 'dropAfterApply';
  });

  $('fault-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const spec = {};
    const operations = $('fault-operations')
      .value.split(/[\s,]+/)
      .filter(Boolean);
    if (operations.length) spec.operations = operations;
    switch (kind.value) {
      case 'status':
        spec.status = Number(value.value);
        break;
      case 'errorCode':
        spec.errorCode = value.value.trim();
        break;
      case 'latencyMs':
        spec.latencyMs = Number(value.value);
        break;
      default:
        spec[kind.value] = true;
    }
    const count = $('fault-count').value;
    const seconds = $('fault-seconds').value;
    if (count) spec.count = Number(count);
    if (seconds) spec.durationMs = Number(seconds) * 1000;
    void act(
      $('inject-fault'),
      () => api('POST', '/_admin/faults', spec),
      (r) => `Fault ${r.id} injected`,
    );
  });

  $('clear-faults').addEventListener('click', (event) =>
    act(event.currentTarget, () => api('DELETE', '/_admin/faults'), 'Faults cleared'),
  );

  $('reset-state').addEventListener('click', (event) => {
    if (!window.confirm('Reset stigg-local to the seed customers, clearing usage, faults, limits and stats?')) return;
    void act(event.currentTarget, () => api('POST', '/_admin/reset'), 'State reset');
  });

  let searchTimer = null;
  $('customer-search').addEventListener('input', (event) => {
    clearTimeout(searchTimer);
    searchTimer = setTimeout(() => {
      state.search = event.target.value.trim();
      void loadCustomers();
    }, 200);
  });

  $('unlock-form').addEventListener('submit', (event) => {
    event.preventDefault();
    sessionStorage.setItem(TOKEN_KEY, $('unlock-token').value);
    $('unlock').hidden = true;
    $('dashboard').hidden = false;
    void connect();
  });
}

function lock() {
  streamGeneration += 1;
  setConnection('locked', 'Admin token needed');
  $('unlock').hidden = false;
  $('dashboard').hidden = true;
  $('unlock-token').focus();
}

// An admin token may come in the address (`#token=...`): kept for this tab, then taken out of the address bar.
const fromHash = new URLSearchParams(location.hash.slice(1)).get('token');
if (fromHash) {
  sessionStorage.setItem(TOKEN_KEY, fromHash);
  history.replaceState(null, '', location.pathname + location.search);
}

wireControls();
setConnection('connecting', 'Connecting');
void connect();
