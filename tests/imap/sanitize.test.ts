import { describe, expect, it } from 'vitest';
import { sanitizeMessageHtml } from '@/lib/imap';

describe('sanitizeMessageHtml', () => {
  it('drops scripts, styles, frames and forms with their content', () => {
    const out = sanitizeMessageHtml(
      '<p>hi</p><script>alert(1)</script><style>p{background:url(https://t.example/x)}</style><iframe src="https://e.example"></iframe><form action="https://e.example"><input name="q"></form><object data="x"></object>',
    );
    expect(out).toBe('<p>hi</p>');
  });

  it('drops event handlers and non-web URLs, even when obfuscated', () => {
    const out = sanitizeMessageHtml(
      '<a href="javascript:alert(1)" onclick="x()">a</a><a href="JaVaScRiPt&#58;alert(1)">b</a><a href="  javascript:alert(1)">c</a><a href="data:text/html,<script>x</script>">d</a><a href="vbscript:x">e</a><div onmouseover="x()">f</div><svg onload="x()"></svg>',
    );
    expect(out).not.toMatch(/javascript|vbscript|data:|on[a-z]+=|svg/i);
    expect(out).toContain('f</div>');
  });

  it('keeps web and mail links, opening them without a handle on the app', () => {
    expect(sanitizeMessageHtml('<a href="https://example.com/x?a=1&amp;b=2" target="_self">x</a>')).toBe(
      '<a href="https://example.com/x?a=1&amp;b=2" target="_blank" rel="noopener noreferrer">x</a>',
    );
    expect(sanitizeMessageHtml('<a href="mailto:a@example.com">m</a>')).toContain('href="mailto:a@example.com"');
  });

  it('does not load remote images: the URL moves to data-remote-src', () => {
    const out = sanitizeMessageHtml('<img src="https://t.example/pixel.gif" srcset="https://t.example/2x.gif 2x" width="1" alt="x">');
    expect(out).toBe('<img width="1" alt="x" data-remote-src="https://t.example/pixel.gif" />');
    expect(sanitizeMessageHtml('<img src="//t.example/p.gif">')).toBe('<img />');
    expect(sanitizeMessageHtml('<img src="cid:part1">')).toBe('<img />');
  });

  it('never trusts a data-remote-src the message brought itself', () => {
    expect(sanitizeMessageHtml('<img data-remote-src="javascript:alert(1)">')).toBe('<img />');
  });

  it('keeps inline raster images, not other data: URLs', () => {
    const png = 'data:image/png;base64,iVBORw0KGgo=';
    expect(sanitizeMessageHtml(`<img src="${png}">`)).toBe(`<img src="${png}" />`);
    expect(sanitizeMessageHtml('<img src="data:image/svg+xml;base64,PHN2Zz4=">')).toBe('<img />');
  });

  it('keeps harmless inline styles and drops ones that would fetch something', () => {
    expect(sanitizeMessageHtml('<p style="color:red;font-weight:bold">x</p>')).toBe('<p style="color:red;font-weight:bold">x</p>');
    const out = sanitizeMessageHtml(
      '<p style="background-image:url(https://t.example/a.png);color:blue">x</p><td style="background:url(\'https://t.example\')">y</td><p style="color:\\75rl(x)">z</p>',
    );
    expect(out).not.toMatch(/url|t\.example|\\/);
    expect(out).toContain('color:blue');
  });

  it('drops table and body backgrounds (remote loads without img)', () => {
    expect(sanitizeMessageHtml('<table background="https://t.example/bg.png"><tr><td background="https://t.example/c.png">x</td></tr></table>')).not.toContain('t.example');
  });
});
