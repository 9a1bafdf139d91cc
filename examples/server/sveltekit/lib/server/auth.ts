// src/lib/server/auth.ts ($lib/server/auth): the app's one createAuth. In SvelteKit, read env from $env/dynamic/private.
import { createAuth } from 'authcode/server'
import { authOptions } from '../../../env'

export const auth = createAuth(authOptions(process.env))
