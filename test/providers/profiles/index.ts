// Every provider profile, for suites that run over all of them.
import type { Profile } from '../profile.js'
import { AUTH0_CUSTOM_DOMAIN, AUTH0_TENANT } from './auth0.js'
import { COGNITO } from './cognito.js'
import { ENTRA } from './entra.js'
import { GOOGLE } from './google.js'
import { KEYCLOAK } from './keycloak.js'
import { OKTA_CUSTOM, OKTA_ORG } from './okta.js'

export { AUTH0_CUSTOM_DOMAIN, AUTH0_TENANT, COGNITO, ENTRA, GOOGLE, KEYCLOAK, OKTA_CUSTOM, OKTA_ORG }

export const PROFILES: readonly Profile[] = [AUTH0_TENANT, AUTH0_CUSTOM_DOMAIN, GOOGLE, ENTRA, OKTA_ORG, OKTA_CUSTOM, KEYCLOAK, COGNITO]
