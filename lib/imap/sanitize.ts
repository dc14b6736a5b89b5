// Message HTML made safe to show inside the app: no scripts, no event handlers, no javascript:
// (or other non-web) URLs, no forms or frames, and nothing that loads from the network by
// itself. Remote images keep their URL in `data-remote-src` so a UI can offer "load images";
// links open in a new tab without giving the page a handle on ours.
import sanitizeHtml from 'sanitize-html';

const REMOTE_IMAGE = /^https?:\/\//i;
const INLINE_IMAGE = /^data:image\/(?:png|jpe?g|gif|webp|bmp);base64,[a-z0-9+/=\s]+$/i;
// Style values may not fetch anything (url(), image-set()) or hide it behind escapes.
const SAFE_STYLE_VALUE = /^(?!.*(?:url|image-set|image|expression|element|paint)\s*\()[^\\<>]*$/i;

const STYLE_PROPERTIES = [
  'color', 'background-color', 'font', 'font-size', 'font-family', 'font-weight', 'font-style',
  'text-align', 'text-decoration', 'text-transform', 'line-height', 'letter-spacing', 'white-space',
  'vertical-align', 'display', 'width', 'height', 'max-width', 'min-width',
  'margin', 'margin-top', 'margin-right', 'margin-bottom', 'margin-left',
  'padding', 'padding-top', 'padding-right', 'padding-bottom', 'padding-left',
  'border', 'border-top', 'border-right', 'border-bottom', 'border-left', 'border-color',
  'border-style', 'border-width', 'border-collapse', 'border-spacing', 'border-radius',
];

const OPTIONS: sanitizeHtml.IOptions = {
  allowedTags: [...sanitizeHtml.defaults.allowedTags, 'img', 'font', 'center', 'del', 'ins', 'big'],
  allowedAttributes: {
    '*': ['style', 'align', 'valign', 'dir', 'lang', 'title', 'width', 'height', 'bgcolor'],
    a: ['href', 'name', 'target', 'rel'],
    img: ['src', 'alt', 'border', 'data-remote-src'],
    td: ['colspan', 'rowspan', 'nowrap'],
    th: ['colspan', 'rowspan', 'nowrap', 'scope'],
    table: ['border', 'cellpadding', 'cellspacing'],
    font: ['color', 'face', 'size'],
    ol: ['start', 'type'],
    li: ['value'],
  },
  allowedSchemes: ['http', 'https', 'mailto', 'tel'],
  // img src is only ever data: after the transform; http(s) is for data-remote-src.
  allowedSchemesByTag: { img: ['data', 'http', 'https'] },
  allowedSchemesAppliedToAttributes: ['href', 'src', 'cite', 'data-remote-src'],
  allowProtocolRelative: false,
  allowedStyles: { '*': Object.fromEntries(STYLE_PROPERTIES.map((p) => [p, [SAFE_STYLE_VALUE]])) },
  transformTags: {
    a: (tagName, attribs) => ({ tagName, attribs: { ...attribs, target: '_blank', rel: 'noopener noreferrer' } }),
    img: (tagName, attribs) => {
      // Whatever the message itself put in data-remote-src is not trusted.
      const { src, srcset: _srcset, 'data-remote-src': _claimed, ...rest } = attribs;
      const url = src?.trim() ?? '';
      if (REMOTE_IMAGE.test(url)) return { tagName, attribs: { ...rest, 'data-remote-src': url } };
      if (INLINE_IMAGE.test(url)) return { tagName, attribs: { ...rest, src: url } };
      return { tagName, attribs: rest };
    },
  },
};

export function sanitizeMessageHtml(html: string): string {
  return sanitizeHtml(html, OPTIONS);
}
