// Sample mail for the local sandbox's demo mailbox: enough to see folders, paging, HTML that gets
// sanitized, and attachments.
import { buildEml, type EmlOptions } from '../../tests/support/mail-fixtures';

const people = ['Grace Hopper <grace@fabrikam.test>', 'Alan Turing <alan@fabrikam.test>', 'Katherine Johnson <katherine@contoso.test>'];

export function sampleMessages(to: string, now = Date.now()): Array<{ eml: string; flags?: string[]; mailbox?: string }> {
  const at = (minutesAgo: number) => new Date(now - minutesAgo * 60_000);
  const messages: Array<{ eml: string; flags?: string[]; mailbox?: string }> = [];
  // Older filler first so the welcome message is the newest (and the list spans two pages).
  for (let i = 60; i >= 1; i--) {
    const options: EmlOptions = {
      from: people[i % people.length],
      to,
      subject: `Weekly update #${i}`,
      date: at(60 * 24 + i * 90),
      text: `Status update number ${i}.\n\nNothing urgent — this message exists so the inbox has more than one page.`,
    };
    messages.push({ eml: buildEml(options), flags: i > 3 ? ['\\Seen'] : [] });
  }
  messages.push({
    eml: buildEml({
      from: people[1],
      to,
      subject: 'Quarterly report (with attachment)',
      date: at(45),
      text: 'The report is attached.',
      attachments: [{ filename: 'report-q3.csv', contentType: 'text/csv', content: 'quarter,revenue\nQ3,42\n' }],
    }),
  });
  messages.push({
    eml: buildEml({
      from: people[2],
      to,
      subject: 'HTML newsletter (scripts and remote images are removed)',
      date: at(20),
      text: 'This newsletter has an HTML version.',
      html:
        '<h1 style="color:#2563eb">Newsletter</h1><p>Hello <b>there</b>! This HTML was sanitized before display.</p>' +
        '<script>alert("never runs")</script><img src="https://tracker.example/pixel.gif" alt="remote image">' +
        '<p><a href="javascript:alert(1)">a javascript: link (neutralized)</a> · <a href="https://example.com">a normal link</a></p>',
    }),
  });
  messages.push({
    eml: buildEml({
      from: 'Mailbridge <hello@mailbridge.test>',
      to,
      subject: 'Welcome to the Mailbridge sandbox',
      date: at(2),
      text:
        'This mailbox lives in a local Dovecot server started by `npm run dev`.\n\n' +
        'Sign-in went through a local Microsoft identity emulator; the IMAP session authenticated with XOAUTH2 ' +
        'exactly as it would against Outlook.',
    }),
  });
  messages.push({ eml: buildEml({ from: people[0], to, subject: 'Draft: trip notes', date: at(300), text: 'Remember the charger.' }), mailbox: 'Drafts', flags: ['\\Seen', '\\Draft'] });
  return messages;
}
