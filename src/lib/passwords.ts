// Password hashing and the rules for new passwords (SECURITY.md, Passwords).
// argon2 runs on libuv's thread pool, so hashing never blocks the event loop.
import { readFileSync } from 'node:fs'
import path from 'node:path'
import argon2 from 'argon2'
import { appRoot } from './app-root.ts'
import type { MessageKey } from './i18n.ts'

export const argon2Options = { type: argon2.argon2id, memoryCost: 19456, timeCost: 2, parallelism: 1 } as const

export const PASSWORD_MIN = 12
export const PASSWORD_MAX = 128

// Beside this module in the sources (tsc does not copy it to dist/; the image copies it): not in
// ./data, the default DATA_DIR, which a user may empty to start again.
const listFile = path.join(appRoot, 'src', 'lib', 'common-passwords.txt')
let commonPasswords: Set<string> | undefined

function isCommon (password: string): boolean {
  commonPasswords ??= new Set(readFileSync(listFile, 'utf8').split('\n').filter((l) => l !== '' && !l.startsWith('#')))
  return commonPasswords.has(password.toLowerCase())
}

export function hashPassword (password: string): Promise<string> {
  return argon2.hash(password, argon2Options)
}

// A real hash of a random password: unknown emails are checked against it so
// that they take as long as known ones.
let dummyHash: Promise<string> | undefined
function dummy (): Promise<string> {
  dummyHash ??= hashPassword(`dummy-${Math.random()}-${Date.now()}`)
  return dummyHash
}

/** Verifies against the hash, or against a dummy when there is none, always taking one argon2 run. */
export async function verifyPassword (hash: string | null | undefined, password: string): Promise<boolean> {
  if (hash == null) {
    await argon2.verify(await dummy(), password).catch(() => false)
    return false
  }
  try {
    return await argon2.verify(hash, password)
  } catch {
    return false
  }
}

export function needsRehash (hash: string): boolean {
  return argon2.needsRehash(hash, argon2Options)
}

/** The rule a new password breaks, or undefined. Never trims or truncates. */
export function checkNewPassword (password: string, email: string): MessageKey | undefined {
  const length = [...password].length
  if (length < PASSWORD_MIN) return 'error.passwordShort'
  if (length > PASSWORD_MAX) return 'error.passwordLong'
  const lower = password.toLowerCase()
  if (lower === email.toLowerCase() || lower === email.toLowerCase().split('@')[0]) return 'error.passwordEmail'
  if (isCommon(password)) return 'error.passwordCommon'
  return undefined
}
