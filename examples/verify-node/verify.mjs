// Verify a tessera access token in Node: `jose` for the JWT and the JWKS, node:zlib and
// a few lines for the Token Status List (draft-ietf-oauth-status-list).
//
//   const verify = createVerifier('https://auth.example.com')
//   const claims = await verify(token) // throws on any refusal
//
// Lists are cached for their `ttl`, so a revocation is seen within ttl + the
// authority's propagation delay (5 s).
import { inflateSync } from 'node:zlib'
import { createInterface } from 'node:readline'
import { createRemoteJWKSet, jwtVerify } from 'jose'

const algorithms = ['ES256', 'RS256']

export function createVerifier (issuer, { audience = issuer, clockTolerance = 5 } = {}) {
  issuer = issuer.replace(/\/+$/, '')
  // jose caches the key set, refetches it for an unknown kid, at most once per 30 s.
  const jwks = createRemoteJWKSet(new URL(`${issuer}/.well-known/jwks.json`))
  const lists = new Map() // uri -> { freshUntil, bytes }
  const prefix = `${issuer}/statuslists/`

  async function fetchList (uri) {
    const asked = Date.now()
    const res = await fetch(uri, { headers: { accept: 'application/statuslist+jwt' }, redirect: 'error' })
    if (res.status !== 200) throw new Error(`${uri} answered ${res.status}`)
    const { payload } = await jwtVerify((await res.text()).trim(), jwks, {
      typ: 'statuslist+jwt', subject: uri, algorithms, clockTolerance, requiredClaims: ['iat']
    })
    const { bits, lst } = payload.status_list
    if (bits !== 1) throw new Error("tessera's lists hold one bit per token")
    const bytes = inflateSync(Buffer.from(lst, 'base64url'), { maxOutputLength: 16 << 20 })
    const ttl = Math.min(Math.max(Number(payload.ttl ?? 60), 1), 3600)
    return { freshUntil: asked + ttl * 1000, bytes }
  }

  async function status (uri, idx) {
    // Only the issuer's own lists are fetched: a token cannot send us elsewhere.
    if (!uri.startsWith(prefix) || !/^[A-Za-z0-9_-]+$/.test(uri.slice(prefix.length))) {
      throw new Error("status list URI is not the issuer's")
    }
    let list = lists.get(uri)
    if (!list || Date.now() >= list.freshUntil) {
      list = await fetchList(uri)
      lists.set(uri, list)
    }
    if (!Number.isInteger(idx) || idx < 0 || idx >> 3 >= list.bytes.length) {
      throw new Error('status index out of range')
    }
    return (list.bytes[idx >> 3] >> (idx & 7)) & 1 // bit 0 of byte 0 is index 0
  }

  return async function verify (token) {
    const { payload } = await jwtVerify(token, jwks, {
      typ: 'at+jwt', issuer, audience, algorithms, clockTolerance,
      requiredClaims: ['exp', 'iat', 'sub']
    })
    const ref = payload.status?.status_list
    if (!ref) throw new Error('no status claim')
    if (await status(ref.uri, ref.idx) !== 0) throw new Error('the token has been revoked')
    return payload
  }
}

// node verify.mjs ISSUER [TOKEN]: one token from argv, or one per line of stdin (the
// verifier and its caches kept between lines); one JSON answer per token.
if (import.meta.url === `file://${process.argv[1]}`) {
  const [issuer, token] = process.argv.slice(2)
  const verify = createVerifier(issuer)
  const answer = async (t) => {
    try {
      return { ok: true, claims: await verify(t) }
    } catch (e) {
      return { ok: false, error: `${e.code ?? e.name}: ${e.message}` }
    }
  }
  if (token) {
    console.log(JSON.stringify(await answer(token)))
  } else {
    for await (const line of createInterface({ input: process.stdin })) {
      if (line.trim()) console.log(JSON.stringify(await answer(line.trim())))
    }
  }
}
