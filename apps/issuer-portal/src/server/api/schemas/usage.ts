// Answers of the usage routes: a license's daily usage against its cap, and the dashboard.
import { z } from 'zod';
import { apiSchemas } from '../openapi.js';
import { ForkSchema, ModelSchema, ms } from './records.js';

const Day = z.string().regex(/^\d{4}-\d{2}-\d{2}$/);

export const DailyUsageSchema = z
  .object({
    day: Day.describe('UTC day, YYYY-MM-DD.'),
    checks: z.number().int(),
    outcomes: z
      .record(z.string(), z.number().int())
      .describe('Checks per outcome (VALID, EXPIRED, …), only those that occurred.'),
    usageMin: z.number().int().describe('Fewest credentials in use reported that day.'),
    usageMax: z.number().int().describe('Most credentials in use reported that day.'),
    usageLast: z.number().int().describe("Credentials in use in the day's last check."),
    lastAt: ms(),
  })
  .register(apiSchemas, { id: 'DailyUsage' });

export const LicenseUsageSchema = z
  .object({
    licenseId: z.string(),
    credentials: z.number().int().describe("The license's cap: its number of credentials now."),
    from: Day,
    to: Day,
    days: z.array(DailyUsageSchema).describe('Days with checks, oldest first.'),
  })
  .register(apiSchemas, { id: 'LicenseUsage' });

const DashboardLicense = {
  licenseId: z.string(),
  customerName: z.string(),
  model: ModelSchema,
  credentials: z.number().int(),
  termEnd: z.number().int().nullable().describe('Seconds since the epoch; null: perpetual.'),
  plan: z.string().nullable(),
};

const sectionOf = <T extends z.ZodType>(item: T) =>
  z.object({
    count: z.number().int().describe('How many were found (all, not only those listed).'),
    more: z.boolean().describe('More were found than were read: count is a lower bound.'),
    items: z.array(item),
  });

export const DashboardSchema = z
  .object({
    at: ms(),
    options: z.object({
      nearCapPercent: z.number().int(),
      stoppedAfterDays: z.number().int(),
      lookbackDays: z.number().int(),
      expiringWithinDays: z.number().int(),
      limit: z.number().int(),
    }),
    nearCap: sectionOf(
      z.object({
        ...DashboardLicense,
        inUse: z.number().int(),
        percent: z.number().int(),
        lastCheckAt: ms(),
      }),
    ),
    stopped: sectionOf(
      z.object({ ...DashboardLicense, lastCheckAt: ms(), silentDays: z.number().int() }),
    ),
    expiring: sectionOf(
      z.object({
        ...DashboardLicense,
        termEnd: z.number().int(),
        lastCheckAt: ms().nullable(),
        inUse: z.number().int().nullable(),
      }),
    ),
    forks: sectionOf(ForkSchema),
  })
  .register(apiSchemas, { id: 'Dashboard' });
