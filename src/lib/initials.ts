/**
 * The default avatar's letters (SPEC §4.7): the first letter of the first
 * two words of the name, else of the address; whole characters (a letter
 * outside the BMP is not cut in two), upper-cased in any script.
 */
export function initialsOf (fullName: string, email = ''): string {
  const words = fullName.trim().split(/\s+/).filter((w) => /\p{L}|\p{N}/u.test(w))
  const letters = words.slice(0, 2).map((w) => Array.from(w.replace(/^[^\p{L}\p{N}]+/u, ''))[0] ?? '')
  const text = letters.join('') || (Array.from(email)[0] ?? '?')
  return text.toUpperCase()
}
