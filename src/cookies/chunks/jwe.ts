// jose's compact JWE, loaded on the first seal or open: a chunk that names only what the seals use, so a bundler keeps only that of jose.
export { CompactEncrypt, compactDecrypt } from 'jose'
