// Text a user typed (a full name) that goes into a message someone else
// reads. Guarantees: nothing in it becomes a link. Mail clients turn
// anything URL-like in plain text (and in HTML) into a link, so a Full name
// such as `=HYPERLINK("http://evil.test")` or `visit www.evil.test now`
// would put the account's user's link in our mail, under our name.
// Everything URL-like is "defanged" the way security reports write
// indicators: visible, still readable, and no linkifier matches it:
//   http://evil.test  → http[:]//evil[.]test
//   www.evil.test     → www[.]evil[.]test
//   evil@mail.test    → evil@mail[.]test
// A dot between two letters or digits is what makes a host name, so each
// such dot is bracketed (a name such as "J. R. R. Tolkien" keeps its dots:
// they are followed by a space). The full-width and ideographic dots and
// colons that browsers read as ASCII ones are bracketed too.

const DOTS = '.\u3002\uFF0E\uFF61'
const COLONS = ':\uFF1A'
const SLASHES = '/\uFF0F'

const schemeSeparator = new RegExp(`[${COLONS}]\\s*[${SLASHES}]\\s*[${SLASHES}]`, 'gu')
const hostDot = new RegExp(`(?<=[\\p{L}\\p{N}])[${DOTS}](?=[\\p{L}\\p{N}])`, 'gu')
// A scheme without slashes that clients still link (mailto:, tel:, javascript:, data:…).
const bareScheme = /\b(mailto|tel|sms|javascript|data|vbscript|file|callto|skype|xmpp):(?=\S)/giu

export function neutraliseUserText (text: string): string {
  return text
    .replace(schemeSeparator, '[:]//')
    .replace(bareScheme, '$1[:]')
    .replace(hostDot, (dot) => `[${dot}]`)
}
