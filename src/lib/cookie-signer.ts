// Session cookie signatures, checked once per cookie. @fastify/session checks
// the HMAC of the cookie and then signs the same id again on every request:
// two HMAC-SHA256 per page. This signer remembers the exact cookie strings
// that passed the check (and those it signed itself) with their id, bounded,
// oldest out. Guarantees:
// - a cookie is accepted only if that exact string once passed the full
//   HMAC check with this secret: an altered or forged cookie still gets it;
// - nothing remembered can be stale: a signature depends only on the id and
//   the secret, and whether the session is alive is still the store's answer.
import { Signer, type UnsignResult } from '@fastify/cookie'

export interface SessionSigner {
  sign: (value: string) => string
  unsign: (signed: string) => UnsignResult
}

export function rememberingSigner (secret: string, kept = 20_000): SessionSigner {
  const signer = new Signer(secret, 'sha256')
  const signedById = new Map<string, string>()
  const idBySigned = new Map<string, string>()
  const remember = (id: string, signed: string): void => {
    if (signedById.has(id)) return
    if (signedById.size >= kept) {
      const [oldId, oldSigned] = signedById.entries().next().value!
      signedById.delete(oldId)
      idBySigned.delete(oldSigned)
    }
    signedById.set(id, signed)
    idBySigned.set(signed, id)
  }
  return {
    sign (id) {
      let signed = signedById.get(id)
      if (signed === undefined) {
        signed = signer.sign(id)
        remember(id, signed)
      }
      return signed
    },
    unsign (signed) {
      const id = idBySigned.get(signed)
      if (id !== undefined) return { valid: true, renew: false, value: id }
      const result = signer.unsign(signed)
      if (result.valid && result.value !== null) remember(result.value, signed)
      return result
    }
  }
}
