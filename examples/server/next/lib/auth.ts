// The app's one createAuth, made on first use: `next build` needs none of the variables.
import { type Auth, createAuth } from 'authcode/server'
import { authOptions } from '../../env'

let instance: Auth | undefined

export const auth = (): Auth => (instance ??= createAuth(authOptions(process.env)))
