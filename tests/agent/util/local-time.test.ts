import { afterEach, describe, expect, it } from 'vitest';
import { localTime, zoneName } from '../../../src-agent/util/local-time.js';
import { yuan, localTime as mallTime } from '../../../examples/mall/format.js';

const saved = process.env.TZ;
afterEach(() => {
  process.env.TZ = saved;
});

describe('localTime', () => {
  it('shows UTC instants in Beijing time on a Chinese PC, naming the zone when asked', () => {
    process.env.TZ = 'Asia/Shanghai';
    expect(localTime('2026-01-31T16:30:05Z')).toBe('2026-02-01 00:30');
    expect(localTime('2026-01-31T16:30:05Z', { zone: true, seconds: true })).toBe('2026-02-01 00:30:05（北京时间）');
    expect(mallTime('2026-01-31T16:30:05Z')).toBe('2026-02-01 00:30:05');
  });

  it('names other zones by their offset, and returns what it cannot read as given', () => {
    process.env.TZ = 'Europe/Berlin';
    expect(zoneName(new Date('2026-01-15T12:00:00Z'))).toBe('UTC+01:00');
    expect(localTime('2026-07-15T12:00:00Z', { zone: true })).toBe('2026-07-15 14:00（UTC+02:00）');
    process.env.TZ = 'America/St_Johns';
    expect(zoneName(new Date('2026-01-15T12:00:00Z'))).toBe('UTC-03:30');
    expect(localTime('not a time')).toBe('not a time');
    expect(localTime('')).toBe('');
  });
});

describe("yuan (the mall's one amount format)", () => {
  it('writes every amount with thousands separators and two decimals', () => {
    expect(yuan('12500')).toBe('12,500.00');
    expect(yuan('98000.00')).toBe('98,000.00');
    expect(yuan('1,234.5')).toBe('1,234.50');
    expect(yuan(0.1)).toBe('0.10');
    expect(yuan('')).toBe('');
    expect(yuan('面议')).toBe('面议');
  });
});
