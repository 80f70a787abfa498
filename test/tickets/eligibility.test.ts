import { checkEligibility } from '../../src/tickets/eligibility';
import { addWorkingDays, cstDay, isWorkingDay, ReferralSettingsSchema, referralSettings } from '../../src/tickets/referral-settings';

const qinghai = { hardshipMultiple: 3, monthlyAllowanceYuan: 752 };

describe('legal aid pre-check (Legal Aid Law 2022)', () => {
  it('Art. 32 matters need no income test', () => {
    expect(checkEligibility({ matter: 'abuse_domestic_violence', groups: [], noFixedIncome: false, receivesAssistance: false, householdMonthlyIncomeYuan: 50_000, householdSize: 1 }, qinghai)).toMatchObject({
      article: '32',
      incomeTest: 'not_required',
      verdict: 'likely_eligible',
    });
  });

  it('Art. 31 matters compare income per person with 3 × the allowance (2,256 yuan in Qinghai)', () => {
    const at = (income: number, size: number) => checkEligibility({ matter: 'pension', groups: [], noFixedIncome: false, receivesAssistance: false, householdMonthlyIncomeYuan: income, householdSize: size }, qinghai);
    expect(at(4512, 2)).toMatchObject({ incomePerPersonYuan: 2256, standardYuan: 2256, incomeTest: 'passed', verdict: 'likely_eligible' });
    expect(at(4514, 2)).toMatchObject({ incomeTest: 'failed', verdict: 'likely_ineligible' });
    expect(checkEligibility({ matter: 'pension', groups: [], noFixedIncome: false, receivesAssistance: false }, qinghai)).toMatchObject({ incomeTest: 'unknown', verdict: 'needs_assessment' });
  });

  it('Art. 42 waives the income check for migrant workers claiming wages, assistance recipients, and minors, elderly or disabled people without fixed income', () => {
    const base = { noFixedIncome: false, receivesAssistance: false, householdMonthlyIncomeYuan: 90_000, householdSize: 1 };
    expect(checkEligibility({ ...base, matter: 'labour_wages_injury', groups: ['migrant_worker'] }, qinghai).incomeTest).toBe('waived');
    // A migrant worker's other matters still take the test.
    expect(checkEligibility({ ...base, matter: 'support_maintenance', groups: ['migrant_worker'] }, qinghai).incomeTest).toBe('failed');
    expect(checkEligibility({ ...base, matter: 'pension', groups: [], receivesAssistance: true }, qinghai).incomeTest).toBe('waived');
    expect(checkEligibility({ ...base, matter: 'pension', groups: ['elderly'], noFixedIncome: true }, qinghai).incomeTest).toBe('waived');
    expect(checkEligibility({ ...base, matter: 'pension', groups: ['elderly'] }, qinghai).incomeTest).toBe('failed');
  });

  it('a matter outside Art. 31/32 is out of scope', () => {
    expect(checkEligibility({ matter: 'other', groups: ['minor'], noFixedIncome: true, receivesAssistance: false }, qinghai)).toMatchObject({ withinScope: false, verdict: 'likely_ineligible' });
  });
});

describe('working days (China Standard Time)', () => {
  const plain = ReferralSettingsSchema.parse({});

  it('one working day after Friday 15:00 is Monday 15:00; a holiday pushes it on; a working weekend counts', () => {
    const friday = new Date('2026-11-20T07:00:00Z'); // 15:00 CST
    expect(addWorkingDays(friday, 1, plain).toISOString()).toBe('2026-11-23T07:00:00.000Z');
    expect(addWorkingDays(friday, 1, { ...plain, holidays: ['2026-11-23'] }).toISOString()).toBe('2026-11-24T07:00:00.000Z');
    expect(addWorkingDays(friday, 1, { ...plain, workingWeekends: ['2026-11-21'] }).toISOString()).toBe('2026-11-21T07:00:00.000Z');
  });

  it('takes the day in CST: 23:30 UTC on Sunday is already Monday in Xining', () => {
    expect(cstDay(new Date('2026-11-22T23:30:00Z'))).toBe('2026-11-23');
    expect(isWorkingDay('2026-11-23', plain)).toBe(true);
    expect(isWorkingDay('2026-11-22', plain)).toBe(false);
  });

  it('refuses bad province settings naming the field', () => {
    expect(() => referralSettings({ referrals: { closeWithinDays: 0 } }, '630000')).toThrow('settings.referrals.closeWithinDays');
    expect(() => referralSettings({ referrals: { holidays: ['next tuesday'] } }, '630000')).toThrow('settings.referrals.holidays.0');
  });
});
