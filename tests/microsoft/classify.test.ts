import { describe, expect, it } from 'vitest';
import { classifyNetworkFailure, classifyTokenFailure, parseRetryAfter } from '@/lib/microsoft';

// Microsoft sends error_codes alongside a generic `error`; the code decides.
const aadsts = (code: number, error = 'invalid_grant', status = 400) =>
  classifyTokenFailure({ status, body: { error, error_codes: [code] } });

describe('classifyTokenFailure', () => {
  it.each([50173, 70008, 700082, 700084, 70043, 50076, 50078, 50079, 53003, 65001, 50057, 50055, 500011])(
    'AADSTS%i means the grant is gone → reauth',
    (code) => {
      expect(aadsts(code)).toMatchObject({ kind: 'reauth', code: `AADSTS${code}` });
    },
  );

  it.each([7000222, 7000215, 700016, 70001])('AADSTS%i is the app registration → app', (code) => {
    expect(aadsts(code, 'invalid_client', 401)).toEqual({ kind: 'app', code: `AADSTS${code}` });
    // Even when Microsoft wraps it in another error string, the code wins.
    expect(aadsts(code, 'invalid_request', 400).kind).toBe('app');
  });

  it.each([50033, 50087, 90006, 90024, 90033, 90055, 70012, 90012])('AADSTS%i is transient', (code) => {
    // These arrive as invalid_grant too; they must never mark the credential.
    expect(aadsts(code)).toEqual({ kind: 'transient', code: `AADSTS${code}` });
  });

  it('AADSTS50196 (loop detected) backs off hard', () => {
    expect(aadsts(50196, 'invalid_grant').kind).toBe('loop');
  });

  it.each(['invalid_grant', 'interaction_required', 'consent_required'])('%s without codes → reauth', (error) => {
    expect(classifyTokenFailure({ status: 400, body: { error } })).toMatchObject({ kind: 'reauth', code: error });
  });

  it('marks consent failures, which concern one resource rather than the whole grant', () => {
    expect(aadsts(65001)).toEqual({ kind: 'reauth', code: 'AADSTS65001', consent: true });
    expect(classifyTokenFailure({ status: 400, body: { error: 'invalid_grant', suberror: 'consent_required' } }).consent).toBe(true);
    expect(aadsts(70008).consent).toBeUndefined();
  });

  it('keeps the suberror in the code', () => {
    expect(classifyTokenFailure({ status: 400, body: { error: 'invalid_grant', suberror: 'consent_required' } })).toEqual({
      kind: 'reauth',
      code: 'invalid_grant:consent_required',
      consent: true,
    });
  });

  it.each([429, 500, 502, 503, 504])('HTTP %i is transient, with Retry-After kept', (status) => {
    expect(classifyTokenFailure({ status, body: null, retryAfterSeconds: 7 })).toEqual({
      kind: 'transient',
      code: `http_${status}`,
      retryAfterSeconds: 7,
    });
  });

  it('temporarily_unavailable is transient', () => {
    expect(classifyTokenFailure({ status: 400, body: { error: 'temporarily_unavailable' } }).kind).toBe('transient');
  });

  it('invalid_client without codes is the app, not the user', () => {
    expect(classifyTokenFailure({ status: 401, body: { error: 'invalid_client' } }).kind).toBe('app');
  });

  it('never reads the description text', () => {
    const body = { error: 'server_error', error_description: 'AADSTS70008: token expired' } as never;
    expect(classifyTokenFailure({ status: 500, body }).kind).toBe('transient');
  });

  it('an unknown 4xx error is not the user’s fault', () => {
    expect(classifyTokenFailure({ status: 400, body: { error: 'invalid_scope' } }).kind).toBe('app');
  });

  it('network errors and timeouts are transient', () => {
    expect(classifyNetworkFailure(new TypeError('fetch failed'))).toEqual({ kind: 'transient', code: 'network_error' });
    expect(classifyNetworkFailure(new DOMException('t', 'TimeoutError'))).toEqual({ kind: 'transient', code: 'timeout' });
  });
});

describe('parseRetryAfter', () => {
  it('reads seconds and HTTP dates', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(parseRetryAfter('12', now)).toBe(12);
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:30 GMT', now)).toBe(30);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter(null, now)).toBeUndefined();
  });
});
