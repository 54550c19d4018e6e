import { describe, expect, it } from 'vitest';
import type { Grant } from '../src/catalog/grant.js';
import { addMonths, currentPeriod } from '../src/model/periods.js';

const grant = (over: Partial<Grant>): Grant => ({
  featureId: 'f',
  usageLimit: 10,
  hasUnlimitedUsage: false,
  hasSoftLimit: false,
  enumValues: null,
  resetPeriod: 'MONTH',
  monthlyAccordingTo: 'SubscriptionStart',
  weeklyAccordingTo: 'SubscriptionStart',
  ...over,
});
const t = (s: string) => Date.parse(s);
const iso = (p: { anchor: number; start: number; end: number } | null) =>
  p && {
    anchor: new Date(p.anchor).toISOString(),
    start: new Date(p.start).toISOString(),
    end: new Date(p.end).toISOString(),
  };

describe('usage periods', () => {
  it('never resets without a reset period', () => {
    expect(
      currentPeriod(grant({ resetPeriod: null }), t('2026-01-01T00:00:00Z'), t('2026-05-01T00:00:00Z')),
    ).toBeNull();
  });

  it('counts HOUR and DAY in whole periods from the subscription start', () => {
    const start = t('2026-03-10T08:30:00.000Z');
    expect(iso(currentPeriod(grant({ resetPeriod: 'HOUR' }), start, t('2026-03-10T11:45:00Z')))).toEqual({
      anchor: '2026-03-10T08:30:00.000Z',
      start: '2026-03-10T11:30:00.000Z',
      end: '2026-03-10T12:30:00.000Z',
    });
    expect(iso(currentPeriod(grant({ resetPeriod: 'DAY' }), start, t('2026-03-12T08:29:59Z')))?.start).toBe(
      '2026-03-11T08:30:00.000Z',
    );
  });

  it('counts WEEK from the subscription start or from a weekday', () => {
    const start = t('2026-03-11T10:00:00.000Z'); // a Wednesday
    expect(iso(currentPeriod(grant({ resetPeriod: 'WEEK' }), start, t('2026-03-19T00:00:00Z')))?.start).toBe(
      '2026-03-18T10:00:00.000Z',
    );
    const monday = iso(
      currentPeriod(grant({ resetPeriod: 'WEEK', weeklyAccordingTo: 'EveryMonday' }), start, t('2026-03-19T00:00:00Z')),
    );
    expect(monday).toEqual({
      anchor: '2026-03-09T00:00:00.000Z',
      start: '2026-03-16T00:00:00.000Z',
      end: '2026-03-23T00:00:00.000Z',
    });
  });

  it('counts MONTH by subscription start, clamping to short months', () => {
    const start = t('2026-01-31T12:00:00.000Z');
    expect(iso(currentPeriod(grant({}), start, t('2026-03-01T00:00:00Z')))).toEqual({
      anchor: '2026-01-31T12:00:00.000Z',
      start: '2026-02-28T12:00:00.000Z',
      end: '2026-03-31T12:00:00.000Z',
    });
    expect(iso(currentPeriod(grant({}), start, t('2026-02-15T00:00:00Z')))?.start).toBe('2026-01-31T12:00:00.000Z');
  });

  it('counts MONTH from the start of the month', () => {
    const p = iso(
      currentPeriod(
        grant({ monthlyAccordingTo: 'StartOfTheMonth' }),
        t('2026-01-20T09:00:00Z'),
        t('2026-04-03T00:00:00Z'),
      ),
    );
    expect(p).toEqual({
      anchor: '2026-01-01T00:00:00.000Z',
      start: '2026-04-01T00:00:00.000Z',
      end: '2026-05-01T00:00:00.000Z',
    });
  });

  it('counts YEAR from the subscription start, Feb 29 included', () => {
    const p = iso(currentPeriod(grant({ resetPeriod: 'YEAR' }), t('2024-02-29T00:00:00Z'), t('2026-03-05T00:00:00Z')));
    expect(p).toEqual({
      anchor: '2024-02-29T00:00:00.000Z',
      start: '2026-02-28T00:00:00.000Z',
      end: '2027-02-28T00:00:00.000Z',
    });
  });

  it('adds months the way calendars do', () => {
    expect(new Date(addMonths(t('2026-01-31T00:00:00Z'), 1)).toISOString()).toBe('2026-02-28T00:00:00.000Z');
    expect(new Date(addMonths(t('2026-11-15T00:00:00Z'), 3)).toISOString()).toBe('2027-02-15T00:00:00.000Z');
  });
});
