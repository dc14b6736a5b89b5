// Same-site return paths: the one check sign-in and the connect flow share.
import { describe, expect, test } from 'vitest';
import { isSameSitePath, sameSitePath, sameSitePathOr } from '@/lib/http/return-to';

describe('same-site paths', () => {
  test('accept paths on this site', () => {
    for (const ok of ['/', '/inbox', '/knowledge/abc?tab=files#top', '/a/b%2Fc', '/x?next=//ok-in-query']) expect(isSameSitePath(ok)).toBe(true);
  });

  test('refuse everything that could leave the site or is not a path', () => {
    const bad = ['', 'inbox', '//evil.example', '/\\evil.example', '/\\/evil', 'https://evil.example/', ' /inbox', '/\t/evil.example', '/in\nbox', '/a\\b', `/${'a'.repeat(2000)}`, 42, null, undefined];
    for (const value of bad) expect({ value, ok: isSameSitePath(value) }).toEqual({ value, ok: false });
  });

  test('fallback and schema', () => {
    expect(sameSitePathOr('//evil.example', '/inbox')).toBe('/inbox');
    expect(sameSitePathOr('/knowledge/1', '/inbox')).toBe('/knowledge/1');
    expect(sameSitePath.safeParse('/knowledge/1').success).toBe(true);
    expect(sameSitePath.safeParse('//evil.example').success).toBe(false);
  });
});
