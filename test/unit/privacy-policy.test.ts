/**
 * The privacy policy of docs/privacy.md as data and decisions: each access rule's `pii` (masked
 * by default, anything unknown refused so the authorizer fails closed), `acl pii` and the extra
 * step for clear with row scope all, the authorizer's context, /whoami and the access record.
 */
import { expect } from 'chai';
import { AccessTableError, defaultAccessTable, parseAccessTable, piiOfRule, serializeAccessTable, validateRule } from '../../src/lambda/access/model.ts';
import { catalog } from '../../src/lambda/catalog.ts';
import { decide } from '../../src/lambda/identity/policy.ts';
import { whoami } from '../../src/lambda/api/whoami.ts';
import { onAccess } from '../../src/lambda/usage/access-log.ts';
import type { AccessRecord } from '../../src/lambda/usage/record.ts';
import { applyCommand, CLEAR_FOR_ALL_CLIENTS, parseCommand } from '../../src/ops/acl-edit.ts';
import { apiEvent } from '../helpers/api.ts';

const NAMES = [...catalog().keys()];
const ARN = 'arn:aws:execute-api:us-east-1:123456789012:abc123/prod/GET/all_orders_by_range';
const rule = (extra: Record<string, unknown> = {}) => ({ client_id: 4, enabled: true, allowed_queries: ['*'], row_scope: 'own', max_range_days: 366, ...extra });

describe('privacy policy: the access rule decides how a client sees personal data', () => {
  it('a rule without pii is masked (privacy by default); each of the three modes is kept', () => {
    expect(piiOfRule(validateRule(rule()))).to.equal('masked');
    for (const pii of ['masked', 'pseudonymized', 'clear']) expect(validateRule(rule({ pii })).pii).to.equal(pii);
  });

  it('an unknown pii value refuses the whole table (the authorizer then denies: fail closed)', () => {
    expect(() => validateRule(rule({ pii: 'raw' }))).to.throw(AccessTableError, /pii must be one of masked, pseudonymized, clear/);
    expect(() => parseAccessTable(`${JSON.stringify(rule())}\n${JSON.stringify(rule({ client_id: 5, pii: 'CLEAR' }))}\n`)).to.throw(AccessTableError, /line 2: pii/);
  });

  it('the generated table: shipping clients masked, the analysts (every client\'s rows) pseudonymized', () => {
    const rules = defaultAccessTable([3, 4], NAMES);
    expect(rules.map((r) => [r.client_id, piiOfRule(r)])).to.deep.equal([[3, 'masked'], [4, 'masked'], [9000, 'pseudonymized']]);
  });

  it('acl pii <client> <mode> sets the mode; a mode it does not know changes nothing', () => {
    const table = parseAccessTable(serializeAccessTable(defaultAccessTable([4], NAMES)));
    expect(applyCommand(table, parseCommand(['pii', '4', 'clear']), NAMES).find((r) => r.client_id === 4)!.pii).to.equal('clear');
    expect(() => parseCommand(['pii', '4', 'plain'])).to.throw(AccessTableError, /pii takes one of masked, pseudonymized, clear/);
    expect(() => parseCommand(['pii', '4'])).to.throw(AccessTableError);
  });

  it(`clear with row scope all needs ${CLEAR_FOR_ALL_CLIENTS}, whichever of the two is set last`, () => {
    const table = parseAccessTable(serializeAccessTable(defaultAccessTable([4], NAMES)));
    expect(() => applyCommand(table, parseCommand(['pii', '9000', 'clear']), NAMES)).to.throw(AccessTableError, /every client's recipients in clear/);
    const confirmed = applyCommand(table, parseCommand(['pii', '9000', 'clear', CLEAR_FOR_ALL_CLIENTS]), NAMES);
    expect(confirmed.find((r) => r.client_id === 9000)!.pii).to.equal('clear');
    const clear4 = parseAccessTable(serializeAccessTable(applyCommand(table, parseCommand(['pii', '4', 'clear']), NAMES)));
    expect(() => applyCommand(clear4, parseCommand(['scope', '4', 'all']), NAMES)).to.throw(AccessTableError, new RegExp(CLEAR_FOR_ALL_CLIENTS));
    expect(applyCommand(clear4, parseCommand(['scope', '4', 'all', CLEAR_FOR_ALL_CLIENTS]), NAMES).find((r) => r.client_id === 4)!.row_scope).to.equal('all');
  });

  it("the authorizer's context carries the rule's mode (masked when the rule has none)", () => {
    const table = parseAccessTable(`${JSON.stringify(rule())}\n${JSON.stringify(rule({ client_id: 5, pii: 'pseudonymized' }))}\n`);
    const context = (client: number) => { const d = decide(client, table, NAMES, ARN); return d.effect === 'Allow' ? d.context.pii : undefined; };
    expect([context(4), context(5)]).to.deep.equal(['masked', 'pseudonymized']);
  });

  it('/whoami reports the mode and its access record records it', async () => {
    const records: AccessRecord[] = [];
    const stop = onAccess((r) => records.push(r));
    try {
      const r = await whoami(apiEvent({}, { clientId: '5', rowScope: 'own', maxRangeDays: '31', pii: 'pseudonymized' }));
      expect(JSON.parse(r.body)).to.deep.equal({ clientId: 5, rowScope: 'own', maxRangeDays: 31, pii: 'pseudonymized' });
      expect(records.map((x) => x.pii)).to.deep.equal(['pseudonymized']);
    } finally {
      stop();
    }
  });
});
